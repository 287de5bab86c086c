"""Write a new entry or change one: a title, a date and time, and a Markdown body.

The rule this screen lives by is that nothing typed is ever lost. Leaving saves; a
save that fails (a bad date, a body over the limit, a broken connection) shows why
and leaves every field as it was, and the screen stays open until a save succeeds.
The only thing ever thrown away is a new entry with nothing typed in it.
"""

from __future__ import annotations

from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, TextArea
from textual.worker import Worker

from backend.errors import CharlieError
from backend.models import Entry
from backend.validation import parse_entry_date
from ui import timeline
from ui.messages import EntriesChanged
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers


class EditorScreen(BackendWorkers, Screen[Entry | None]):
    """Dismisses with the saved Entry, or None when nothing needed saving."""

    HELP_TITLE = "Editor"
    EDITING_REFRESH_SECONDS = 10.0
    """How often the "user is typing" flag is renewed (the backend forgets it after 30 s)."""
    BINDINGS = [
        Binding("escape", "save", "Save & close"),
        Binding("ctrl+s", "save", "Save & close", priority=True),
    ]

    class Saved(Message):
        """The backend stored the entry."""

        def __init__(self, entry: Entry) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, entry: Entry | None = None) -> None:
        super().__init__()
        self.entry = entry
        """The entry being changed, or None for a new one."""
        self._opened_at: datetime | None = None
        self._initial_date = ""
        self._saving = False
        self._then_quit = False

    @property
    def is_new(self) -> bool:
        """True when writing a new entry rather than changing one."""
        return self.entry is None

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with Vertical(id="editor-form"):
            with Horizontal(id="editor-fields"):
                yield Label("Title", classes="editor-label")
                yield Input(placeholder="optional", id="editor-title")
                yield Label("When", classes="editor-label")
                yield Input(placeholder="YYYY-MM-DD HH:MM", id="editor-date")
            yield TextArea(id="editor-body", soft_wrap=True, show_line_numbers=False)
        yield Footer()

    def on_mount(self) -> None:
        # While the editor is open the worker does not load the model, so typing
        # never stutters; the flag expires by itself if Charlie dies meanwhile.
        self.charlie.report_editing(True)
        self.set_interval(self.EDITING_REFRESH_SECONDS, self._still_editing)
        self.sub_title = f"{self._journal} · {'New entry' if self.is_new else 'Edit entry'}"
        now = self.charlie.now()
        self._opened_at = now
        shown = now if self.entry is None else self.entry.entry_at
        self._initial_date = timeline.editor_date(shown)
        title, date, body = self._widgets()
        date.value = self._initial_date
        if self.entry is not None:
            title.value = self.entry.title
            body.load_text(self.entry.body)
        # A blinking cursor is an animation; honour the app's animation setting (and
        # keep snapshots, which switch animations off, stable).
        blink = self.app.animation_level != "none"
        title.cursor_blink = date.cursor_blink = body.cursor_blink = blink
        body.focus()
        if self.entry is not None:
            body.move_cursor(body.document.end)

    def _still_editing(self) -> None:
        self.charlie.report_editing(True)

    def on_unmount(self) -> None:
        self.charlie.report_editing(False)

    def _widgets(self) -> tuple[Input, Input, TextArea]:
        return (
            self.query_one("#editor-title", Input),
            self.query_one("#editor-date", Input),
            self.query_one("#editor-body", TextArea),
        )

    def action_save(self) -> None:
        """Save and close (Escape, Ctrl+S)."""
        self.save()

    def save(self, *, then_quit: bool = False) -> None:
        """Save what is in the fields; close on success, stay open on any error.

        Ctrl+S and Ctrl+Q are priority keys, which the app handles before the focused
        field has handled the keys typed just before them (those wait in the field's
        own queue). So the save is queued behind them, and a fast typist's last
        letters are in the saved text.
        """
        field = self.focused or self
        field.call_later(self._save_now, then_quit=then_quit)

    def _save_now(self, *, then_quit: bool) -> None:
        if self._saving:
            # A save is under way; when it lands it also quits, if that was asked for.
            self._then_quit = self._then_quit or then_quit
            return
        self._then_quit = then_quit
        title_box, date_box, body_box = self._widgets()
        title, date_text, body = title_box.value, date_box.value, body_box.text
        if self.entry is None and not title.strip() and not body.strip():
            self.notify("Empty entry discarded")
            self._close(None)
            return
        try:
            when = self._entry_time(date_text)
        except CharlieError as error:
            self._then_quit = False
            date_box.focus()
            self.charlie.show_error(error)
            return
        if self.entry is not None and self._unchanged(title, body, when):
            self._close(None)
            return
        self._saving = True
        self.query_one("#editor-form").loading = True
        self._store(title, body, when)

    def _entry_time(self, text: str) -> datetime | None:
        """The time to store, or None to keep an edited entry's time exactly as it was."""
        if text.strip() == self._initial_date:
            # Untouched: keep the seconds and the offset the field does not show.
            return self._opened_at if self.entry is None else None
        now = self.charlie.now()
        if self.entry is not None and self.entry.entry_at.tzinfo is not None:
            # The field showed the entry's own wall time, so a typed time without an
            # offset means the same zone, not the reader's.
            now = now.astimezone(self.entry.entry_at.tzinfo)
        return parse_entry_date(text, now=now)

    def _unchanged(self, title: str, body: str, when: datetime | None) -> bool:
        assert self.entry is not None
        return when is None and title.strip() == self.entry.title and body == self.entry.body

    @work(thread=True, exclusive=True, group="editor-save", exit_on_error=False)
    def _store(self, title: str, body: str, when: datetime | None) -> None:
        if self.entry is None:
            assert when is not None
            saved = self.api.add_entry(body, title=title, entry_at=when, journal=self._journal)
        else:
            saved = self.api.edit_entry(
                self.entry.id, title=title, body=body, entry_at=when, journal=self._journal
            )
        self.post_message(self.Saved(saved))

    @property
    def _journal(self) -> str:
        return self.entry.journal if self.entry is not None else self.charlie.journal

    def on_editor_screen_saved(self, message: Saved) -> None:
        """Tell the other screens and close."""
        self._saving = False
        self.query_one("#editor-form").loading = False
        self.app.post_message(EntriesChanged(message.entry.id))
        self.notify("Entry saved" if self.is_new else "Changes saved")
        self._close(message.entry)

    def worker_failed(self, worker: Worker[object]) -> None:
        """Give the fields back, untouched, so the user can fix what was wrong."""
        self._saving = False
        self._then_quit = False
        self.query_one("#editor-form").loading = False
        self.query_one("#editor-body", TextArea).focus()

    def _close(self, result: Entry | None) -> None:
        if self._then_quit:
            self.app.exit()
        else:
            self.dismiss(result)
