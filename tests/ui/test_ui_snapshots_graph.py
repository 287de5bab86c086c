"""Snapshots of the knowledge-graph screens: the reader's sidebar, an entity page, search,
the curation dialogs, the month view, and the model lines in Settings.

Same pinning as the other snapshot modules (size, clock, animations). Entity and entry
ids are random, so nothing on screen may depend on them; the UI never shows ids.
Update with ``pytest tests/ui/test_ui_snapshots_graph.py --snapshot-update`` and look at
every SVG before committing it.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from backend.root import Charlie
from tests.helpers.seeds import TO_SARAH, seed_graph
from tests.helpers.ui import SIZE, keys, make_app, settle, type_text, wait_for
from ui.screens.search import SearchScreen


def test_reader_with_connections(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("enter", "tab"))


def test_entity_page(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys(*TO_SARAH))


def test_search_results(snap_compare: Any, api: Charlie) -> None:
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


def test_rename_dialog_with_error(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)

    async def rename(pilot: Pilot[Any]) -> None:
        await keys(*TO_SARAH, "e")(pilot)
        pilot.app.screen.query_one(Input).value = "?!"
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=rename)


def test_merge_picker(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)

    async def merge(pilot: Pilot[Any]) -> None:
        await keys(*TO_SARAH, "m")(pilot)
        await type_text(pilot, "sa")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=merge)


def test_block_confirmation(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys(*TO_SARAH, "b"))


def test_blocked_names(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)
    api.journal().curation.block("Wednesday")
    api.journal().curation.block("Dear Diary")
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("f8"))


def test_period_view(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("p"))


@pytest.fixture
def remote_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings naming a model server (set before the api fixture reads them)."""
    monkeypatch.setenv("CHARLIE_EXTRACTOR", "openai_compat")
    monkeypatch.setenv("CHARLIE_OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("CHARLIE_OPENAI_MODEL", "llama3.2:3b")


def test_settings_with_model(snap_compare: Any, remote_model: None, api: Charlie) -> None:
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("comma"))
