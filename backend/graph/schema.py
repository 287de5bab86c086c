"""The shape of Charlie's data in Redis: every graph key, label and field, the change
events, how an entry node is written, and how query rows become ``backend.models``.

One FalkorDB graph per journal (``graph_key``). Entries are ``Episode`` nodes, what
they mention are ``Entity`` nodes with their type as a second label; an episode
``MENTIONS`` an entity and entities ``RELATES`` to each other, each relationship
naming the episode that stated it; each entity keeps its number of mentions on a
``TALLY`` relationship to itself. Beside each graph live a few plain Redis keys: the
entries' revisions, the entity version commits watch, blocked names and type overrides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from backend.errors import ValidationError
from backend.graph.cypher import Graph, decode
from backend.graph.folding import (
    FOLDED,
    SEARCHABLE,
    create_searchable_index,
    mark_folded,
    with_folded,
)
from backend.graph.words import word_count
from backend.models import (
    EntityMention,
    EntityRef,
    Entry,
    EntrySummary,
    Journal,
    Relation,
    content_hash,
    entry_tags,
    from_epoch_and_offset,
    from_millis,
)

# -- labels, relationships, fields -----------------------------------------------------

EPISODE = "Episode"
"""The label of an entry's node."""
ENTITY = "Entity"
"""The label every entity node has (beside its type: Person, Place, Group, Activity)."""
MENTIONS = "MENTIONS"
"""Episode -> Entity: the entry names it (``quote``, ``names`` as written)."""
RELATES = "RELATES"
"""Entity -> Entity: a relationship (``kind``, ``evidence``) stated by ``episode``."""
TALLY = "TALLY"
"""Entity -> itself, one per entity: ``mentions``, its number of MENTIONS edges (its
in-degree), so ranking by it reads one value instead of walking every mention (as
FalkorDB's ``indegree()`` does). It is a relationship, not a property of the entity, so
keeping it changes nothing the full-text index holds (writing any property of a node
re-indexes it, which moves its search score) and goes with the entity when it is
deleted. Every write that adds or removes MENTIONS edges changes it in the same query
(``COUNT_UP``, ``COUNT_DOWN``, ``RECOUNT``). None means unknown (entities from before
it): a write meeting one counts it whole or leaves it unknown, never wrong, and
``FILL_MENTION_COUNTS`` counts them all."""

EPISODE_FIELDS = (
    "id",
    "title",
    "body",
    "entry_at",
    "utc_offset",
    "created_at",
    "updated_at",
    "source",
    "content_hash",
    "tags",
    "starred",
)
"""An entry node's properties: ``entry_at`` in UTC epoch seconds with ``utc_offset``
(minutes) kept apart, ``created_at``/``updated_at`` in ms, ``tags`` a sorted list of
lowercase tags (``backend.models.entry_tags``) and ``starred`` a boolean (an entry
written before tags has neither: no tags, not starred)."""
ENTRY_FIELDS = ", ".join(f"e.{name}" for name in EPISODE_FIELDS)
"""What to RETURN for ``entry_from_row`` (with the node bound to ``e``)."""

PREVIEW_CHARS = 240
"""An entry summary shows this much of the body."""
# FalkorDB's substring() (and left()) on a stored string shorter than the length asked
# for can cut its last multi-byte character in half (seen with emoji and Hebrew), which
# no decoder accepts; a body that short is returned whole instead.
SUMMARY_FIELDS = (
    f"e.id, e.title, CASE WHEN size(e.body) <= {PREVIEW_CHARS} THEN e.body "
    f"ELSE substring(e.body, 0, {PREVIEW_CHARS}) END, e.entry_at, e.utc_offset, "
    "e.created_at, e.tags, e.starred"
)
"""What to RETURN for ``summary_from_row`` (with the node bound to ``e``)."""

TALLY_OF_N = f"OPTIONAL MATCH (n)-[tally:{TALLY}]->(n)"
"""Binds ``tally`` to the count of ``n`` (null when unknown)."""
MENTION_COUNT = "tally.mentions"
"""The stored count, once ``TALLY_OF_N`` bound ``tally``."""
COUNT_UP = (
    f"MERGE (n)-[tally:{TALLY}]->(n) "
    f"ON CREATE SET tally.mentions = indegree(n, '{MENTIONS}') "
    "ON MATCH SET tally.mentions = tally.mentions + 1"
)
"""After a clause that created one MENTIONS edge into ``n`` per row, each row a different
``n``: one more (an unknown count is counted whole, new edge included)."""
COUNT_DOWN = f"{TALLY_OF_N} SET tally.mentions = tally.mentions - 1"
"""Before deleting the MENTIONS edge into ``n`` that the row matched (rows add up; an
unknown count stays unknown)."""
RECOUNT = (
    f"UNWIND $ids AS i MATCH (n:{ENTITY} {{id: i}}) MERGE (n)-[tally:{TALLY}]->(n) "
    f"SET tally.mentions = indegree(n, '{MENTIONS}')"
)
"""Counts the mentions of the entities ``$ids`` afresh (corrections that move many
edges at once, imports)."""
FILL_MENTION_COUNTS = (
    f"MATCH (n:{ENTITY}) WHERE NOT (n)-[:{TALLY}]->(n) "
    f"CREATE (n)-[:{TALLY} {{mentions: indegree(n, '{MENTIONS}')}}]->(n)"
)
"""Gives every entity whose count is unknown its count (one atomic query)."""

