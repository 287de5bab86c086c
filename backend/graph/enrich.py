"""The graph side of enrichment: read an entry, then write what was found in it in one go.

For one entry, a plan is made from the extraction and the journal's current entities
(backend/graph/planning.py: resolution, blocked names, names the user removed from this
entry, quotes). The plan is written in one MULTI that replaces the entry's mentions and
relationships and prunes entities nobody mentions any more, so running it twice leaves
the same graph. Every such write (and every correction by the user) bumps the journal's
entity version; a commit watches it, so a plan made on a stale view of the entities is
made again.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import redis

from backend.graph.cypher import Graph, command, rows_of
from backend.graph.extractor import ENTITY_TYPES
from backend.graph.resolution import SELF_ID, Known
from backend.graph.schema import COUNT_DOWN, COUNT_UP, graph_key, version_key

QUOTE_CHARS = 300
# Lists come back from GRAPH.QUERY as text, so they are joined with a separator that
# cannot occur in a name (control characters are stripped from names).
SEP = "\x1f"
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")

KNOWN_ENTITIES = (
    "MATCH (n:Entity) RETURN n.id, n.type, n.name, n.key, "
    "reduce(s = '', a IN coalesce(n.aliases, []) | s + a + $sep)"
)
# An entry's relationships always start at an entity it mentions, so they are found
# through its mentions rather than by scanning every relationship in the journal.
_CLEAR_RELATIONS = (
    "MATCH (:Episode {id: $id})-[:MENTIONS]->(:Entity)-[r:RELATES {episode: $id}]->(:Entity) "
    "DELETE r"
)
# Every MENTIONS edge written or removed here moves its entity's stored count in the same
# query (schema.TALLY): one row per edge, and FalkorDB adds up per-row SETs.
_CLEAR_MENTIONS = f"MATCH (:Episode {{id: $id}})-[m:MENTIONS]->(n) {COUNT_DOWN} DELETE m"
_LINK_KNOWN = (
    "MATCH (e:Episode {id: $id, content_hash: $hash}) UNWIND $items AS x "
    "MATCH (n:Entity {id: x.id}) CREATE (e)-[:MENTIONS {quote: x.quote, names: x.names}]->(n) "
    + COUNT_UP
)
# The label comes from ENTITY_TYPES, never from user text (labels cannot be parameters).
_LINK_NEW = (
    "MATCH (e:Episode {{id: $id, content_hash: $hash}}) UNWIND $items AS x "
    "MERGE (n:Entity:{label} {{key: x.key}}) "
    "ON CREATE SET n.id = x.id, n.name = x.name, n.type = '{label}', n.aliases = [], "
    "n.created_at = $now, n.is_self = x.is_self "
    "CREATE (e)-[:MENTIONS {{quote: x.quote, names: x.names}}]->(n) "
    + COUNT_UP  # (no braces in it for format() to read)
)
_RELATE = (
    "MATCH (e:Episode {id: $id, content_hash: $hash}) UNWIND $rels AS r "
    "MATCH (a:Entity {id: r.source}), (b:Entity {id: r.target}) "
    "CREATE (a)-[:RELATES {kind: r.kind, episode: $id, evidence: r.evidence}]->(b)"
)
_ADD_ALIASES = (
    "MATCH (e:Episode {id: $id, content_hash: $hash}) UNWIND $rows AS a "
    "MATCH (n:Entity {id: a.id}) SET n.aliases = coalesce(n.aliases, []) + a.keys, "
    "n.alias_names = coalesce(n.alias_names, []) + a.names"
)
PRUNE = "UNWIND $ids AS i MATCH (n:Entity {id: i}) WHERE NOT ()-[:MENTIONS]->(n) DETACH DELETE n"


@dataclass(frozen=True)
class Added:
    """A name the user linked to an entry by hand."""

    type: str
    name: str
    words: str
    """The words in the entry that refer to it (for the quote), or "" if none."""

    def encode(self) -> str:
        return json.dumps({"type": self.type, "name": self.name, "words": self.words})

    @classmethod
    def decode(cls, text: str) -> Added:
        data = json.loads(text)
        return cls(str(data["type"]), str(data["name"]), str(data.get("words", "")))


def split_list(value: Any) -> list[str]:
    """A list joined with SEP in a query, back as a Python list."""
    return [v for v in str(value or "").split(SEP) if v]


def known_entities(graph: Graph) -> list[Known]:
    return [
        Known(id=r[0], type=r[1], name=r[2], key=r[3], aliases=tuple(split_list(r[4])))
        for r in graph.read(KNOWN_ENTITIES, {"sep": SEP})
    ]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def quote_for(names: list[str], text_sentences: list[str]) -> str:
    """The first sentence that mentions any of ``names`` (as whole words)."""
    for name in names:
        pattern = _whole_words(name)
        folded = name.lower() if name.isascii() else None
        for sentence in text_sentences:
            if folded is not None and (lowered := _ascii_lower(sentence)) is not None:
                if folded not in lowered:
                    # Between ASCII texts, IGNORECASE matches nothing but case variants: a
                    # name not in the sentence in lower case is not in it at all.
                    continue
            if pattern.search(sentence):
                return sentence[:QUOTE_CHARS]
    return ""


@lru_cache(maxsize=1024)
def _ascii_lower(sentence: str) -> str | None:
    """The sentence in lower case if it is ASCII (None otherwise: it is always searched)."""
    return sentence.lower() if sentence.isascii() else None


@lru_cache(maxsize=8192)
def _whole_words(name: str) -> re.Pattern[str]:
    # Kept compiled: a journal has thousands of names, more than re's own cache holds.
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)


def clean_name(name: str) -> str:
    """A name fit to show: no control characters, single spaces, bounded length."""
    printable = (
        name if name.isprintable() else "".join(ch if ch.isprintable() else " " for ch in name)
    )
    return " ".join(printable.split())[:120]


@dataclass
class Mention:
    entity_id: str
    type: str
    key: str
    name: str
    names: list[str] = field(default_factory=list)
    new: bool = False
    quote: str = ""


@dataclass
class Plan:
    """Everything one entry's enrichment writes."""

    entry_id: str
    content_hash: str
    mentions: list[Mention]
    relationships: list[dict[str, str]]
    previous: list[str]
    """Ids of entities the entry mentioned before (candidates for pruning)."""
    aliases: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """New aliases per entity id, (key, as written): spellings that matched only by
    similarity."""


