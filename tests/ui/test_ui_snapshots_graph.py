"""Snapshots of the knowledge-graph screens: the reader's sidebar, an entity page, search,
the curation dialogs, the month view, and the model lines in Settings.

Same pinning as the other snapshot modules (size, clock, animations). Entity and entry
ids are random, so nothing on screen may depend on them; the UI never shows ids.
Update with ``pytest tests/ui/test_ui_snapshots_graph.py --snapshot-update`` and look at
every SVG before committing it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from backend.api import CharlieAPI
from tests.helpers.graph import Lexicon, enrich_all
from tests.helpers.ui import NOW, SIZE, make_app, seed, settle, type_text, wait_for
from ui.screens.search import SearchScreen

NAMES = {
    "Sarah": "Person",
    "Sara": "Person",
    "Tom": "Person",
    "Ana": "Person",
    "Cascais": "Place",
    "Lisbon": "Place",
    "Luigi's": "Place",
    "Harbour Choir": "Group",
    "sailing": "Activity",
    "sledging": "Activity",
}
RELATIONS = (
    ("Sarah", "VISITED", "Cascais"),
    ("Tom", "KNOWS", "Sarah"),
    ("Ana", "LIVES_IN", "Lisbon"),
    ("Tom", "MEMBER_OF", "Harbour Choir"),
)


def seed_graph(api: CharlieAPI) -> None:
    """A small journal whose entities are found by a fixed lexicon."""
    seed(
        api,
        (
            NOW - timedelta(hours=2),
            "A day on the water",
            "Took the boat out with Sarah and Tom. Sarah steered all the way to Cascais "
            "while Tom did the sails.\n\nWe talked about **Lisbon** on the way back; "
            "sailing is still the best way to spend a Wednesday.",
        ),
        (
            NOW - timedelta(days=1, hours=3),
            "Dinner at Luigi's",
            # Counts differ between the names "sa" finds: the backend orders equally
            # relevant names by count only, so equal counts would come in any order.
            "Met Sarah and Ana at Luigi's. Ana is moving to Lisbon in May, for the sailing.",
        ),
        (NOW - timedelta(days=3), "Quick call", "Sara rang about the boat."),
        (
            NOW - timedelta(days=8),
            "Choir night",
            "The Harbour Choir sang downtown. Tom joined the Harbour Choir last year.",
        ),
        (
            datetime(2026, 2, 6, 18, 30, tzinfo=UTC),
            "Snow day",
            "Sarah came over; we went sledging.",
        ),
    )
    enrich_all(api, extractor=Lexicon(NAMES, RELATIONS))


def keys(*presses: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in presses:
            await pilot.press(key)
            await settle(pilot)

    return run


# From home: read the newest entry, move into the sidebar, open its first entity (Sarah).
TO_SARAH = ("enter", "tab", "enter")


def test_reader_with_connections(snap_compare: Any, api: CharlieAPI) -> None:
    seed_graph(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("enter", "tab"))


def test_entity_page(snap_compare: Any, api: CharlieAPI) -> None:
    seed_graph(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys(*TO_SARAH))


def test_search_results(snap_compare: Any, api: CharlieAPI) -> None:
    seed_graph(api)

    async def search(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await type_text(pilot, "sa")
        screen = pilot.app.screen
        assert isinstance(screen, SearchScreen)
        await wait_for(
            pilot,
            lambda: screen.results is not None and screen.results.query == "sa",
            "search results for 'sa'",
        )
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=search)


def test_rename_dialog_with_error(snap_compare: Any, api: CharlieAPI) -> None:
    seed_graph(api)

    async def rename(pilot: Pilot[Any]) -> None:
        await keys(*TO_SARAH, "r")(pilot)
        pilot.app.screen.query_one(Input).value = "?!"
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=rename)


def test_merge_picker(snap_compare: Any, api: CharlieAPI) -> None:
    seed_graph(api)

    async def merge(pilot: Pilot[Any]) -> None:
        await keys(*TO_SARAH, "m")(pilot)
        await type_text(pilot, "sa")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=merge)


def test_block_confirmation(snap_compare: Any, api: CharlieAPI) -> None:
    seed_graph(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys(*TO_SARAH, "b"))


def test_blocked_names(snap_compare: Any, api: CharlieAPI) -> None:
    seed_graph(api)
    api.block_name("Wednesday")
    api.block_name("Dear Diary")
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("f8"))


def test_period_view(snap_compare: Any, api: CharlieAPI) -> None:
    seed_graph(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("p"))


@pytest.fixture
def remote_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings naming a model server (set before the api fixture reads them)."""
    monkeypatch.setenv("CHARLIE_EXTRACTOR", "openai_compat")
    monkeypatch.setenv("CHARLIE_OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("CHARLIE_OPENAI_MODEL", "llama3.2:3b")


def test_settings_with_model(snap_compare: Any, remote_model: None, api: CharlieAPI) -> None:
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("comma"))
