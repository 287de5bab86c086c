"""Corrections that fix what the extractor got wrong, and are remembered when an entry is
enriched again: change an entity's type, link a name the extractor missed, split an
entity's mentions off into another entity.

What is remembered, so a later enrichment makes the same choice:
- a journal's type overrides (``<graph>:types``, name key -> type): a name the user
  retyped (or merged into an entity of another type) is read as that type from now on;
- an entry's ``added`` list: names the user linked to it (JSON: type, name and the
  words in the text), planned like the extractor's own finds;
- an entry's ``excluded`` list (as remove-from-entry keeps it): the names it must not
  be linked to, which a split sets for the entity its mentions left.

Like the other corrections (backend/curation.py), each is one MULTI that counts the
mentions of the entities it touched afresh (``schema.RECOUNT``) and bumps the journal's
entity version, so a worker that planned on the old entities plans again.
Entities and entries touched by hand are marked ``corrected``: `charlie eval
--from-journal` turns them into gold data.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import redis

from backend.errors import NotFoundError, ValidationError
from backend.graph.cypher import Graph
from backend.graph.enrich import (
    PRUNE,
    SEP,
    Added,
    clean_name,
    quote_for,
    sentences,
    split_list,
)
from backend.graph.extractor import ENTITY_TYPES
from backend.graph.resolution import SELF_ID, display_name, new_entity_id, normalise
from backend.graph.schema import RECOUNT, graph_key, types_key, version_key

_COPY = "{kind: r.kind, episode: r.episode, evidence: r.evidence}"


def check_type(type_: str) -> str:
    if type_ not in ENTITY_TYPES:
        raise ValidationError(f"{type_!r} is not a type; use one of {', '.join(ENTITY_TYPES)}.")
    return type_


@dataclass(frozen=True)
class _Found:
    id: str
    name: str
    type: str
    key: str
    aliases: list[str]


def _entity(graph: Graph, entity_id: str) -> _Found:
    rows = graph.read(
        "MATCH (n:Entity {id: $id}) RETURN n.name, n.type, n.key, "
        "reduce(s = '', a IN coalesce(n.aliases, []) | s + a + $sep)",
        {"id": entity_id, "sep": SEP},
    )
    if not rows:
        raise NotFoundError("That entity no longer exists (it may have been merged or removed).")
    name, type_, key, aliases = rows[0]
    return _Found(entity_id, name, type_, key, split_list(aliases))


def _named(graph: Graph, key: str, type_: str, *, other_than: str = "") -> _Found | None:
    """The entity of ``type_`` called ``key`` (by its key or an alias), if any."""
    rows = graph.read(
        "MATCH (n:Entity) WHERE n.type = $type AND n.id <> $other "
        "AND (n.key = $key OR $key IN coalesce(n.aliases, [])) RETURN n.id ORDER BY n.id LIMIT 1",
        {"type": type_, "key": key, "other": other_than},
    )
    return _entity(graph, rows[0][0]) if rows else None


def _entry_text(graph: Graph, entry_id: str) -> tuple[str, list[str], list[str]]:
    """(title + body, excluded keys, added items as stored) of an entry."""
    rows = graph.read(
        "MATCH (e:Episode {id: $id}) RETURN e.title, e.body, "
        "reduce(s = '', k IN coalesce(e.excluded, []) | s + k + $sep), "
        "reduce(s = '', a IN coalesce(e.added, []) | s + a + $sep)",
        {"id": entry_id, "sep": SEP},
    )
    if not rows:
        raise NotFoundError(f"There is no entry {entry_id} in this journal.")
    title, body, excluded, added = rows[0]
    return f"{title or ''}\n{body or ''}", split_list(excluded), split_list(added)


def _commit(client: redis.Redis, journal_id: str, commands: list[tuple[str, dict]]) -> None:
    graph = Graph(client, graph_key(journal_id))
    with client.pipeline(transaction=True) as pipe:
        for cypher, params in commands:
            pipe.execute_command(*graph.command(cypher, params))
        pipe.incr(version_key(journal_id))
        pipe.execute()


def _label_change(old: str, new: str) -> str:
    # Labels cannot be parameters; both come from ENTITY_TYPES, never from user text.
    return f"REMOVE n:{check_type(old)} SET n:{check_type(new)}"


def retype(client: redis.Redis, journal_id: str, entity_id: str, new_type: str) -> None:
    """Give an entity another type ("Lake Merritt" is a Place, not a Person). Its name
    and aliases are read as that type from now on."""
    check_type(new_type)
    graph = Graph(client, graph_key(journal_id))
    found = _entity(graph, entity_id)
    if entity_id == SELF_ID:
        raise ValidationError("The author (I) is always a Person.")
    if found.type == new_type:
        raise ValidationError(f"{found.name!r} is already a {new_type}.")
    for key in (found.key, *found.aliases):
        clash = _named(graph, key, new_type, other_than=entity_id)
        if clash is not None:
            raise ValidationError(
                f"There is already a {new_type} called {clash.name!r}; merge "
                f"{found.name!r} into it instead."
            )
    with client.pipeline(transaction=True) as pipe:
        for key in (found.key, *found.aliases):
            pipe.hset(types_key(journal_id), key, new_type)
        pipe.execute_command(
            *graph.command(
                f"MATCH (n:Entity {{id: $id}}) {_label_change(found.type, new_type)} "
                "SET n.type = $type, n.corrected = true",
                {"id": entity_id, "type": new_type},
            )
        )
        pipe.incr(version_key(journal_id))
        pipe.execute()


def link(client: redis.Redis, journal_id: str, entry_id: str, name: str, type_: str) -> str:
    """Link ``name`` (an existing entity of ``type_``, or a new one) to an entry the
    extractor read without finding it. Returns the entity's id."""
    check_type(type_)
    display = display_name(clean_name(name))
    key = normalise(display)
    if not key:
        raise ValidationError("A name needs at least one letter or digit.")
    graph = Graph(client, graph_key(journal_id))
    text, excluded, added = _entry_text(graph, entry_id)
    existing = _named(graph, key, type_)
    if existing is not None and graph.read(
        "MATCH (:Episode {id: $entry})-[:MENTIONS]->(:Entity {id: $id}) RETURN 1",
        {"entry": entry_id, "id": existing.id},
    ):
        raise ValidationError(f"This entry already mentions {existing.name!r}.")
    words = _words_in(text, [display, *(existing.aliases if existing else [])])
    item = Added(type_, existing.name if existing else display, words).encode()
    target = existing.id if existing else new_entity_id()
    keys = {key, *(existing.aliases if existing else []), *([existing.key] if existing else [])}
    _commit(
        client,
        journal_id,
        [
            *_ensure_entity(target, existing is None, type_, display, key),
            (
                "MATCH (e:Episode {id: $entry}), (n:Entity {id: $id}) "
                "CREATE (e)-[:MENTIONS {quote: $quote, names: $names}]->(n) "
                "SET e.excluded = $excluded, e.added = $added, e.corrected = true",
                {
                    "entry": entry_id,
                    "id": target,
                    "quote": quote_for([words], sentences(text)) if words else "",
                    "names": [words] if words else [],
                    "excluded": [k for k in excluded if k not in keys],
                    "added": [*added, item],
                },
            ),
            (RECOUNT, {"ids": [target]}),
        ],
    )
    return target