# -- Redis keys ------------------------------------------------------------------------

JOURNALS_KEY = "charlie:journals"
"""Hash: journal id -> JSON ``{"name", "created"}`` (ms)."""
DEFAULT_JOURNAL_KEY = "charlie:default_journal"
"""String: the id of the journal commands use when none is named."""
REVISIONS_PREFIX = "charlie:revisions:"


def graph_key(journal_id: str) -> str:
    """The Redis key of a journal's graph."""
    return f"charlie:journal:{journal_id}"


def revisions_key(journal_id: str) -> str:
    """The hash of each entry's revision in a journal (absent: 0, an entry from before)."""
    return f"{REVISIONS_PREFIX}{journal_id}"


def version_key(journal_id: str) -> str:
    """Bumped by every write to a journal's entities; commits watch it."""
    return f"{graph_key(journal_id)}:entities"


def blocked_key(journal_id: str) -> str:
    """Hash of blocked names: normalised key -> the name as the user blocked it."""
    return f"{graph_key(journal_id)}:blocked"


def types_key(journal_id: str) -> str:
    """Hash of type overrides: normalised name -> the type the user gave it."""
    return f"{graph_key(journal_id)}:types"


# -- change events (published on backend.jobs.keys.EVENTS) ---------------------------


def entry_event(journal_id: str, entry_id: str, action: str) -> str:
    """The change event every entry write publishes in its own transaction."""
    return json.dumps(
        {"event": "entry", "journal": journal_id, "entry": entry_id, "action": action}
    )


def entries_event(journal_id: str, count: int) -> str:
    """The change event an import publishes in each batch's transaction (one per batch,
    not per entry, so a big import does not flood the screens)."""
    return json.dumps({"event": "entries", "journal": journal_id, "count": count})


def graph_event(journal_id: str) -> str:
    """The change event for entities, mentions or drafts written in bulk (a JSON import)."""
    return json.dumps({"event": "graph", "journal": journal_id})


# -- writing ---------------------------------------------------------------------------


def create_indexes(graph: Graph) -> None:
    """Give a new journal's graph its indexes. FalkorDB refuses an index that exists,
    so this runs once per journal, right after the journal is registered."""
    graph.query(f"CREATE INDEX FOR (e:{EPISODE}) ON (e.id)")
    graph.query(f"CREATE INDEX FOR (e:{EPISODE}) ON (e.entry_at)")
    create_searchable_index(graph)  # Entries' words, accents aside (graph/folding.py).
    graph.query(f"CREATE INDEX FOR (n:{ENTITY}) ON (n.id)")
    graph.query(f"CREATE INDEX FOR (n:{ENTITY}) ON (n.key)")
    graph.query(f"CALL db.idx.fulltext.createNodeIndex('{ENTITY}', 'name', '{FOLDED}')")
    mark_folded(graph)  # Every entry of a new journal is written with its folded words.
    create_tag_indexes(graph)


TAG_INDEXES = ("tags", "starred")
"""The Episode properties indexed for the tag and star filters (``'x' IN e.tags`` is
answered by the index on the list)."""


def create_tag_indexes(graph: Graph, existing: Sequence[str] = ()) -> None:
    """Index the Episode properties of ``TAG_INDEXES`` not in ``existing`` (a journal
    made before tags gets them on first use: ``backend.graph.tags``)."""
    for name in TAG_INDEXES:
        if name not in existing:
            graph.query(f"CREATE INDEX FOR (e:{EPISODE}) ON (e.{name})")


def episode_properties(
    entry_id: str,
    *,
    title: str,
    body: str,
    entry_at: int,
    utc_offset: int,
    source: str,
    now: int,
    tags: Iterable[str] = (),
    starred: bool = False,
) -> dict[str, Any]:
    """A new entry node's properties (``EPISODE_FIELDS``, in order): ``entry_at`` in
    epoch seconds and ``utc_offset`` in minutes (``to_epoch_and_offset``), created and
    updated at ``now`` (ms), with the content hash of its title and body, its tags (the
    tag words of its text and the ``tags`` given) and whether it is starred."""
    return {
        "id": entry_id,
        "title": title,
        "body": body,
        "entry_at": entry_at,
        "utc_offset": utc_offset,
        "created_at": now,
        "updated_at": now,
        "source": source,
        "content_hash": content_hash(title, body),
        "tags": list(entry_tags(title, body, tags)),
        "starred": bool(starred),
        "words": word_count(title, body),  # For totals without reading bodies (graph/words.py).
    }


