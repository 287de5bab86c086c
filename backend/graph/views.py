"""Read-only views of a journal's knowledge graph: entity pages, the author's own page,
an entry's connections and what a period held (search is ``search``). Every query takes
user text only as parameters."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from backend.errors import NotFoundError
from backend.graph.cypher import Graph
from backend.graph.enrich import SEP, split_list
from backend.graph.extractor import ENTITY_TYPES
from backend.graph.folding import fold
from backend.graph.resolution import SELF_ID, normalise
from backend.graph.schema import (
    FILL_MENTION_COUNTS,
    MENTION_COUNT,
    TALLY_OF_N,
    entity_ref,
    mention_from_row,
    relation_from_row,
)
from backend.graph.time_views import ranked_mentions
from backend.graph.windows import journal_end, windowed_mentions
from backend.models import (
    AuthorPage,
    EntityPage,
    EntityRef,
    EntryEntities,
    PeriodSummary,
    from_epoch_and_offset,
)

_NAMES = "reduce(s = '', x IN coalesce(m.names, []) | s + x + $sep)"
_WORD = re.compile(r"\w+", re.UNICODE)
# "Appears with" looks at an entity's most recent entries only, so the page of someone
# mentioned in thousands of entries opens as fast as anyone's.
APPEARS_WITH_RECENT = 300
RELATIONS_SHOWN = 100  # per direction
# An entity page reads its mentions through time windows (``windows``) when the entity
# is in so many of the journal's entries that a window of them holds a page
# (count^2 >= WINDOWED_FROM x entries): the cost of a window is about the page over the
# share of entries that mention it, the cost of sorting is the count.
WINDOWED_FROM = APPEARS_WITH_RECENT


def as_written(keys: list[str], names: list[str]) -> tuple[str, ...]:
    """Aliases as the user wrote them ("Sarah's" kept as "Sarah", not "sarah"); a key
    no spelling was kept for (older journals) is shown as it is."""
    spelled: dict[str, str] = {}
    for name in names:
        spelled.setdefault(normalise(name), name)
    return tuple(spelled.get(key, key) for key in keys)


def entity_page(graph: Graph, entity_id: str, *, limit: int = 100) -> EntityPage:
    """The entity's page: type, aliases, quotes newest first, first and last mention,
    who and what it appears with, and its relationships."""
    head = (
        f"MATCH (n:Entity {{id: $id}}) {TALLY_OF_N} "
        "RETURN n.name, n.type, reduce(s = '', a IN coalesce(n.aliases, []) | s + a + $sep), "
        f"coalesce(n.is_self, false), {MENTION_COUNT}, "
        "reduce(s = '', a IN coalesce(n.alias_names, []) | s + a + $sep)"
    )
    rows = _counted(graph, head, {"id": entity_id, "sep": SEP}, column=4)
    if not rows:
        raise NotFoundError(f"There is no entity {entity_id} in this journal.")
    name, type_, aliases, is_self, count, alias_names = rows[0]
    wanted = max(limit, APPEARS_WITH_RECENT)
    entries = graph.read("MATCH (e:Episode) RETURN count(e)")[0][0]
    if count > wanted and count * count >= WINDOWED_FROM * entries:
        # Mentioned in a large share of the journal: a window of its newest (or oldest)
        # entries holds a page of mentions, found through the entry_at index, instead
        # of sorting all of them (46,000 for the most mentioned of 100,000 entries).
        # A first window the size that holds them if the mentions are spread evenly.
        ends = journal_end(graph, newest=True), journal_end(graph, newest=False)
        span = max(86400, (ends[0] or 0) - (ends[1] or 0))
        recent = windowed_mentions(
            graph,
            entity_id,
            wanted,
            newest=True,
            window=wanted * span // count,
            fields=_MENTION_FIELDS,
            params={"sep": SEP},
        )
        oldest = windowed_mentions(
            graph,
            entity_id,
            1,
            newest=False,
            window=span // count,
            fields=_MENTION_FIELDS,
            params={"sep": SEP},
        )
    else:
        recent = graph.read(_MENTIONS_SORTED.format(order="DESC"), _page(entity_id, wanted))
        oldest = (
            recent[-1:]
            if len(recent) >= count
            else graph.read(_MENTIONS_SORTED.format(order="ASC"), _page(entity_id, 1))
        )
    mentions = [mention_from_row(r, tuple(split_list(r[6]))) for r in recent[:limit]]
    first = from_epoch_and_offset(oldest[0][3], oldest[0][4]) if oldest else None
    appears_with = [
        entity_ref(r)
        for r in graph.read(
            # "e.id IN $ids": an UNWIND of the ids here was planned as a scan of every
            # entity (the filter on o drew the planner there).
            "MATCH (e:Episode) WHERE e.id IN $ids MATCH (e)-[:MENTIONS]->(o:Entity) "
            "WHERE o.id <> $id "
            "RETURN o.id, o.name, o.type, count(e) AS c ORDER BY c DESC, o.name LIMIT 20",
            {"id": entity_id, "ids": [r[0] for r in recent[:APPEARS_WITH_RECENT]]},
        )
    ]
    # The sort keys are read once per relationship, not at every comparison, and no
    # label is checked on the other end (only entities relate): half the time for
    # someone with 11,000 relationships.
    relations = [
        relation_from_row(r, outgoing=True)
        for r in graph.read(
            "MATCH (:Entity {id: $id})-[r:RELATES]->(o) "
            "WITH r, o, r.kind AS kind, o.name AS other ORDER BY kind, other LIMIT $shown "
            "RETURN r.kind, o.id, o.name, o.type, r.evidence, r.episode",
            {"id": entity_id, "shown": RELATIONS_SHOWN},
        )
    ] + [
        relation_from_row(r, outgoing=False)
        for r in graph.read(
            "MATCH (:Entity {id: $id})<-[r:RELATES]-(o) "
            "WITH r, o, r.kind AS kind, o.name AS other ORDER BY kind, other LIMIT $shown "
            "RETURN r.kind, o.id, o.name, o.type, r.evidence, r.episode",
            {"id": entity_id, "shown": RELATIONS_SHOWN},
        )
    ]
    return EntityPage(
        entity=EntityRef(entity_id, name, type_, count),
        aliases=as_written(split_list(aliases), split_list(alias_names)),
        is_self=is_self in (True, "true"),  # booleans come back as text
        mention_count=count,
        first_mention=first,
        last_mention=mentions[0].entry_at if mentions else None,
        mentions=mentions,
        appears_with=appears_with,
        relations=relations,
    )


# A mention on an entity page: the entry (short bodies whole: see schema.SUMMARY_FIELDS
# on substring() and multi-byte text), its time, the quote and the names it used.
_MENTION_FIELDS = (
    "e.id, e.title, "
    "CASE WHEN size(e.body) <= 200 THEN e.body ELSE substring(e.body, 0, 200) END, "
    f"e.entry_at, e.utc_offset, m.quote, {_NAMES}"
)
# Sorted and cut before the previews are built: for someone in 5,000 entries that is a
# page of previews instead of 5,000.
_MENTIONS_SORTED = (
    "MATCH (:Entity {{id: $id}})<-[m:MENTIONS]-(e:Episode) "
    "WITH e, m ORDER BY e.entry_at {order}, e.id {order} LIMIT $limit "
    f"RETURN {_MENTION_FIELDS.replace('{', '{{').replace('}', '}}')}"
)


def _page(entity_id: str, limit: int) -> dict[str, object]:
    return {"id": entity_id, "sep": SEP, "limit": limit}


def entry_entities(graph: Graph, entry_id: str) -> EntryEntities:
    """What one entry mentions (with the spellings it used) and the relationships it
    states."""
    order = {t: i for i, t in enumerate(ENTITY_TYPES)}
    mentions = sorted(
        (
            (entity_ref(r[:3]), tuple(split_list(r[3])))
            for r in graph.read(
                "MATCH (:Episode {id: $id})-[m:MENTIONS]->(n:Entity) "
                f"RETURN n.id, n.name, n.type, {_NAMES}",
                {"id": entry_id, "sep": SEP},
            )
        ),
        key=lambda m: (order.get(m[0].type, 9), m[0].name.casefold()),
    )
    relations = [
        (entity_ref(r[:3]), r[3], entity_ref(r[4:7]), r[7] or "")
        for r in graph.read(
            # Both ends of a relationship an entry states are entities it mentions (every
            # write keeps it so), so only the relationships between those two are read,
            # not every relationship of someone mentioned in thousands of entries.
            "MATCH (x:Episode {id: $id})-[:MENTIONS]->(a:Entity), (x)-[:MENTIONS]->(b:Entity) "
            "MATCH (a)-[r:RELATES]->(b) WHERE r.episode = $id "
            "RETURN a.id, a.name, a.type, r.kind, b.id, b.name, b.type, r.evidence "
            "ORDER BY a.name, r.kind, b.name",
            {"id": entry_id},
        )
    ]
    return EntryEntities(mentions=mentions, relations=relations)


def find_entity(graph: Graph, name: str, *, type_: str | None = None) -> EntityRef | None:
    """The entity called ``name`` (exactly, after normalising; or by an alias),
    optionally of one type; the first by id if several are."""
    rows = graph.read(
        "MATCH (n:Entity) WHERE (n.key = $key OR $key IN coalesce(n.aliases, [])) "
        "AND ($type = '' OR n.type = $type) RETURN n.id, n.name, n.type ORDER BY n.id LIMIT 1",
        {"key": normalise(name), "type": type_ or ""},
    )
    return entity_ref(rows[0]) if rows else None


def entries_containing(graph: Graph, text: str) -> list[tuple[str, str]]:
    """The id and content hash of every entry whose title or body has all the words of
    ``text`` (full-text); [] when it has no words."""
    # Folded as every search is: the index holds each entry's accent-free spellings.
    query = " ".join(_WORD.findall(fold(text)))
    if not query:
        return []
    rows = graph.read(
        "CALL db.idx.fulltext.queryNodes('Searchable', $q) YIELD node "
        "RETURN node.id, node.content_hash",
        {"q": query},
    )
    return [(row[0], row[1]) for row in rows]


def period(graph: Graph, start: datetime, end: datetime, *, per_type: int = 30) -> PeriodSummary:
    """Who and what the entries written in [start, end) mention, most often first."""
    bounds = {"start": int(start.timestamp()), "end": int(end.timestamp())}
    count = graph.read(
        "MATCH (e:Episode) WHERE e.entry_at >= $start AND e.entry_at < $end RETURN count(e)",
        bounds,
    )[0][0]
    # Through the entry_at index; only the entities that can make a list have their
    # names read and sorted (see time_views.ranked_mentions).
    ranked = ranked_mentions(graph, bounds["start"], bounds["end"], per_type=per_type)
    found = {t: ranked.pop(t, []) for t in ENTITY_TYPES} | ranked
    return PeriodSummary(start, end, count, found)


def list_entities(graph: Graph, *, type_: str | None = None, limit: int = 500) -> list[EntityRef]:
    """Entities, most mentioned first (optionally of one type)."""
    where = "WHERE n.type = $type " if type_ else ""
    return [
        entity_ref(r)
        for r in _counted(
            graph,
            # The stored count (schema.TALLY) is read off each entity: indegree() walks
            # every mention, which grows with the journal. Sorted and cut before the
            # rest is read (FalkorDB projects every row that reaches a RETURN ...
            # ORDER BY: 3x slower at 4,000 entities).
            f"MATCH (n:Entity) {where}{TALLY_OF_N} WITH n, {MENTION_COUNT} AS c "
            "ORDER BY c DESC, n.name LIMIT $limit RETURN n.id, n.name, n.type, c",
            {"type": type_ or "", "limit": limit},
            column=3,
        )
    ]


def _counted(graph: Graph, cypher: str, params: dict[str, Any], *, column: int) -> list[list[Any]]:
    """The rows of a query that reads stored mention counts into ``column``. A row with
    none means the journal has entities from before counts were stored (or imported
    without them; counts of null sort first, so they show): every unknown count is
    filled in, once, and the query asked again."""
    rows = graph.read(cypher, params)
    if any(r[column] is None for r in rows):
        graph.query(FILL_MENTION_COUNTS)
        rows = graph.read(cypher, params)
    return rows


def author_page(graph: Graph, *, now: datetime, limit: int = 10) -> AuthorPage:
    """The author's own page: how many entries, from when to when, and who and what
    fills them, most mentioned first, per type over the whole journal and across types
    for the month and the year of ``now`` (in its time zone). The author's "I" entity,
    if an extractor made one, is left out of every list and given on its own."""
    count, first_at, last_at = graph.read(
        "MATCH (e:Episode) RETURN count(e), min(e.entry_at), max(e.entry_at)"
    )[0]
    most: dict[str, list[EntityRef]] = {}
    for type_ in ENTITY_TYPES:
        # Only episodes mention, so an entity's MENTIONS in-degree is its entry count:
        # its stored count is read off each node instead of aggregating every mention.
        # Labels cannot be parameters; these are ENTITY_TYPES.
        most[type_] = [
            EntityRef(r[0], r[1], type_, r[2])
            for r in _counted(
                graph,
                f"MATCH (n:{type_}) WHERE n.id <> $self {TALLY_OF_N} "
                f"WITH n, {MENTION_COUNT} AS c WHERE c IS NULL OR c > 0 "
                "WITH n, c ORDER BY c DESC, n.name LIMIT $limit RETURN n.id, n.name, c",
                {"self": SELF_ID, "limit": limit},
                column=2,
            )
        ]
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year_start = month_start.replace(month=1)
    next_month = month_start.replace(
        year=month_start.year + month_start.month // 12, month=month_start.month % 12 + 1
    )
    author = [
        EntityRef(SELF_ID, r[0], r[1], r[2])
        for r in _counted(
            graph,
            f"MATCH (n:Entity {{id: $self}}) {TALLY_OF_N} RETURN n.name, n.type, {MENTION_COUNT}",
            {"self": SELF_ID},
            column=2,
        )
    ]
    return AuthorPage(
        entry_count=count,
        first_entry=None if first_at is None else _entry_time(graph, first_at),
        last_entry=None if last_at is None else _entry_time(graph, last_at),
        most_mentioned=most,
        month_start=month_start,
        this_month=_most_mentioned_between(graph, month_start, next_month, limit),
        year_start=year_start,
        this_year=_most_mentioned_between(
            graph, year_start, year_start.replace(year=year_start.year + 1), limit
        ),
        author=author[0] if author else None,
    )


def _entry_time(graph: Graph, at: int) -> datetime:
    """The time ``at`` (epoch) in the offset of an entry written then (found through the
    entry_at index)."""
    offset = graph.read(
        "MATCH (e:Episode) WHERE e.entry_at = $at RETURN e.utc_offset LIMIT 1", {"at": at}
    )
    return from_epoch_and_offset(at, offset[0][0] if offset else 0)


def _most_mentioned_between(
    graph: Graph, start: datetime, end: datetime, limit: int
) -> list[EntityRef]:
    """Entities of any type (not the author) most mentioned by entries in [start, end)."""
    return [
        entity_ref(r)
        for r in graph.read(
            # Through the entry_at index. Grouped by node, and with no label check on
            # what is mentioned (only entities are), a year of 3,300 entries takes
            # 24 ms instead of 40.
            "MATCH (e:Episode) WHERE e.entry_at >= $start AND e.entry_at < $end "
            "MATCH (e)-[:MENTIONS]->(n) WITH n, count(e) AS c WHERE n.id <> $self "
            "WITH n, c ORDER BY c DESC, n.name LIMIT $limit RETURN n.id, n.name, n.type, c",
            {
                "start": int(start.timestamp()),
                "end": int(end.timestamp()),
                "self": SELF_ID,
                "limit": limit,
            },
        )
    ]
