"""Planning an entry's enrichment: what the extractor found, resolved against its journal.

A plan reads the journal's state (its entity version, blocked names and type
corrections), what the entry says besides its text (names removed from it or linked by
hand, what it mentions now) and the journal's entities (the worker's copy of them when
it is of that version, backend/graph/known.py). :func:`plan_entry` is the pure part, so
that a worker can plan the next entry while the server writes the last one, and check
afterwards that the state it planned on is still the state (see backend/jobs/worker.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

from backend.graph.cypher import Graph
from backend.graph.enrich import (
    EntryRead,
    Mention,
    Plan,
    clean_name,
    clean_name_text,
    known_entities,
    quote_for,
    read_entry_state,
    sentences,
)
from backend.graph.extractor import ENTITY_TYPES, RELATION_KINDS, Entity, Extraction
from backend.graph.known import KnownEntities
from backend.graph.resolution import (
    SELF_ID,
    SELF_KEY,
    SELF_NAMES,
    Known,
    KnownIndex,
    Resolver,
    display_name,
    new_entity_id,
    normalise,
)
from backend.graph.schema import blocked_key, graph_key, types_key, version_key


@dataclass(frozen=True)
class JournalState:
    """What a plan reads of its journal besides the entities, at one entity version."""

    version: int
    blocked: frozenset[str]
    overrides: Mapping[str, str]
    """Entity types the user corrected, by name key."""


def journal_state_commands(journal_id: str) -> list[tuple[str, ...]]:
    """The reads of a JournalState (their replies go to journal_state_from)."""
    return [
        ("GET", version_key(journal_id)),
        ("HKEYS", blocked_key(journal_id)),
        ("HGETALL", types_key(journal_id)),
    ]


def journal_state_from(version: Any, blocked: Any, overrides: Any) -> JournalState:
    """The replies to journal_state_commands (as redis-py parses them)."""
    return JournalState(
        version=int(version or 0),
        blocked=frozenset(_text(k) for k in blocked),
        overrides={_text(k): _text(v) for k, v in overrides.items()},
    )


def read_journal_state(client: redis.Redis, journal_id: str) -> JournalState:
    with client.pipeline(transaction=False) as pipe:
        for args in journal_state_commands(journal_id):
            pipe.execute_command(*args)
        return journal_state_from(*pipe.execute())


def entities_at(
    client: redis.Redis, journal_id: str, version: int, known: KnownEntities | None
) -> KnownIndex:
    """The journal's entities at ``version``: the worker's copy when it is of that
    version, else all of them read (and kept as the copy)."""
    index = known.index(journal_id, version) if known is not None else None
    if index is None:
        index = KnownIndex(known_entities(Graph(client, graph_key(journal_id))))
        if known is not None:
            known.keep(journal_id, version, index)
    return index


def plan_enrichment(
    client: redis.Redis,
    journal_id: str,
    entry_id: str,
    content_hash: str,
    text: str,
    extraction: Extraction,
    *,
    threshold: float = 90.0,
    max_entities: int = 50,
    known: KnownEntities | None = None,
    entry: EntryRead | None = None,
) -> Plan:
    """Resolve an extraction against the journal's entities as they are now.

    ``known``: the worker's copy of the entities, used when it is of the version read
    here; without it, every entity of the journal is read. ``entry``: the entry as
    read_entry read it; what it says besides the text is read again unless it is
    still current."""
    state = read_journal_state(client, journal_id)
    current = (journal_id, entry_id, content_hash, state.version)
    if entry is None or (entry.journal_id, entry.entry_id, entry.content_hash, entry.version) != (
        current
    ):
        entry = read_entry_state(client, journal_id, entry_id, content_hash, state.version)
    index = entities_at(client, journal_id, state.version, known)
    return plan_entry(
        state,
        entry,
        index,
        text,
        extraction,
        threshold=threshold,
        max_entities=max_entities,
        known=known,
    )


def plan_entry(
    state: JournalState,
    entry: EntryRead,
    index: KnownIndex,
    text: str,
    extraction: Extraction,
    *,
    threshold: float = 90.0,
    max_entities: int = 50,
    known: KnownEntities | None = None,
) -> Plan:
    """The plan for ``entry`` (read at ``state.version``) from ``extraction`` of its
    ``text``, resolved against ``index`` (the journal's entities at that version). Reads
    nothing. ``known``: told what the plan adds, for when its commit succeeds."""
    assert entry.version == state.version, "the entry must be read at the state's version"
    blocked, overrides, excluded = state.blocked, state.overrides, entry.excluded
    resolver = Resolver(index, threshold=threshold)
    text_sentences = sentences(text)
    by_id: dict[str, Mention] = {}
    resolved: dict[tuple[str, str], str] = {}
    new_aliases: dict[str, list[tuple[str, str]]] = {}

    def resolve(entity: Entity, *, by_hand: str = "") -> str | None:
        """The id ``entity`` links to (None: dropped). ``by_hand``: the words of a name
        the user linked, which no exclusion drops."""
        name = clean_name(entity.name)
        key = normalise(name)
        type_ = overrides.get(key, entity.type)
        dropped = key in excluded and not by_hand
        if type_ not in ENTITY_TYPES or not key or key in blocked or dropped:
            return None
        is_self = type_ == "Person" and key in SELF_NAMES
        known = resolver.resolve(name, type_)
        if known is not None:
            if known.key in blocked or (known.key in excluded and not by_hand):
                return None
            lookup = SELF_KEY if is_self else key
            if lookup != known.key and lookup not in known.aliases:
                # Matched by similarity: remember the spelling, so it matches exactly
                # from now on and finding the entity by it works.
                spellings = new_aliases.setdefault(known.id, [])
                if lookup not in (k for k, _ in spellings):
                    spellings.append((lookup, display_name(name)))
            mention = by_id.get(known.id)
            if mention is None:
                if len(by_id) >= max_entities:
                    return None
                mention = by_id[known.id] = Mention(known.id, known.type, known.key, known.name)
        else:
            if len(by_id) >= max_entities:
                return None
            new_id = SELF_ID if is_self else new_entity_id()
            display = "I" if is_self else display_name(name)
            known = Known(new_id, type_, display, SELF_KEY if is_self else key)
            resolver.remember(known)
            mention = by_id[new_id] = Mention(new_id, type_, known.key, display, new=True)
        words = by_hand or name
        if words not in mention.names:
            mention.names.append(words)
        resolved[(entity.type, normalise(entity.name))] = mention.entity_id
        return mention.entity_id

    for entity in extraction.entities:
        resolve(entity)
    for item in entry.added:
        resolve(Entity(name=item.name, type=item.type), by_hand=item.words or item.name)
    relationships = []
    seen: set[tuple[str, str, str]] = set()
    for rel in extraction.relationships:
        source = resolved.get((rel.source.type, normalise(rel.source.name))) or resolve(rel.source)
        target = resolved.get((rel.target.type, normalise(rel.target.name))) or resolve(rel.target)
        kind = rel.kind if rel.kind in RELATION_KINDS else "RELATED_TO"
        if not source or not target or source == target or (source, kind, target) in seen:
            continue
        seen.add((source, kind, target))
        evidence = clean_name_text(rel.evidence) or quote_for(
            [rel.source.name, rel.target.name], text_sentences
        )
        relationships.append(
            {"source": source, "kind": kind, "target": target, "evidence": evidence}
        )
    for mention in by_id.values():
        self_words = ["I", "me", "my", "myself"] if mention.entity_id == SELF_ID else []
        mention.quote = quote_for(mention.names + self_words, text_sentences)
    plan = Plan(
        entry.entry_id,
        entry.content_hash,
        list(by_id.values()),
        relationships,
        list(entry.previous),
        new_aliases,
    )
    if known is not None:
        known.planned(
            entry.journal_id,
            state.version,
            [Known(m.entity_id, m.type, m.name, m.key) for m in plan.mentions if m.new],
            {k: [key for key, _ in v] for k, v in new_aliases.items()},
            may_delete=bool(set(entry.previous) - set(by_id)),
        )
    return plan


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
