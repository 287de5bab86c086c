"""Corrections a person makes to the graph: rename, merge, remove from an entry, delete,
block and unblock a name.

Each correction is one MULTI that also counts the mentions of the entities whose
mentions it moved afresh (``schema.RECOUNT``) and bumps the journal's entity version, so a worker
that planned a commit on the old entities plans it again. None leaves an entity with no
mention or a relationship pointing at nothing.
"""

from __future__ import annotations

import redis

from backend.errors import NotFoundError, ValidationError
from backend.graph.cypher import Graph
from backend.graph.enrich import PRUNE, SEP, Added, clean_name, split_list
from backend.graph.resolution import normalise
from backend.graph.schema import RECOUNT, blocked_key, graph_key, types_key, version_key

_COPY = "{kind: r.kind, episode: r.episode, evidence: r.evidence}"


def _entity(graph: Graph, entity_id: str) -> tuple[str, str, str, list[str]]:
    """(name, type, key, aliases) of an entity, or NotFoundError."""
    rows = graph.read(
        "MATCH (n:Entity {id: $id}) RETURN n.name, n.type, n.key, "
        "reduce(s = '', a IN coalesce(n.aliases, []) | s + a + $sep)",
        {"id": entity_id, "sep": SEP},
    )
    if not rows:
        raise NotFoundError("That entity no longer exists (it may have been merged or removed).")
    name, type_, key, aliases = rows[0]
    return name, type_, key, split_list(aliases)


def _commit(
    client: redis.Redis,
    journal_id: str,
    commands: list[tuple[str, dict]],
    *,
    types: dict[str, str] | None = None,
) -> None:
    """Run ``commands`` in one MULTI with the version bump (and type overrides to keep)."""
    graph = Graph(client, graph_key(journal_id))
    with client.pipeline(transaction=True) as pipe:
        for name, type_ in (types or {}).items():
            pipe.hset(types_key(journal_id), name, type_)
        for cypher, params in commands:
            pipe.execute_command(*graph.command(cypher, params))
        pipe.incr(version_key(journal_id))
        pipe.execute()


def _check_name(name: str) -> tuple[str, str]:
    display = clean_name(name)
    key = normalise(display)
    if not key:
        raise ValidationError("A name needs at least one letter or digit.")
    return display, key


def rename(client: redis.Redis, journal_id: str, entity_id: str, new_name: str) -> str:
    """Give an entity a new name. The old one stays an alias, so later entries that use
    it still resolve here. Returns the name as stored."""
    graph = Graph(client, graph_key(journal_id))
    name, type_, key, aliases = _entity(graph, entity_id)
    display, new_key = _check_name(new_name)
    if client.hexists(blocked_key(journal_id), new_key):
        raise ValidationError(f"{display!r} is blocked; unblock it first.")
    clash = graph.read(
        "MATCH (n:Entity) WHERE n.type = $type AND n.id <> $id "
        "AND (n.key = $key OR $key IN coalesce(n.aliases, [])) RETURN n.name LIMIT 1",
        {"type": type_, "id": entity_id, "key": new_key},
    )
    if clash:
        raise ValidationError(
            f"There is already a {type_} called {clash[0][0]!r}; merge the two instead."
        )
    kept = [a for a in dict.fromkeys([*aliases, key]) if a != new_key]
    retyped = client.hexists(types_key(journal_id), key)
    _commit(
        client,
        journal_id,
        [
            (
                "MATCH (n:Entity {id: $id}) SET n.name = $name, n.key = $key, "
                "n.aliases = $aliases, n.corrected = true, "
                "n.alias_names = coalesce(n.alias_names, []) + [$old]",
                {"id": entity_id, "name": display, "key": new_key, "aliases": kept, "old": name},
            )
        ],
        types={new_key: type_} if retyped else None,
    )
    return display


def merge(client: redis.Redis, journal_id: str, keep_id: str, other_id: str) -> None:
    """Fold ``other`` into ``keep``: every mention (with its quote), relationship and
    alias moves over, then ``other`` is gone. Across types, ``keep``'s type wins."""
    if keep_id == other_id:
        raise ValidationError("An entity cannot be merged with itself.")
    graph = Graph(client, graph_key(journal_id))
    _, keep_type, keep_key, keep_aliases = _entity(graph, keep_id)
    _, other_type, other_key, other_aliases = _entity(graph, other_id)
    aliases = [
        a for a in dict.fromkeys([*keep_aliases, other_key, *other_aliases]) if a != keep_key
    ]
    ids = {"keep": keep_id, "other": other_id}
    # Across types the kept entity's type wins, and the other's names are read as that
    # type from now on (else enriching again would bring the other one back).
    retyped = [other_key, *other_aliases] if keep_type != other_type else []
    _commit(
        client,
        journal_id,
        [
            (
                "MATCH (e:Episode)-[m:MENTIONS]->(:Entity {id: $other}) "
                "MATCH (k:Entity {id: $keep}) "
                "MERGE (e)-[n:MENTIONS]->(k) "
                "ON CREATE SET n.quote = m.quote, n.names = m.names "
                "ON MATCH SET n.names = n.names + m.names",
                ids,
            ),
            (RECOUNT, {"ids": [keep_id]}),
            (
                "MATCH (:Entity {id: $other})-[r:RELATES]->(b:Entity) "
                "WHERE b.id <> $keep AND b.id <> $other "
                "MATCH (k:Entity {id: $keep}) "
                f"CREATE (k)-[:RELATES {_COPY}]->(b)",
                ids,
            ),
            (
                "MATCH (:Entity {id: $other})<-[r:RELATES]-(a:Entity) "
                "WHERE a.id <> $keep AND a.id <> $other "
                "MATCH (k:Entity {id: $keep}) "
                f"CREATE (a)-[:RELATES {_COPY}]->(k)",
                ids,
            ),
            (
                "MATCH (k:Entity {id: $keep}), (o:Entity {id: $other}) "
                "SET k.aliases = $aliases, k.corrected = true, k.alias_names = "
                "coalesce(k.alias_names, []) + [o.name] + coalesce(o.alias_names, [])",
                {**ids, "aliases": aliases},
            ),
            ("MATCH (o:Entity {id: $other}) DETACH DELETE o", ids),
        ],
        types=dict.fromkeys(retyped, keep_type),
    )


