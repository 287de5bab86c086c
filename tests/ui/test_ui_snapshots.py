"""Snapshots of each screen at a fixed size, clock and data, with animations off.

Entry ids are random, so nothing shown here may depend on them; the UI never shows ids.
Update with ``pytest tests/ui/test_ui_snapshots.py --snapshot-update`` and look at the
SVGs before committing them.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from backend.root import Charlie
from tests.helpers.seeds import seed_journal
from tests.helpers.ui import SIZE, make_app, settle, wait_for
from ui.app import StartupErrorApp
from ui.widgets.entry_list import EntryList


def test_home_empty(snap_compare: Any, api: Charlie) -> None:
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=settle)


def test_home_with_entries(snap_compare: Any, api: Charlie) -> None:
    seed_journal(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=settle)


def test_home_with_drafts(snap_compare: Any, api: Charlie) -> None:
    """Drafts written while the app runs (another window's): the line above the list
    and the mark on the entry being edited."""
    seed_journal(api)
    second = api.journal().entries.list(limit=2).entries[1]

    async def drafts_elsewhere(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        api.journal().drafts.save("dsnapedit", entry_id=second.id, title=second.title, body="More.")
        api.journal().drafts.save("dsnapnew", entry_id=None, title="", body="Half a thought")
        entries = pilot.app.screen_stack[0].query_one(EntryList)
        await wait_for(pilot, lambda: entries.has_draft(second.id), "the draft mark")
        await wait_for(
            pilot, lambda: "1 new" in str(pilot.app.query_one("#home-drafts").render()), "both"
        )
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=drafts_elsewhere)


def test_editor(snap_compare: Any, api: Charlie) -> None:
    seed_journal(api)

    async def edit_second(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("down", "e")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=edit_second)


def test_new_entry_with_bad_date(snap_compare: Any, api: Charlie) -> None:
    async def bad_date(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"Keep")
        pilot.app.screen.query_one("#editor-date", Input).value = "2024-13-45"
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=bad_date)


def test_reader(snap_compare: Any, api: Charlie) -> None:
    seed_journal(api)

    async def read_second(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=read_second)


def test_delete_confirmation(snap_compare: Any, api: Charlie) -> None:
    seed_journal(api)

    async def ask_delete(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=ask_delete)


def test_help(snap_compare: Any, api: Charlie) -> None:
    seed_journal(api)

    async def open_help(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=open_help)


def test_journal_switcher(snap_compare: Any, api: Charlie) -> None:
    seed_journal(api)
    api.journals.create("Work")
    api.journals.create("Dreams")

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
