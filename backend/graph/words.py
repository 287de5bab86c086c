"""How many words an entry has, stored on its node as ``words``.

Every entry written since this field exists carries it (``schema.episode_properties``
for new and imported entries, ``Store.update_entry`` for edits), so totals and weekly
sums read one number per entry instead of every body. Entries from before (and nodes
written straight from an export) get theirs here, the first time a total needs them:
counted from the text once and written back, only while the text is still the one that
was counted (a racing edit writes its own count).
"""

from __future__ import annotations

import re
import threading
from typing import Any

from backend.graph.cypher import Graph

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
"""Letters and digits, joined by apostrophes or hyphens ("don't", "well-known" are one
word); Markdown marks (#, -, >, *) are not words."""
FILL_BATCH = 500
"""Entries counted per round trip when filling in missing counts."""


def word_count(title: str, body: str) -> int:
    """The words of an entry's title and body."""
    return len(_WORD.findall(title)) + len(_WORD.findall(body))


def fill_missing(
    graph: Graph,
    *,
    start: int | None = None,
    end: int | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Count and store the words of every entry without a count (with ``start``/``end``:
    only those with ``start <= entry_at < end``); returns how many were filled. ``stop``
    ends it between batches (the next call goes on)."""
    where = "e.words IS NULL"
    params: dict[str, Any] = {"limit": FILL_BATCH}
    if start is not None and end is not None:
        where = "e.entry_at >= $start AND e.entry_at < $end AND " + where
        params.update(start=start, end=end)
    filled = 0
    while stop is None or not stop.is_set():
        rows = graph.read(
            f"MATCH (e:Episode) WHERE {where} "
            "RETURN e.id, e.title, e.body, e.content_hash LIMIT $limit",
            params,
        )
        if not rows:
            return filled
        counted = [
            {"id": r[0], "hash": r[3] or "", "words": word_count(r[1] or "", r[2] or "")}
            for r in rows
        ]
        # Written only where the text is still the one counted; an entry edited
        # meanwhile already has the count of its new text (or gets it next round).
        graph.query(
            "UNWIND $rows AS r MATCH (e:Episode {id: r.id}) "
            "WHERE coalesce(e.content_hash, '') = r.hash AND e.words IS NULL "
            "SET e.words = r.words",
            {"rows": counted},
        )
        filled += len(rows)
        if len(rows) < FILL_BATCH:
            return filled
    return filled
