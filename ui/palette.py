"""The command palette (Ctrl+P): every app action by name, beside Textual's own commands.

Each command is the same action a key runs, so the palette and the keys never disagree.
Commands that act on the home screen (a new entry, another journal) go back to it first,
but only over screens that hold nothing unsaved: with an editor open they are not offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

from ui.screens.editor import EditorScreen

if TYPE_CHECKING:
    from ui.app import CharlieApp


def app_commands(app: CharlieApp, screen: Screen[object]) -> Iterable[SystemCommand]:
    """Charlie's commands for the palette opened over ``screen``."""
    editing = any(isinstance(s, EditorScreen) for s in app.screen_stack)
    if not editing:
        yield SystemCommand("New entry", "Write a new entry", _at_home(app, "action_new"))
        yield SystemCommand(
            "Switch journal",
            "Open another journal, or see how many entries each holds",
            _at_home(app, "action_journals"),
        )
    for title, help_text, run in (
        ("Search", "Entries and names (filters: journal: tag: person: …)", app.action_open_search),
        ("Month", "Who and what appeared this month", app.action_open_period),
        ("Calendar", "Entries per day, streaks, words per week", app.action_open_calendar),
        ("Your page", "Your people, places, groups and activities", app.action_open_author),
        ("Queue", "What the background worker does and what waits", app.action_open_queue),
        ("Dead jobs", "Jobs that failed for good: retry or discard", app.action_open_dead),
        ("Settings", "Model, inference, backups and the rest", app.action_open_settings),
        ("Import", "Entries from Day One, jrnl or a folder of files", app.action_open_import),
        ("Export", "Journals as Markdown files or one JSON file", lambda: open_export(app)),
        ("Back up now", "A backup of everything, in the backups folder", lambda: back_up_now(app)),
        ("Blocked names", "Names never picked out of entries", app.action_open_blocked),
        ("Doctor", "Check data, database, worker, model, queue, backups", app.action_open_doctor),
    ):
        yield SystemCommand(title, help_text, run)


def open_export(app: CharlieApp) -> None:
    """Ask where and how to export, then export in the background."""
    from ui.dialogs.export import ExportDialog

    if not isinstance(app.screen, ExportDialog) and not app.still_opening():
        app.push_screen(ExportDialog(app.journal))


def back_up_now(app: CharlieApp) -> None:
    """Write a backup in a thread and say where it went (or why it could not)."""
    if app.still_opening():
        return

    def run() -> None:
        try:
            path = app.api.backups.snapshot("manual")
        except Exception as error:  # Shown in the app's one error dialog, not dropped.
            app.call_from_thread(app.show_error, error)
            return
        app.call_from_thread(app.notify, f"Backup written: {path}", title="Backed up")

    app.notify("Backing up…")
    app.run_worker(run, thread=True, group="backup-now", exit_on_error=False)


def _at_home(app: CharlieApp, action: str) -> Callable[[], None]:
    """Run a home-screen action, after going back to the home screen."""

    def run() -> None:
        while len(app.screen_stack) > 1:
            app.pop_screen()
        getattr(app.home, action)()

    return run