def create_episodes(
    graph: Graph, rows: Sequence[Mapping[str, Any]], *, returning: bool = False
) -> list[str]:
    """The GRAPH.QUERY arguments (for ``execute_command`` on a client or inside a
    pipeline's MULTI) that write each of ``rows`` as an Episode node with exactly those
    properties (``episode_properties``, or an exported node's; no None values), unless
    an Episode with its id exists already: that one is left as it is, so a batch that
    raced another writer past a presence check still adds each entry once.

    With ``returning`` the reply has a row per entry (the stored node, ``ENTRY_FIELDS``
    for ``entry_from_row``); without, nothing comes back, as a large batch wants.
    """
    cypher = (
        f"UNWIND $rows AS p MERGE (e:{EPISODE} {{id: p.id}}) ON CREATE SET e = p, e:{SEARCHABLE}"
    )
    if returning:
        cypher += f" RETURN {ENTRY_FIELDS}"
    # Each node also gets its folded words for accent-blind search (graph/folding.py).
    return graph.command(cypher, {"rows": [with_folded(dict(row)) for row in rows]})


# -- rows -> models --------------------------------------------------------------------


def journal_from_record(journal_id: Any, record: Any) -> Journal:
    """A journal from its ``JOURNALS_KEY`` field and JSON value (bytes or text)."""
    data = json.loads(record)
    return Journal(
        id=decode(journal_id), name=data["name"], created_at=from_millis(data["created"])
    )


def entry_from_row(row: Sequence[Any], *, journal: str, revision: int) -> Entry:
    """An entry from a row of ``ENTRY_FIELDS``, in the journal named ``journal``."""
    return Entry(
        id=row[0],
        journal=journal,
        title=row[1],
        body=row[2],
        entry_at=from_epoch_and_offset(row[3], row[4]),
        created_at=from_millis(row[5]),
        updated_at=from_millis(row[6]),
        source=row[7],
        content_hash=row[8],
        revision=revision,
        tags=tags_of(row[9]) if len(row) > 9 else (),
        starred=is_true(row[10]) if len(row) > 10 else False,
    )


def summary_from_row(row: Sequence[Any]) -> EntrySummary:
    """An entry summary from a row that starts id, title, preview, entry_at, utc_offset
    (``SUMMARY_FIELDS``)."""
    return EntrySummary(
        id=row[0],
        title=row[1],
        preview=row[2],
        entry_at=from_epoch_and_offset(row[3], row[4]),
        tags=tags_of(row[6]) if len(row) > 6 else (),
        starred=is_true(row[7]) if len(row) > 7 else False,
    )


def tags_of(value: Any) -> tuple[str, ...]:
    """The tags of a row's ``e.tags``: a list, or the text a verbose reply makes of one
    ("[a, b]": tags hold no spaces, commas or brackets); None (no tags yet) as ()."""
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(decode(v)) for v in value)
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return tuple(part for part in text.split(", ") if part)


def is_true(value: Any) -> bool:
    """A row's boolean (verbose replies give "true"/"false"; None is false)."""
    return value is True or value == "true" or value == b"true"


def entity_ref(row: Sequence[Any]) -> EntityRef:
    """An entity from a row id, name, type and optionally its mention count."""
    return EntityRef(*row[:4])


def relation_from_row(row: Sequence[Any], *, outgoing: bool) -> Relation:
    """A relationship from a row kind, other's id, name, type, evidence, episode."""
    return Relation(row[0], EntityRef(row[1], row[2], row[3]), outgoing, row[4] or "", row[5] or "")


def mention_from_row(row: Sequence[Any], names: tuple[str, ...]) -> EntityMention:
    """A mention from a row entry id, title, body (or its start), entry_at, utc_offset,
    quote (``names`` as split from the row's joined list); an entry without a title is
    named by its first words."""
    entry_id, title, body, at, offset, quote = row[:6]
    return EntityMention(
        entry_id=entry_id,
        entry_title=title or _first_words(body),
        entry_at=from_epoch_and_offset(at, offset),
        quote=quote or "",
        names=names,
    )


def _first_words(body: str, width: int = 60) -> str:
    line = next((ln.strip("# ").strip() for ln in body.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def parse_cursor(cursor: str) -> tuple[int, tuple[int, str]]:
    """``"<entry_at>:<created_at>:<id>"`` as (entry_at, (created_at, id))."""
    try:
        at, created, entry_id = cursor.split(":")
        return int(at), (int(created), entry_id)
    except ValueError:
        raise ValidationError(f"{cursor!r} is not a page cursor.") from None
