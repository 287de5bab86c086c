"""Tags and stars in a journal's graph: entries filtered by tag and star, a page at a
time; every tag with its count; one tag's page.

Tags live on the Episode node (``tags``: a sorted list, ``starred``: a boolean;
``schema.EPISODE_FIELDS``), written with the entry, so nothing here writes but the
indexes a journal made before tags lacks (``ensure_tag_indexes``). Pages are keyset
pages over (entry_at, created_at, id), newest first, with the cursor the home list uses
(``"<entry_at>:<created_at>:<id>"``), and every row is checked again here (see the note
on FalkorDB's index scans in ``store``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from backend.graph.cypher import Graph
from backend.graph.schema import (
    EPISODE,
    SUMMARY_FIELDS,
    TAG_INDEXES,
    create_tag_indexes,
    is_true,
    parse_cursor,
    summary_from_row,
    tags_of,
)
from backend.models import Page, TagCount, TagPage, from_epoch_and_offset

_indexed: set[str] = set()
"""Graph keys whose tag indexes this process has made sure of."""


def ensure_tag_indexes(graph: Graph) -> None:
    """Give a journal made before tags its tag indexes (once per process and journal;
    a new journal has them from ``schema.create_indexes``)."""
    if graph.key in _indexed:
        return
    rows = graph.read("CALL db.indexes() YIELD label, properties RETURN label, properties")
    have = [name for label, names in rows if label == EPISODE for name in tags_of(names)]
    if any(name not in have for name in TAG_INDEXES):
        create_tag_indexes(graph, have)
    _indexed.add(graph.key)


def _filter(
    tag: str | None, starred: bool
) -> tuple[str, dict[str, Any], Callable[[list[Any]], bool]]:
    """The WHERE clause for entries with ``tag`` (None: any) and, with ``starred``, a
    star; its parameters; and the same test for a row of ``SUMMARY_FIELDS``."""
    parts, params = [], {}
    if tag is not None:
        parts.append("$tag IN e.tags")
        params["tag"] = tag
    if starred:
        parts.append("e.starred = true")
    where = " AND ".join(parts) or "true"

    def keeps(row: list[Any]) -> bool:
        return (tag is None or tag in tags_of(row[6])) and (not starred or is_true(row[7]))

    return where, params, keeps


def filtered_page(
    graph: Graph,
    *,
    tag: str | None,
    starred: bool,
    limit: int,
    before: str | None = None,
) -> Page:
    """A page of the entries with ``tag`` (None: any) and, with ``starred``, a star,
    newest first, starting just older than cursor ``before``."""
    ensure_tag_indexes(graph)
    where, params, keeps = _filter(tag, starred)
    rows: list[list[Any]] = []
    at: int | None = None
    if before is not None:
        at, tie = parse_cursor(before)
        same = graph.read(
            f"MATCH (e:{EPISODE}) WHERE {where} AND e.entry_at = $at RETURN {SUMMARY_FIELDS}",
            {**params, "at": at},
        )
        rows = sorted(
            (r for r in same if r[3] == at and (r[5], r[0]) < tie and keeps(r)),
            key=lambda r: (r[5], r[0]),
            reverse=True,
        )
    if len(rows) <= limit:
        older = "" if at is None else " AND e.entry_at < $at"
        more = graph.read(
            f"MATCH (e:{EPISODE}) WHERE {where}{older} WITH e ORDER BY e.entry_at DESC, "
            f"e.created_at DESC, e.id DESC LIMIT $limit RETURN {SUMMARY_FIELDS}",
            {**params, "at": at, "limit": limit + 1 - len(rows)},
        )
        rows += [r for r in more if (at is None or r[3] < at) and keeps(r)]
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    cursor = f"{last[3]}:{last[5]}:{last[0]}" if has_more and last else None
    return Page(entries=[summary_from_row(r) for r in rows], next_cursor=cursor)


def tag_counts(graph: Graph) -> list[TagCount]:
    """Every tag in the journal with how many entries carry it and when it was last
    used, most used first (then by name)."""
    rows = graph.read(
        f"MATCH (e:{EPISODE}) WHERE e.tags IS NOT NULL UNWIND e.tags AS t "
        "RETURN t, count(e), max(e.entry_at)"
    )
    # Each tag's newest entry, for the offset its time is shown in.
    newest = graph.read(
        f"MATCH (e:{EPISODE}) WHERE e.entry_at IN $ats RETURN e.entry_at, e.utc_offset, e.tags",
        {"ats": sorted({int(r[2]) for r in rows})},
    )
    offsets: dict[tuple[str, int], int] = {}
    for at, offset, tags in newest:
        for tag in tags_of(tags):
            offsets.setdefault((tag, int(at)), int(offset))
    found = [
        TagCount(
            tag=str(tag),
            count=int(count),
            last_used=from_epoch_and_offset(int(at), offsets.get((str(tag), int(at)), 0)),
        )
        for tag, count, at in rows
    ]
    return sorted(found, key=lambda t: (-t.count, t.tag))


def _end(graph: Graph, tag: str, order: str) -> datetime | None:
    rows = graph.read(
        f"MATCH (e:{EPISODE}) WHERE $tag IN e.tags WITH e ORDER BY e.entry_at {order} "
        "LIMIT 1 RETURN e.entry_at, e.utc_offset, e.tags",
        {"tag": tag},
    )
    rows = [r for r in rows if tag in tags_of(r[2])]
    return from_epoch_and_offset(int(rows[0][0]), int(rows[0][1])) if rows else None


def tag_page(graph: Graph, tag: str, *, limit: int) -> TagPage:
    """The tag's page: how many entries carry it, its first and last use, and its
    newest ``limit`` entries."""
    ensure_tag_indexes(graph)
    rows = graph.read(f"MATCH (e:{EPISODE}) WHERE $tag IN e.tags RETURN count(e)", {"tag": tag})
    return TagPage(
        tag=tag,
        count=int(rows[0][0]) if rows else 0,
        first_used=_end(graph, tag, "ASC"),
        last_used=_end(graph, tag, "DESC"),
        entries=filtered_page(graph, tag=tag, starred=False, limit=limit),
    )
