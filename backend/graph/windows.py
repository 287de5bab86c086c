"""Reading an entity's newest (or oldest) mentions through time windows of the entry_at
index, for someone mentioned in so many entries that sorting all of them is the cost
(see ``views.entity_page``), as ``Store._newest`` pages entries."""

from __future__ import annotations

import time
from typing import Any

from backend.graph.cypher import Graph

MIN_WINDOW = 3600
"""Seconds: the least time window asked for."""
# Hints for where windows start (never results): see windowed_mentions and journal_end.
_BOUNDS: dict[tuple[str, str, bool], int] = {}
_BOUNDS_KEPT = 10_000
_ENDS: dict[tuple[str, bool], int] = {}


def windowed_mentions(
    graph: Graph,
    entity_id: str,
    wanted: int,
    *,
    newest: bool,
    window: int,
    fields: str,
    params: dict[str, Any],
) -> list[list[Any]]:
    """The ``wanted`` newest (or oldest) mentions of an entity, through the entry_at
    index: the mentions in a window of time at the journal's end, widened until it holds
    ``wanted`` or reaches the other end (as ``Store._newest`` pages entries). Every entry
    past the window's bound is in it, so a full window is exactly the answer. ``window``:
    seconds the first window should hold (more are asked for, to be sure). Rows are
    ``fields`` (the entry bound to ``e``, the mention to ``m``, entry_at fourth), with
    ``params`` for what they use.

    The bound that held them last time is kept as a hint (``_BOUNDS``), so the next
    page starts with a window of about the right size; it only saves queries, the rows
    are read every time."""
    order, past, beyond = ("DESC", ">=", "<") if newest else ("ASC", "<=", ">")
    hint = (graph.key, entity_id, newest)
    bound = _BOUNDS.get(hint)
    step = max(MIN_WINDOW, window * 3 // 2)
    if bound is None:
        end = journal_end(graph, newest=newest)
        if end is None:
            return []
        bound = end - step if newest else end + step
    while True:
        rows = [
            r
            for r in graph.read(
                f"MATCH (e:Episode) WHERE e.entry_at {past} $bound "
                "MATCH (e)-[m:MENTIONS]->(:Entity {id: $id}) "
                f"WITH e, m ORDER BY e.entry_at {order}, e.id {order} LIMIT $limit "
                f"RETURN {fields}",
                {**params, "id": entity_id, "limit": wanted, "bound": bound},
            )
            # Checked again: see Store's note on FalkorDB's index scans.
            if (r[3] >= bound if newest else r[3] <= bound)
        ]
        if len(rows) >= wanted or not graph.read(
            f"MATCH (e:Episode) WHERE e.entry_at {beyond} $bound RETURN 1 LIMIT 1",
            {"bound": bound},
        ):
            if len(rows) >= wanted:
                if len(_BOUNDS) >= _BOUNDS_KEPT:
                    _BOUNDS.clear()
                _BOUNDS[hint] = rows[-1][3]
            return rows
        # Grow by what the window held: a sparse stretch is crossed in a step or two.
        step *= min(64, max(2, 2 * wanted // max(1, len(rows))))
        bound = bound - step if newest else bound + step


def journal_end(graph: Graph, *, newest: bool) -> int | None:
    """About (within a day, never past it) when the journal's newest (or oldest) entry
    was written; None when it has none. Found by halving with "is there an entry after
    T" questions through the entry_at index (a max() would read every entry), once per
    journal and process: it is only where a window starts."""
    key = (graph.key, newest)
    if key in _ENDS:
        return _ENDS[key]

    def beyond(at: int) -> bool:
        op = ">=" if newest else "<="
        return bool(
            graph.read(f"MATCH (e:Episode) WHERE e.entry_at {op} $at RETURN 1 LIMIT 1", {"at": at})
        )

    now = int(time.time())
    sign = 1 if newest else -1
    if not graph.read("MATCH (e:Episode) RETURN 1 LIMIT 1"):
        return None
    # inside: a time with entries beyond it; outside: one with none (gallop, then halve).
    step = 86400
    if beyond(now):
        inside = now
        while beyond(now + sign * step):
            inside, step = now + sign * step, step * 2
        outside = now + sign * step
    else:
        outside = now
        while not beyond(now - sign * step):
            outside, step = now - sign * step, step * 2
        inside = now - sign * step
    while abs(outside - inside) > 86400:
        middle = (inside + outside) // 2
        if beyond(middle):
            inside = middle
        else:
            outside = middle
    _ENDS[key] = inside
    return inside