def read_entry(client: redis.Redis, journal_id: str, entry_id: str) -> EntryRead | None:
    """The entry as stored now (None if it is gone), with what a plan needs of it.

    One transaction reads the entity version with the entry's text and hash, its
    exclusions, the names linked by hand and what it mentions, so the plan made next
    skips that read if the version has not moved since (every write that changes them
    bumps it)."""
    with client.pipeline(transaction=True) as pipe:
        for args in entry_read_commands(journal_id, entry_id):
            pipe.execute_command(*args)
        version, reply = pipe.execute()
    return entry_from(journal_id, entry_id, version, reply)


def entry_read_commands(journal_id: str, entry_id: str) -> list[tuple[str, ...]]:
    """What read_entry sends: the entity version, then the entry. Sent in this order
    outside a transaction too, the entry read is never older than the version it is
    filed under, since whatever changes it bumps the version in the same transaction."""
    _, key, cypher = command(
        graph_key(journal_id),
        f"MATCH (e:Episode {{id: $id}}) {_STATE_MATCH} RETURN e.content_hash, {_STATE_FIELDS}, "
        "e.title, e.body",
        {"id": entry_id, "sep": SEP},
    )
    return [("GET", version_key(journal_id)), ("GRAPH.RO_QUERY", key, cypher)]


def entry_from(journal_id: str, entry_id: str, version: Any, reply: Any) -> EntryRead | None:
    """The replies to entry_read_commands as an EntryRead (None: the entry is gone)."""
    rows = rows_of(reply)
    if not rows:
        return None
    hash_, *state, title, body = rows[0]
    return EntryRead(journal_id, entry_id, hash_, int(version or 0), *_state(state), title, body)


def read_entry_state(
    client: redis.Redis, journal_id: str, entry_id: str, content_hash: str, version: int
) -> EntryRead:
    """What a plan reads of its entry besides the text (read under a WATCH of the
    entity version, which is ``version``)."""
    rows = Graph(client, graph_key(journal_id)).read(
        f"MATCH (e:Episode {{id: $id}}) {_STATE_MATCH} RETURN {_STATE_FIELDS}",
        {"id": entry_id, "sep": SEP},
    )
    state = _state(rows[0]) if rows else (frozenset(), (), ())
    return EntryRead(journal_id, entry_id, content_hash, version, *state)