def split(
    client: redis.Redis,
    journal_id: str,
    entity_id: str,
    entry_ids: list[str],
    into: str,
    type_: str | None = None,
) -> str:
    """Move the mentions of an entity in ``entry_ids`` to the entity called ``into``
    (created if there is none of that type): two people who share a first name, told
    apart. The moved entries stay with ``into`` when enriched again. Returns its id."""
    graph = Graph(client, graph_key(journal_id))
    source = _entity(graph, entity_id)
    type_ = check_type(type_ or source.type)
    display = display_name(clean_name(into))
    key = normalise(display)
    if not key:
        raise ValidationError("A name needs at least one letter or digit.")
    if not entry_ids:
        raise ValidationError("Choose at least one entry to move.")
    if type_ == source.type and key in (source.key, *source.aliases):
        raise ValidationError(
            f"Give the new entity a name other than {source.name!r} (a surname, say); "
            "either one can be renamed afterwards."
        )
    existing = _named(graph, key, type_)
    target = existing.id if existing else new_entity_id()
    commands = list(_ensure_entity(target, existing is None, type_, display, key))
    source_keys = [source.key, *source.aliases]
    for entry_id in dict.fromkeys(entry_ids):
        _text_, excluded, added = _entry_text(graph, entry_id)
        rows = graph.read(
            "MATCH (:Episode {id: $entry})-[m:MENTIONS]->(:Entity {id: $id}) "
            "RETURN reduce(s = '', w IN coalesce(m.names, []) | s + w + $sep)",
            {"entry": entry_id, "id": entity_id, "sep": SEP},
        )
        if not rows:
            raise ValidationError(f"Entry {entry_id} does not mention {source.name!r}.")
        words = split_list(rows[0][0])
        item = Added(type_, existing.name if existing else display, words[0] if words else "")
        params = {"entry": entry_id, "from": entity_id, "to": target}
        commands += [
            (
                "MATCH (e:Episode {id: $entry})-[m:MENTIONS]->(:Entity {id: $from}) "
                "MATCH (t:Entity {id: $to}) "
                "MERGE (e)-[n:MENTIONS]->(t) "
                "ON CREATE SET n.quote = m.quote, n.names = m.names "
                "DELETE m",
                params,
            ),
            (
                "MATCH (:Entity {id: $from})-[r:RELATES {episode: $entry}]->(b:Entity) "
                "WHERE b.id <> $to MATCH (t:Entity {id: $to}) "
                f"CREATE (t)-[:RELATES {_COPY}]->(b) DELETE r",
                params,
            ),
            (
                "MATCH (:Entity {id: $from})<-[r:RELATES {episode: $entry}]-(a:Entity) "
                "WHERE a.id <> $to MATCH (t:Entity {id: $to}) "
                f"CREATE (a)-[:RELATES {_COPY}]->(t) DELETE r",
                params,
            ),
            (
                "MATCH (e:Episode {id: $entry}) SET e.excluded = $excluded, e.added = $added, "
                "e.corrected = true",
                {
                    **params,
                    "excluded": list(dict.fromkeys([*excluded, *source_keys])),
                    "added": [*added, item.encode()],
                },
            ),
        ]
    commands += [
        ("MATCH (n:Entity {id: $id}) SET n.corrected = true", {"id": target}),
        (RECOUNT, {"ids": [entity_id, target]}),
        (PRUNE, {"ids": [entity_id]}),
    ]
    _commit(client, journal_id, commands)
    return target


def _ensure_entity(
    entity_id: str, new: bool, type_: str, name: str, key: str
) -> list[tuple[str, dict]]:
    """The command that creates the entity when it is new (none when it exists)."""
    if not new:
        return []
    return [
        (
            f"CREATE (n:Entity:{check_type(type_)} {{id: $id, key: $key, name: $name, "
            "type: $type, aliases: [], created_at: $now, is_self: false, corrected: true})",
            {"id": entity_id, "key": key, "name": name, "type": type_, "now": int(time.time())},
        )
    ]


def _words_in(text: str, names: list[str]) -> str:
    """The first of ``names`` that occurs in ``text`` as whole words, as written there."""
    for name in names:
        found = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)
        if found:
            return found.group(0)
    return ""
