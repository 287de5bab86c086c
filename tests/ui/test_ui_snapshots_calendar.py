"""Snapshots of the time views at a fixed size and clock (NOW, Wednesday 18 March 2026):
the calendar with a day's entries listed, and the home screen with "on this day".
Update with ``pytest tests/ui/test_ui_snapshots_calendar.py --snapshot-update`` and look
at the SVGs before committing them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backend.root import Charlie
from tests.helpers.seeds import seed_journal
from tests.helpers.ui import NOW, SIZE, keys, make_app, seed


def seed_year(api: Charlie) -> None:
    """The home's journal, with busier days this year and entries from earlier years
    on this date."""
    seed_journal(api)
    seed(
        api,
        *[
            (NOW - timedelta(days=n, hours=n % 5), f"Day {n}", "Wrote a little. " * (n % 7 + 1))
            for n in (3, 4, 5, 9, 10, 11, 12, 20, 21, 30, 44, 45, 60)
        ],
        (NOW - timedelta(days=1, hours=6), "Second one", "Twice in a day."),
        (datetime(2025, 3, 18, 21, 0, tzinfo=UTC), "Lisbon, a year ago", "First night there."),
        (datetime(2023, 3, 18, 8, 0, tzinfo=UTC), "", "Snow on the lake, three years back."),
    )


def test_calendar(snap_compare: Any, api: Charlie) -> None:
    """F9, then the cursor two days back, its entries listed (Enter)."""
    seed_year(api)
    run = keys("f9", "up", "up", "enter")
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=run)


def test_home_with_on_this_day(snap_compare: Any, api: Charlie) -> None:
    seed_year(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys())
