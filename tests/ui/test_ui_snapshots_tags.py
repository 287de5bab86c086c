"""Snapshots of the tag filter picker over the home list, and the home list filtered by
a tag (a star and tags on the rows, the filter line above them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.pilot import Pilot

from backend.root import Charlie
from tests.helpers.ui import NOW, SIZE, keys, make_app, settle


def _seed(api: Charlie) -> None:
    entries = api.journal().entries
    entries.add("Lunch with Ana #work", title="Monday", entry_at=NOW - timedelta(hours=1))
    walk = entries.add("Long walk #home #outside", title="Sunday", entry_at=NOW - timedelta(days=1))
    entries.add("Deadline #work #late", title="Friday", entry_at=NOW - timedelta(days=3))
    entries.add("Nothing tagged today", entry_at=NOW - timedelta(days=9))
    entries.star(walk.id)


def test_tag_filter_picker(snap_compare: Any, api: Charlie) -> None:
    _seed(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("number_sign"))


def test_home_filtered_by_tag(snap_compare: Any, api: Charlie) -> None:
    _seed(api)

    async def filter_work(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("number_sign")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # All, Starred, then #work (most used).
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=filter_work)