def remove_from_entry(client: redis.Redis, journal_id: str, entry_id: str, entity_id: str) -> None:
    """Unlink an entity from one entry and keep it unlinked when the entry is enriched
    again. The entity is pruned if no other entry mentions it."""
    graph = Graph(client, graph_key(journal_id))
    _, _, key, aliases = _entity(graph, entity_id)
    rows = graph.read(
        "MATCH (e:Episode {id: $id}) "
        "RETURN reduce(s = '', k IN coalesce(e.excluded, []) | s + k + $sep), "
        "reduce(s = '', a IN coalesce(e.added, []) | s + a + $sep)",
        {"id": entry_id, "sep": SEP},
    )
    if not rows:
        raise NotFoundError(f"There is no entry {entry_id} in this journal.")
    names = {key, *aliases}
    excluded = list(dict.fromkeys([*split_list(rows[0][0]), *names]))
    # A name the user linked by hand and now removes is not linked again either.
    added = [a for a in split_list(rows[0][1]) if normalise(Added.decode(a).name) not in names]
    params = {"entry": entry_id, "entity": entity_id}
    _commit(
        client,
        journal_id,
        [
            (
                "MATCH (:Episode {id: $entry})-[m:MENTIONS]->(:Entity {id: $entity}) DELETE m",
                params,
            ),
            (
                "MATCH (n:Entity {id: $entity})-[r:RELATES {episode: $entry}]-(:Entity) DELETE r",
                params,
            ),
            (
                "MATCH (e:Episode {id: $entry}) SET e.excluded = $excluded, e.added = $added, "
                "e.corrected = true",
                {**params, "excluded": excluded, "added": added},
            ),
            (RECOUNT, {"ids": [entity_id]}),
            (PRUNE, {"ids": [entity_id]}),
        ],
    )


def delete_everywhere(client: redis.Redis, journal_id: str, entity_id: str) -> None:
    """Remove an entity from every entry, with its relationships. (Enriching an entry
    again may find it again; block the name to prevent that.)"""
    _entity(Graph(client, graph_key(journal_id)), entity_id)
    _commit(
        client,
        journal_id,
        [("MATCH (n:Entity {id: $id}) DETACH DELETE n", {"id": entity_id})],
    )


def block(client: redis.Redis, journal_id: str, name: str) -> int:
    """Never extract ``name`` again (any type) and remove the entities called that.
    Returns how many entities were removed."""
    display, key = _check_name(name)
    graph = Graph(client, graph_key(journal_id))
    count = graph.read("MATCH (n:Entity {key: $key}) RETURN count(n)", {"key": key})[0][0]
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(blocked_key(journal_id), key, display)
        pipe.execute_command(
            *graph.command("MATCH (n:Entity {key: $key}) DETACH DELETE n", {"key": key})
        )
        pipe.execute_command(
            *graph.command(
                "MATCH (n:Entity) WHERE $key IN coalesce(n.aliases, []) "
                "SET n.aliases = [a IN n.aliases WHERE a <> $key]",
                {"key": key},
            )
        )
        pipe.incr(version_key(journal_id))
        pipe.execute()
    return int(count)


def unblock(client: redis.Redis, journal_id: str, name: str) -> str | None:
    """Allow ``name`` again. Returns the name as it was blocked, or None if it was not."""
    key = normalise(clean_name(name))
    with client.pipeline(transaction=True) as pipe:
        pipe.hget(blocked_key(journal_id), key)
        pipe.hdel(blocked_key(journal_id), key)
        pipe.incr(version_key(journal_id))
        shown, _, _ = pipe.execute()
    return shown.decode() if isinstance(shown, bytes) else shown


def blocked_names(client: redis.Redis, journal_id: str) -> list[str]:
    """The blocked names as the user typed them, sorted."""
    values = client.hvals(blocked_key(journal_id))
    return sorted((v.decode() if isinstance(v, bytes) else v for v in values), key=str.casefold)
