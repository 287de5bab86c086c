"""The command palette offers every app action, and the ones only it offers work."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import Checkbox, Input, RadioSet

from backend.root import Charlie
from tests.helpers.ui import NOW, SIZE, Notes, make_app, seed, settle, type_text, wait_for
from ui.dialogs.export import ExportDialog
from ui.dialogs.journals import JournalSwitcher
from ui.palette import app_commands
from ui.screens.editor import EditorScreen
from ui.screens.home import HomeScreen
from ui.screens.queue import QueueScreen

EVERY_ACTION = {
    "New entry",
    "Switch journal",
    "Search",
    "Month",
    "Calendar",
    "Your page",
    "Queue",
    "Dead jobs",
    "Settings",
    "Import",
    "Export",
    "Back up now",
    "Blocked names",
    "Doctor",
}


async def run_command(pilot, title: str) -> None:  # type: ignore[no-untyped-def]
    """Open the palette, type the command's name, run the first match."""
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette), "the palette")
    await type_text(pilot, title)
    found = pilot.app.screen.query_one(CommandList)
    await wait_for(pilot, lambda: found.option_count > 0, f"matches for {title!r}")
    await pilot.press("enter")
    await settle(pilot)


async def test_every_app_action_is_offered_and_none_twice(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app_commands(app, app.screen)]
        assert set(titles) == EVERY_ACTION and len(titles) == len(set(titles))
        everything = [c.title for c in app.get_system_commands(app.screen)]
        assert set(titles) <= set(everything)  # Textual's own (Quit, Keys, …) follow.


async def test_new_entry_and_switch_journal_go_back_home_first(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await run_command(pilot, "Switch journal")
        assert isinstance(app.screen, JournalSwitcher)
        assert isinstance(app.screen_stack[-2], HomeScreen)
        await pilot.press("escape")
        await settle(pilot)
        await run_command(pilot, "New entry")
        assert isinstance(app.screen, EditorScreen)
        # With an editor open nothing may pop it: the home-screen commands are not offered.
        titles = {c.title for c in app_commands(app, app.screen)}
        assert "New entry" not in titles and "Switch journal" not in titles


async def test_export_from_the_palette_writes_the_open_journal(api: Charlie) -> None:
    seed(api, (NOW - timedelta(days=1), "Rain", "It rained."))
    api.journals.create("Work")
    seed(api, (NOW - timedelta(days=2), "Work", "Busy."), journal="Work")
    target = Path.home() / "out.json"
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_command(pilot, "Export")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        kinds = dialog.query_one("#export-kind", RadioSet)
        kinds.action_next_button()
        kinds.action_toggle_button()
        await wait_for(pilot, lambda: dialog.kind == "json", "JSON chosen")
        dialog.query_one("#export-only-open", Checkbox).value = True
        dialog.query_one("#export-target", Input).value = str(target)
        await pilot.click("#export-go")
        await settle(pilot)
        result = str(dialog.query_one("#export-result").render())
        assert result == f"Wrote 1 entry to {target}"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
    exported = json.loads(target.read_text())
    bodies = [e["body"] for j in exported["journals"] for e in j["entries"]]
    assert bodies == ["It rained."]


async def test_back_up_now_writes_a_backup_and_says_where(api: Charlie) -> None:
    before = len(api.backups.list())
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await run_command(pilot, "Back up now")
        await wait_for(pilot, lambda: len(api.backups.list()) == before + 1, "the backup")
        newest = max(api.backups.list(), key=lambda b: b.path.stat().st_mtime)
        await wait_for(
            pilot,
            lambda: f"Backup written: {newest.path}" in notes.messages,
            "the note saying where the backup went",
        )
