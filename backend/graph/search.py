"""Search: entries by their words (accents and case aside) and filters, and entities by
name. The query is read by ``search_query``; words are folded (``folding``) and matched
against the full-text index, whose ``folded`` field holds each entry's accent-free
spellings. Every query takes user text only as parameters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, tzinfo
from typing import Any

from backend.graph.cypher import Graph
from backend.graph.folding import WEEK_PREFIX, WEEK_SECONDS, fold, prepare
from backend.graph.resolution import normalise
from backend.graph.schema import (
    MENTION_COUNT,
    PREVIEW_CHARS,
    TALLY,
    TALLY_OF_N,
    entity_ref,
    summary_from_row,
)
from backend.graph.search_query import SearchQuery
from backend.graph.views import _counted
from backend.graph.windows import journal_end
from backend.models import EntityRef, SearchHit, SearchResults

_WORD = re.compile(r"\w+", re.UNICODE)
SNIPPET_CHARS = 160
"""About how long a snippet is (it ends at a word's end, so a little shorter)."""
LEAD_CHARS = 40
"""About how much comes before the first match in a snippet."""

Marks = tuple[tuple[int, int], ...]


def fulltext_query(words: str) -> str:
    """A RediSearch query for the words the user typed, folded: every word must match,
    the last one as a prefix (so results appear while typing). "" when nothing
    searchable is left."""
    found = _WORD.findall(fold(words))
    if not found:
        return ""
    *head, last = found
    return " ".join([*head, f"{last}*" if len(last) >= 2 else last])


def search(
    graph: Graph, query: SearchQuery, *, zone: tzinfo, limit: int = 20, journal: str = ""
) -> SearchResults:
    """Entries matching the words and filters of ``query`` (best first; newest first
    when there are filters but no words) and entities whose name matches its words.

    One letter (or digit) alone finds the entities whose name starts with it, most
    mentioned first, and no entries: the full-text index matches no prefix that short,
    and nearly every entry has a word starting with any letter."""
    prepare(graph)  # Folded words for a journal from before; new entity names.
    words = _WORD.findall(fold(query.words))
    one_letter = len(words) == 1 and len(words[0]) == 1
    notes: list[str] = []
    where, params = _filters(graph, query, zone, notes)
    entities: list[EntityRef] = []
    if one_letter and not query.has_filters:
        return SearchResults(
            query.text, [], _starting_with(graph, words[0], limit), query.filters, journal
        )
    text = fulltext_query(query.words) if not one_letter else ""
    if where is None:  # A filter no entry can pass (nobody by that name).
        rows: list[list[Any]] = []
    elif text:
        rows = _matching(graph, text, where, {**params, "limit": limit})
    elif query.has_filters:
        rows = _filtered(graph, where, {**params, "limit": limit})
    else:
        rows = []
    if text:
        entities = _named(graph, text, limit)
    elif one_letter:
        entities = _starting_with(graph, words[0], limit)
    else:
        entities = _filter_entities(graph, query)
    terms = tuple(words)
    hits = [
        SearchHit(
            summary_from_row([r[0], r[1], r[2][:PREVIEW_CHARS], r[3], r[4], None, r[5], r[6]]),
            *snippet(r[2], terms),
            title_marks=marks(r[1] or "", terms),
        )
        for r in rows
    ]
    return SearchResults(query.text, hits, entities, query.filters, journal, tuple(notes))


_HIT_FIELDS = (
    "node.id, node.title, node.body, node.entry_at, node.utc_offset, node.tags, node.starred"
)
_NEWEST = "node.entry_at DESC, node.created_at DESC, node.id DESC"
PROBE = 500
FIRST_WINDOW = 30 * 86400
"""Seconds of entries a search by filters alone looks at first."""
"""Matches read to learn whether a search is narrow: fewer than this are all sorted."""


def _matching(graph: Graph, text: str, where: str, params: dict[str, Any]) -> list[list[Any]]:
    """Entries with the words of ``text`` that pass ``where``, newest first.

    The index yields matches lazily, in the order they were indexed, so reading the
    first PROBE of them costs little however many there are. Fewer than that: they are
    all sorted. More (a common prefix: "mo" is in most entries): each entry's
    ``folded`` names its week (``folding.week_token``), so the newest weeks' matches are
    asked for first, a window that grows until it holds a page, and only that window is
    sorted, instead of every match in the journal (80,000 of 100,000 for "mo").
    """
    limit = params["limit"]
    head = "CALL db.idx.fulltext.queryNodes('Searchable', $q) YIELD node "
    probe = graph.read(
        f"{head}WITH node WHERE {where} WITH node LIMIT $probe RETURN id(node)",
        {**params, "q": text, "probe": PROBE},
    )
    if len(probe) < PROBE:
        return graph.read(
            # Each by its node id (a seek), then sorted: a few hundred at most.
            "UNWIND $nodes AS i MATCH (node) WHERE id(node) = i "
            f"WITH node ORDER BY {_NEWEST} LIMIT $limit RETURN {_HIT_FIELDS}",
            {"nodes": [r[0] for r in probe], "limit": limit},
        )

    def weeks(low: int | None, high: int, want: int) -> list[list[Any]]:
        # Weeks [low, high) through their tokens; None: every week below high.
        if low is None:
            query, extra = text, " AND node.entry_at < $below"
        else:
            tokens = "|".join(f"{WEEK_PREFIX}{w}" for w in range(low, high))
            query, extra = f"({text}) ({tokens})", ""
        return graph.read(
            f"{head}WITH node WHERE {where}{extra} "
            f"WITH node ORDER BY {_NEWEST} LIMIT $want RETURN {_HIT_FIELDS}",
            {**params, "q": query, "want": want, "below": high * WEEK_SECONDS},
        )

    return _walk_back(
        weeks,
        lambda week: _newest_below(graph, week * WEEK_SECONDS, week=True),
        top=_newest(graph) // WEEK_SECONDS + 1,
        floor=(journal_end(graph, newest=False) or 0) // WEEK_SECONDS,
        span=1,  # The newest week first: a prefix this common usually fills a page there.
        need=limit,
    )


def _walk_back(
    fetch: Callable[[int | None, int, int], list[list[Any]]],
    below: Callable[[int], int | None],
    *,
    top: int,
    floor: int,
    span: int,
    need: int,
) -> list[list[Any]]:
    """The newest ``need`` rows, found a stretch of time at a time going back from
    ``top``: ``fetch(low, high, want)`` gives up to ``want`` rows of [low, high), newest
    first (``low`` None: all of time below ``high``). A stretch that holds too few makes
    the next one wider; one with no rows at all is followed by a jump to just above the
    newest entry below it (``below``), so a year with no entries costs a few lookups.
    Stretches never overlap and go back in order, so their rows in turn are newest first.
    """
    rows: list[list[Any]] = []
    high = top
    while len(rows) < need:
        low = high - span
        if low <= floor:
            return rows + fetch(None, high, need - len(rows))
        found = fetch(low, high, need - len(rows))
        rows += found
        if found:
            high = low
            span *= min(16, max(2, 2 * (need - len(rows)) // len(found)))
        else:
            jump = below(low)
            if jump is None:
                return rows
            high = min(low, jump)
            span *= 4
    return rows


def _newest_below(graph: Graph, at: int, *, week: bool = False) -> int | None:
    """A time just above the newest entry written before ``at`` (epoch seconds; nothing
    of the journal lies between it and ``at``), within a day, found by halving with "is
    there an entry in [t, at)" questions through the entry_at index; with ``week``, as
    a week number (rounded up). None when no entry is older than ``at``."""

    def any_in(low: int, high: int) -> bool:
        rows = graph.read(
            "MATCH (e:Episode) WHERE e.entry_at >= $low AND e.entry_at < $high "
            "RETURN e.entry_at LIMIT 1",
            {"low": low, "high": high},
        )
        return any(low <= r[0] < high for r in rows)

    if not any_in(0, at):
        return None
    low, high = (journal_end(graph, newest=False) or 0) - 1, at
    while high - low > 86400:
        middle = (low + high) // 2
        if any_in(middle, high):
            low = middle
        else:
            high = middle
    return -(-high // WEEK_SECONDS) if week else high


def _newest(graph: Graph) -> int:
    """When the newest entry was written. journal_end is kept per process and is at
    most a day early, so the entries after it (a day's, and any written since) are
    read through the entry_at index for the exact time."""
    known = journal_end(graph, newest=True) or 0
    later = graph.read(
        "MATCH (e:Episode) WHERE e.entry_at > $at RETURN max(e.entry_at)", {"at": known}
    )
    return max(known, later[0][0] or 0) if later else known


def _filtered(graph: Graph, where: str, params: dict[str, Any]) -> list[list[Any]]:
    """Entries that pass ``where`` (no words), newest first."""
    if params.get("p0") is not None:
        # Entries of someone: from their mentions, not from every entry.
        return graph.read(
            "MATCH (x:Entity)<-[:MENTIONS]-(node:Episode) WHERE id(x) IN $p0 "
            f"WITH DISTINCT node WITH node WHERE {where} "
            f"WITH node ORDER BY {_NEWEST} LIMIT $limit RETURN {_HIT_FIELDS}",
            params,
        )
    # A stretch of time just below the newest entry (or the before: day) first, grown
    # until it holds a page, as Store._newest pages the journal: sorting every entry
    # a tag or a star passes is 60 ms at 100,000 entries.

    def stretch(low: int | None, high: int, want: int) -> list[list[Any]]:
        bounds = "node.entry_at < $high" + ("" if low is None else " AND node.entry_at >= $low")
        rows = graph.read(
            f"MATCH (node:Episode) WHERE {bounds} WITH node WHERE {where} "
            f"WITH node ORDER BY {_NEWEST} LIMIT $want RETURN {_HIT_FIELDS}",
            {**params, "high": high, "low": low, "want": want},
        )
        # Index scans may hand back rows outside a range (see Store.list_entries).
        return [r for r in rows if r[3] < high and (low is None or r[3] >= low)]

    return _walk_back(
        stretch,
        lambda at: _newest_below(graph, at),
        top=params.get("before") or _newest(graph) + 1,
        floor=max(params.get("after") or 0, journal_end(graph, newest=False) or 0),
        span=FIRST_WINDOW,
        need=params["limit"],
    )


def _filters(
    graph: Graph, query: SearchQuery, zone: tzinfo, notes: list[str]
) -> tuple[str | None, dict[str, Any]]:
    """The WHERE condition (on ``node``) and parameters for the filters of ``query``;
    None for the condition when some filter names nobody (no entry can pass)."""
    parts = ["true"]
    params: dict[str, Any] = {}
    if query.after is not None:
        parts.append("node.entry_at >= $after")
        params["after"] = _epoch(query.after, zone)
    if query.before is not None:
        parts.append("node.entry_at < $before")
        params["before"] = _epoch(query.before, zone)
    for n, tag in enumerate(query.tags):
        parts.append(f"$t{n} IN coalesce(node.tags, [])")
        params[f"t{n}"] = tag
    if query.starred:
        parts.append("node.starred = true")
    nobody = False
    wanted = [("Person", name) for name in query.people] + [("Place", n) for n in query.places]
    for n, (type_, name) in enumerate(wanted):
        ids = _entity_nodes(graph, type_, name)
        if not ids:
            kind = "person" if type_ == "Person" else "place"
            notes.append(f"No {kind} is called {name!r}.")
            nobody = True
        params[f"p{n}"] = ids
    # Entries mentioning each named entity: a MATCH per filter (FalkorDB cannot read a
    # pattern inside a WHERE after a procedure call), cut back to one row per entry.
    mentions = "".join(
        f" MATCH (node)-[:MENTIONS]->(x{n}) WHERE id(x{n}) IN $p{n} WITH DISTINCT node"
        for n in range(len(wanted))
    )
    return (None if nobody else " AND ".join(parts) + mentions), params


def _epoch(day: date, zone: tzinfo) -> int:
    return int(datetime.combine(day, time(0), zone).timestamp())


def _entity_nodes(graph: Graph, type_: str, name: str) -> list[int]:
    """The node ids of the entities of ``type_`` called ``name``: by their whole name or
    an alias, accents and case aside, or else by their first name ("Ana" finds "Ana
    Lopez")."""
    folded = fold(name.strip())
    rows = graph.read(
        f"MATCH (n:{type_}) WHERE n.folded = $f OR n.key = $k OR $k IN coalesce(n.aliases, []) "
        "RETURN id(n)",
        {"f": folded, "k": normalise(name)},
    )
    if not rows:
        rows = graph.read(
            f"MATCH (n:{type_}) WHERE n.folded STARTS WITH $f RETURN id(n)",
            {"f": folded + " "},
        )
    return [r[0] for r in rows]


def _filter_entities(graph: Graph, query: SearchQuery) -> list[EntityRef]:
    """The entities the person: and place: filters name (shown beside their entries)."""
    ids = [
        node
        for type_, names in (("Person", query.people), ("Place", query.places))
        for name in names
        for node in _entity_nodes(graph, type_, name)
    ]
    if not ids:
        return []
    return [
        entity_ref(r)
        for r in _counted(
            graph,
            f"MATCH (n:Entity) WHERE id(n) IN $ids {TALLY_OF_N} "
            f"RETURN n.id, n.name, n.type, {MENTION_COUNT}",
            {"ids": ids},
            column=3,
        )
    ]


def _named(graph: Graph, text: str, limit: int) -> list[EntityRef]:
    """Entities whose name (or its folded spelling) has the words of ``text``."""
    return [
        entity_ref(r)
        for r in _counted(
            graph,
            "CALL db.idx.fulltext.queryNodes('Entity', $q) YIELD node, score "
            f"OPTIONAL MATCH (node)-[tally:{TALLY}]->(node) "
            f"WITH node, score, {MENTION_COUNT} AS c "
            "ORDER BY score DESC, c DESC, node.name, node.id LIMIT $limit "
            "RETURN node.id, node.name, node.type, c, score",
            {"q": text, "limit": limit},
            column=3,
        )
    ]


def _starting_with(graph: Graph, letter: str, limit: int) -> list[EntityRef]:
    """Entities whose name (or its matching key: no leading "the"; or its folded
    spelling) starts with ``letter`` (folded), most mentioned first."""
    return [
        entity_ref(r)
        for r in _counted(
            graph,
            "MATCH (n:Entity) WHERE n.key STARTS WITH $p OR n.folded STARTS WITH $p "
            f"OR toLower(n.name) STARTS WITH $p {TALLY_OF_N} WITH n, {MENTION_COUNT} AS c "
            "ORDER BY c DESC, n.name, n.id LIMIT $limit RETURN n.id, n.name, n.type, c",
            {"p": letter, "limit": limit},
            column=3,
        )
    ]


# -- snippets and highlights -------------------------------------------------------------


def _folded_map(text: str) -> tuple[str, list[int] | None]:
    """``text`` folded, with the index in ``text`` of each folded character (None when
    they are the same: plain ASCII, where folding is lowercasing)."""
    if text.isascii():
        return text.lower(), None
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = fold(ch) if not ch.isascii() else ch.lower()
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin


# RediSearch's default stop words: the index skips them, so they are not marked either.
_STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)


def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words the search matched: the last term as a prefix (it is one while
    typing), the others as words with at most a short ending ("walk" marks "walked",
    as the index's stemming finds it, but not "walkways")."""
    *head, last = terms
    words = [rf"{re.escape(t)}\w{{0,3}}" for t in head if t not in _STOP_WORDS]
    return re.compile(r"(?<!\w)(?:" + "|".join([rf"{re.escape(last)}\w*", *words]) + r")(?!\w)")


def _spans(text: str, terms: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where in ``text`` the words a search for ``terms`` (folded) matched are."""
    if not terms:
        return []
    folded, origin = _folded_map(text)
    pattern = _pattern(terms)
    spans = []
    for match in pattern.finditer(folded):
        start, end = match.span()
        if origin is not None:
            start, end = origin[start], origin[end - 1] + 1
            # A letter written as base + combining accent: the accent is the word's too.
            while end < len(text) and unicodedata.combining(text[end]):
                end += 1
        spans.append((start, end))
    return spans


def marks(text: str, terms: tuple[str, ...]) -> Marks:
    """(start, end) of each word of ``text`` that a search for ``terms`` matched."""
    return tuple(_spans(text, terms))


def snippet(body: str, terms: tuple[str, ...]) -> tuple[str, Marks]:
    """A line of ``body`` around its first word matching ``terms`` (whole words only,
    "…" where it was cut) and where in that line the matching words are."""
    flat = " ".join(body.split())
    spans = _spans(flat, terms)
    first = spans[0] if spans else (0, 0)
    start = 0
    if first[0] > LEAD_CHARS:
        # Back to the start of the word LEAD_CHARS before the match.
        start = flat.rfind(" ", 0, first[0] - LEAD_CHARS) + 1
    end = len(flat)
    if end - start > SNIPPET_CHARS:
        cut = flat.rfind(" ", start, start + SNIPPET_CHARS)
        # Never before the end of the match; a single word longer than a line is cut.
        end = cut if cut > max(start, first[1]) else max(first[1], start + SNIPPET_CHARS)
        end = min(end, len(flat))
    lead = "…" if start else ""
    text = lead + flat[start:end] + ("…" if end < len(flat) else "")
    shift = len(lead) - start
    found = tuple((s + shift, e + shift) for s, e in spans if s >= start and e <= end)
    return text, found
