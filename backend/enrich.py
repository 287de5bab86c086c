"""The graph side of enrichment: one idempotent write per entry, and pruning.

Mentions are replaced as a whole, so running the same write twice leaves the same
graph. Entities no entry mentions any more are pruned in the same transaction.
"""

from __future__ import annotations

from typing import Any

import redis

from backend.extractor import ENTITY_TYPES, Extraction
from backend.store import PRUNE_UNMENTIONED, Graph

# Entity type is a real label; labels cannot be query parameters, so each type has its
# own fixed query (the label comes from ENTITY_TYPES, never from user text).
_MERGE = (
    "MATCH (e:Episode {{id: $id, content_hash: $hash}}) "
    "UNWIND $entities AS x "
    "MERGE (n:{label} {{key: x.key}}) ON CREATE SET n.name = x.name, n.type = '{label}' "
    "MERGE (e)-[:MENTIONS]->(n)"
)
_CLEAR = "MATCH (e:Episode {id: $id})-[m:MENTIONS]->() DELETE m"


def entity_key(name: str) -> str:
    """A name reduced for matching: case and surrounding space ignored."""
    return " ".join(name.split()).casefold()


def queue_mentions(
    pipe: redis.client.Pipeline,
    graph: Graph,
    entry_id: str,
    content_hash: str,
    extraction: Extraction,
) -> None:
    """Queue (in a MULTI) the writes that make the entry mention exactly these entities.

    The entry must still carry ``content_hash``; if it was edited, nothing is linked.
    """
    pipe.execute_command(*graph.command(_CLEAR, {"id": entry_id}))
    by_type: dict[str, dict[str, dict[str, Any]]] = {}
    for entity in extraction.entities:
        if entity.type not in ENTITY_TYPES or not entity.name.strip():
            continue
        key = entity_key(entity.name)
        by_type.setdefault(entity.type, {}).setdefault(key, {"key": key, "name": entity.name})
    for label, entities in sorted(by_type.items()):
        pipe.execute_command(
            *graph.command(
                _MERGE.format(label=label),
                {"id": entry_id, "hash": content_hash, "entities": list(entities.values())},
            )
        )
    pipe.execute_command(*graph.command(PRUNE_UNMENTIONED))


def mentioned_names(graph: Graph, entry_id: str) -> list[str]:
    """Names of the entities an entry mentions, sorted."""
    rows = graph.read(
        "MATCH (:Episode {id: $id})-[:MENTIONS]->(n) RETURN n.name ORDER BY n.name",
        {"id": entry_id},
    )
    return [row[0] for row in rows]
