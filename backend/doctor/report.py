"""What a check returns and how a report reads.

:class:`Check` is one check's outcome; :func:`check_lines` and :func:`tally` are the text
``charlie doctor`` prints (the app's Doctor screen shows the same), :func:`report_dict`
its ``--json``. :func:`human_size` and :func:`human_age` word the numbers every check
reports the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Check:
    """The outcome of one check."""

    name: str
    """What was checked ("data directory", "worker" …)."""
    ok: bool
    """True for ✓, False for ✗."""
    summary: str
    """One line: what was found."""
    fix: str = ""
    """What to do about it, in words (empty when ok)."""
    details: dict[str, Any] = field(default_factory=dict)
    """Plain JSON-able facts behind the summary, for ``--json`` and bug reports."""

    @property
    def mark(self) -> str:
        return "✓" if self.ok else "✗"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def all_ok(checks: list[Check]) -> bool:
    """Whether every check passed."""
    return all(check.ok for check in checks)


def report_dict(checks: list[Check]) -> dict[str, Any]:
    """The report as ``charlie doctor --json`` prints it: ``{"ok": …, "checks": […]}``."""
    return {"ok": all_ok(checks), "checks": [check.as_dict() for check in checks]}


def check_lines(check: Check) -> list[str]:
    """``✓ name: summary``, or ``✗ name: summary`` and an indented ``fix:`` line."""
    lines = [f"{check.mark} {check.name}: {check.summary}"]
    if not check.ok and check.fix:
        lines.append(f"    fix: {check.fix}")
    return lines


def tally(checks: list[Check]) -> str:
    """The report's last line: how many passed and failed."""
    failed = sum(not check.ok for check in checks)
    return f"{len(checks) - failed} passed, {failed} failed"


def human_size(n: float) -> str:
    """Bytes as people read them: 237 B, 2.8 MB, 1.9 GB."""
    for unit in ("B", "KB", "MB"):
        if n < 1000:
            return f"{n:.0f} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def human_age(seconds: float) -> str:
    """Seconds as people read them: 42 s, 12 min, 5 h, 2.5 days."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.1f} days"
