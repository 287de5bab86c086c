"""Reading journals for an export: which journals, and their entries page by page, so a
large journal is never one query result."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from falkordb.query_result import parse_scalar  # type: ignore[import-untyped]

from backend.broker.ownership import rejoining
from backend.graph.cypher import Graph
from backend.models import Journal
from backend.shared import Backend

PAGE = 200
"""Entries (and entities) read in one query."""
# progress(done, total): entries written so far out of all entries being exported.
Progress = Callable[[int, int], None]


def read_values(graph: Graph, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
    """Rows of a read-only query with lists and maps as Python values (compact replies:
    the verbose ones render lists and maps as text)."""
    _, key, text = graph.command(cypher, params)
    reply = graph.client.execute_command("GRAPH.RO_QUERY", key, text, "--compact")
    if len(reply) < 3:
        return []
    return [[parse_scalar(cell, None) for cell in row] for row in reply[1]]


def journals_to_export(backend: Backend, journal: str | None) -> list[Journal]:
    """The journal named, or every journal (the default one is created when there is
    none, as the app's list of journals does). Like the app's own lookups, this rides
    through an owner change once."""

    def look() -> list[Journal]:
        if journal is not None:
            return [backend.journal(journal)]
        return backend.store.list_journals() or [backend.journal()]

    return rejoining(backend.broker, look)


def entry_ids(graph: Graph) -> list[str]:
    """Every entry id, oldest entry first (ids only: small even for a big journal)."""
    rows = graph.read("MATCH (e:Episode) RETURN e.id ORDER BY e.entry_at, e.id")
    return [row[0] for row in rows]


def pages(ids: list[str]) -> Iterator[list[str]]:
    """``ids`` in pages of ``PAGE``."""
    for start in range(0, len(ids), PAGE):
        yield ids[start : start + PAGE]


def entries_by_id(graph: Graph, ids: list[str]) -> list[dict[str, Any]]:
    """The entries with these ids, all properties, in the order of ``ids`` (an entry
    deleted since the ids were read is left out)."""
    rows = read_values(
        graph, "MATCH (e:Episode) WHERE e.id IN $ids RETURN properties(e)", {"ids": ids}
    )
    by_id = {row[0]["id"]: dict(row[0]) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def millis(moment: datetime) -> int:
    """``moment`` in ms since the epoch (how journals keep their creation time)."""
    return int(moment.timestamp() * 1000)