# What a plan reads of its entry, besides the entities.
_STATE_MATCH = "OPTIONAL MATCH (e)-[:MENTIONS]->(n)"
_STATE_FIELDS = (
    "reduce(s = '', k IN coalesce(e.excluded, []) | s + k + $sep), collect(n.id), "
    "reduce(s = '', a IN coalesce(e.added, []) | s + a + $sep)"
)


@dataclass(frozen=True)
class EntryRead:
    """An entry's exclusions, names linked by hand and mentions, read at an entity
    version (with its title and body when read_entry read it)."""

    journal_id: str
    entry_id: str
    content_hash: str
    version: int
    excluded: frozenset[str]
    previous: tuple[str, ...]
    added: tuple[Added, ...]
    title: str = ""
    body: str = ""


def _state(row: list[Any]) -> tuple[frozenset[str], tuple[str, ...], tuple[Added, ...]]:
    return (
        frozenset(split_list(row[0])),
        tuple(_id_list(row[1])),
        tuple(Added.decode(a) for a in split_list(row[2])),
    )


def clean_name_text(text: str) -> str:
    return " ".join(text.split())[:QUOTE_CHARS]


def _id_list(value: Any) -> list[str]:
    text = str(value or "").strip("[]")
    return [v.strip() for v in text.split(",") if v.strip()]


def queue_enrichment(pipe: redis.client.Pipeline, journal_id: str, plan: Plan) -> None:
    """Queue (in a MULTI) the writes that make the entry mention exactly the plan's
    entities. The entry must still carry the plan's content hash; if it was edited,
    nothing is linked. ``plan.previous`` must be what the entry mentioned when planned,
    read under the commit's WATCH of the entity version (as plan_enrichment reads it)."""
    graph = Graph(pipe, graph_key(journal_id))
    ids = {"id": plan.entry_id, "hash": plan.content_hash}
    if plan.previous:
        # An entry that mentioned nothing when planned mentions nothing now: whatever
        # adds mentions bumps the entity version the commit watches. Its relationships
        # hang off its mentions, so there is nothing to clear either.
        pipe.execute_command(*graph.command(_CLEAR_RELATIONS, {"id": plan.entry_id}))
        pipe.execute_command(*graph.command(_CLEAR_MENTIONS, {"id": plan.entry_id}))
    known = [m for m in plan.mentions if not m.new]
    if known:
        links = [{"id": m.entity_id, "quote": m.quote, "names": m.names} for m in known]
        pipe.execute_command(*graph.command(_LINK_KNOWN, {**ids, "items": links}))
    for label in ENTITY_TYPES:
        new = [m for m in plan.mentions if m.new and m.type == label]
        if not new:
            continue
        items: list[dict[str, object]] = [
            {
                "id": m.entity_id,
                "key": m.key,
                "name": m.name,
                "quote": m.quote,
                "names": m.names,
                "is_self": m.entity_id == SELF_ID,
            }
            for m in new
        ]
        pipe.execute_command(
            *graph.command(
                _LINK_NEW.format(label=label), {**ids, "items": items, "now": int(time.time())}
            )
        )
    if plan.relationships:
        pipe.execute_command(*graph.command(_RELATE, {**ids, "rels": plan.relationships}))
    if plan.aliases:
        rows = [
            {"id": k, "keys": [key for key, _ in v], "names": [name for _, name in v]}
            for k, v in plan.aliases.items()
        ]
        pipe.execute_command(*graph.command(_ADD_ALIASES, {**ids, "rows": rows}))
    if plan.previous:
        pipe.execute_command(*graph.command(PRUNE, {"ids": plan.previous}))
    pipe.incr(version_key(journal_id))


def mentioned_names(graph: Graph, entry_id: str) -> list[str]:
    """Names of the entities an entry mentions, sorted."""
    rows = graph.read(
        "MATCH (:Episode {id: $id})-[:MENTIONS]->(n) RETURN n.name ORDER BY n.name",
        {"id": entry_id},
    )
    return [row[0] for row in rows]
