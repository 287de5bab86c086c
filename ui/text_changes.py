"""Say in a few words how one version of an entry differs from another.

Used where two versions are shown side by side (a conflict, a draft beside the saved
entry), so the reader knows where to look before reading both. Plain functions, no
Textual.
"""

from __future__ import annotations

import difflib


def line_changes(before: str, after: str) -> tuple[int, int]:
    """(lines added, lines removed) from ``before`` to ``after``; a changed line counts
    once each way."""
    added = removed = 0
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines())
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def first_change(before: str, after: str) -> int:
    """The first line of ``after`` that is not in ``before`` as it was (0 if none)."""
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines())
    for tag, _i1, _i2, j1, _j2 in matcher.get_opcodes():
        if tag != "equal":
            return j1
    return 0


def _lines(count: int) -> str:
    return f"{count} line" if count == 1 else f"{count} lines"


def describe(before_title: str, before_body: str, after_title: str, after_body: str) -> str:
    """E.g. "the title; 2 lines added, 1 removed" or "no change to the text"."""
    parts = []
    if before_title.strip() != after_title.strip():
        parts.append("the title")
    added, removed = line_changes(before_body, after_body)
    if added and removed:
        parts.append(f"{_lines(added)} added, {removed} removed")
    elif added:
        parts.append(f"{_lines(added)} added")
    elif removed:
        parts.append(f"{_lines(removed)} removed")
    elif before_body != after_body:
        parts.append("spacing")
    return "; ".join(parts) if parts else "no change to the text"
