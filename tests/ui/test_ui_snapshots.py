"""Snapshots of each screen at a fixed size, clock and data, with animations off.

Entry ids are random, so nothing shown here may depend on them; the UI never shows ids.
Update with ``pytest tests/ui/test_ui_snapshots.py --snapshot-update`` and look at the
SVGs before committing them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from backend.api import CharlieAPI
from tests.helpers.ui import NOW, SIZE, make_app, seed, settle, wait_for
from ui.app import StartupErrorApp
from ui.widgets.entry_list import EntryList

READER_BODY = """\
Met **Ana** and Tom at *Luigi's* on Via Roma.

## What we ate

- Pasta alla norma
- Tiramisu, shared three ways

> "Same time next month?" — Tom

We walked back along the river afterwards.
"""


def seed_journal(api: CharlieAPI) -> None:
    """Entries across this week, last week, earlier this month and older months."""
    seed(
        api,
        (NOW - timedelta(hours=2), "Morning run", "Ran 5k along the river with Sam.\nFelt great."),
        (NOW - timedelta(days=1, hours=3), "Dinner at Luigi's", READER_BODY),
        (NOW - timedelta(days=2), "", "# No title here\nThe first line stands in for one."),
        (
            NOW - timedelta(days=8),
            "Book club",
            "We discussed Middlemarch for two hours and still did not agree about "
            "Dorothea, Casaubon, Lydgate, Rosamond, or whether anyone should marry anyone.",
        ),
        (NOW - timedelta(days=16), "Trip planning", "Lisbon in May? Ask [Ana] about dates."),
        (datetime(2026, 2, 6, 18, 30, tzinfo=timezone(timedelta(hours=1))), "Snow", "Again."),
        (datetime(2025, 12, 24, 20, 0, tzinfo=UTC), "Christmas Eve", "Family at home."),
    )


async def _settled(pilot: Pilot[Any]) -> None:
    await settle(pilot)


def test_home_empty(snap_compare: Any, api: CharlieAPI) -> None:
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=_settled)


def test_home_with_entries(snap_compare: Any, api: CharlieAPI) -> None:
    seed_journal(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=_settled)


def test_home_with_drafts(snap_compare: Any, api: CharlieAPI) -> None:
    """Drafts written while the app runs (another window's): the line above the list
    and the mark on the entry being edited."""
    seed_journal(api)
    second = api.list_entries(limit=2).entries[1]

    async def drafts_elsewhere(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        api.save_draft("dsnapedit", entry_id=second.id, title=second.title, body="More.")
        api.save_draft("dsnapnew", entry_id=None, title="", body="Half a thought")
        entries = pilot.app.screen_stack[0].query_one(EntryList)
        await wait_for(pilot, lambda: entries.has_draft(second.id), "the draft mark")
        await wait_for(
            pilot, lambda: "1 new" in str(pilot.app.query_one("#home-drafts").render()), "both"
        )
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=drafts_elsewhere)


def test_editor(snap_compare: Any, api: CharlieAPI) -> None:
    seed_journal(api)

    async def edit_second(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("down", "e")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=edit_second)


def test_new_entry_with_bad_date(snap_compare: Any, api: CharlieAPI) -> None:
    async def bad_date(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Keep")
        pilot.app.screen.query_one("#editor-date", Input).value = "2024-13-45"
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=bad_date)


def test_reader(snap_compare: Any, api: CharlieAPI) -> None:
    seed_journal(api)

    async def read_second(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=read_second)


def test_delete_confirmation(snap_compare: Any, api: CharlieAPI) -> None:
    seed_journal(api)

    async def ask_delete(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=ask_delete)


def test_help(snap_compare: Any, api: CharlieAPI) -> None:
    seed_journal(api)

    async def open_help(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=open_help)


def test_journal_switcher(snap_compare: Any, api: CharlieAPI) -> None:
    seed_journal(api)
    api.create_journal("Work")
    api.create_journal("Dreams")

    async def open_switcher(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=open_switcher)


def test_startup_error(snap_compare: Any) -> None:
    app = StartupErrorApp(
        "Another Charlie owns /home/me/.local/share/charlie but its database server "
        "does not answer. Stop that Charlie (or wait for it to exit) and try again."
    )
    app.animation_level = "none"
    assert snap_compare(app, terminal_size=SIZE)
