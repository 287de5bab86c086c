"""Read one entry as rendered Markdown and step to the entries around it."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static
from textual.worker import Worker, get_current_worker

from backend.models import Entry
from ui import timeline
from ui.dialogs.confirm_delete import ConfirmDelete
from ui.messages import EntriesChanged
from ui.screens.editor import EditorScreen
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers


class ReaderScreen(BackendWorkers, Screen[None]):
    """Shows one entry; [ and ] (or p and n) step to older and newer ones.

    Only the id is passed in: the entry is fetched here, so the screen always shows
    what is stored, including after an edit.
    """

    HELP_TITLE = "Reader"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("e", "edit", "Edit"),
        Binding("d", "delete", "Delete"),
        Binding("r", "reenrich", "Re-enrich"),
        Binding("left_square_bracket", "older", "Older", key_display="["),
        Binding("right_square_bracket", "newer", "Newer", key_display="]"),
        Binding("p", "older", "Older", show=False),
        Binding("n", "newer", "Newer", show=False),
    ]

    class Loaded(Message):
        """An entry and the ids of its neighbours arrived."""

        def __init__(self, entry: Entry, older: str | None, newer: str | None) -> None:
            super().__init__()
            self.entry = entry
            self.older = older
            self.newer = newer

    class Deleted(Message):
        """The entry on screen was deleted."""

        def __init__(self, entry_id: str) -> None:
            super().__init__()
            self.entry_id = entry_id

    class Requeued(Message):
        """The entry was queued for enrichment again (``queued`` False: it already was)."""

        def __init__(self, queued: bool) -> None:
            super().__init__()
            self.queued = queued

    def __init__(self, entry_id: str) -> None:
        super().__init__()
        self.entry_id = entry_id
        """The id of the entry shown (or being fetched)."""
        self.entry: Entry | None = None
        """The entry shown, once it has arrived."""
        self._older: str | None = None
        self._newer: str | None = None

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with Vertical(id="reader-head"):
            yield Static(id="reader-title", markup=False)
            yield Static(id="reader-date", markup=False)
        with VerticalScroll(id="reader-scroll"):
            yield Markdown(id="reader-body")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.charlie.journal
        self.show(self.entry_id)

    def show(self, entry_id: str) -> None:
        """Fetch and show another entry."""
        self.entry_id = entry_id
        self.query_one("#reader-scroll").loading = True
        self._load(entry_id)

    @work(thread=True, exclusive=True, group="reader-load", exit_on_error=False)
    def _load(self, entry_id: str) -> None:
        journal = self.charlie.journal
        entry = self.api.get_entry(entry_id, journal=journal)
        older, newer = self.api.neighbours(entry_id, journal=journal)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(entry, older, newer))

    async def on_reader_screen_loaded(self, message: Loaded) -> None:
        """Render the entry that arrived."""
        entry = message.entry
        if entry.id != self.entry_id:
            return  # The user already stepped on; a newer load is coming.
        self.entry, self._older, self._newer = entry, message.older, message.newer
        # Without a title the date heads the page: repeating the body's first line
        # as a heading right above the body would only say it twice.
        when = timeline.long_date(entry.entry_at)
        self.query_one("#reader-title", Static).update(entry.title or when)
        date = self.query_one("#reader-date", Static)
        date.update(when)
        date.display = bool(entry.title)
        scroll = self.query_one("#reader-scroll", VerticalScroll)
        await self.query_one("#reader-body", Markdown).update(entry.body)
        scroll.scroll_home(animate=False)
        scroll.loading = False
        scroll.focus()
        self.refresh_bindings()

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop the spinner; what is on screen stays."""
        self.query_one("#reader-scroll").loading = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim keys that cannot do anything (no older entry, nothing loaded yet)."""
        if action == "older":
            return self._older is not None or None
        if action == "newer":
            return self._newer is not None or None
        if action in ("edit", "delete", "reenrich"):
            return self.entry is not None or None
        return True

    def action_older(self) -> None:
        """Show the next older entry."""
        if self._older is None:
            self.notify("This is the oldest entry.")
        else:
            self.show(self._older)

    def action_newer(self) -> None:
        """Show the next newer entry."""
        if self._newer is None:
            self.notify("This is the newest entry.")
        else:
            self.show(self._newer)

    def action_back(self) -> None:
        """Return to the list."""
        self.dismiss(None)

    def action_edit(self) -> None:
        """Edit this entry; show the result when the editor closes."""
        if self.entry is not None:
            self.app.push_screen(EditorScreen(self.entry), self._edited)

    def _edited(self, saved: Entry | None) -> None:
        if saved is not None:
            self.show(saved.id)

    def action_reenrich(self) -> None:
        """Queue this entry for enrichment again, ahead of any backlog."""
        if self.entry is not None:
            self._reenrich(self.entry.id)

    @work(thread=True, group="reader-reenrich", exit_on_error=False)
    def _reenrich(self, entry_id: str) -> None:
        self.post_message(self.Requeued(self.api.reenrich(entry_id, journal=self.charlie.journal)))

    def on_reader_screen_requeued(self, message: Requeued) -> None:
        """Confirm, and let the indicator catch up at once."""
        self.notify("Queued for enrichment" if message.queued else "Already queued for enrichment")
        self.charlie.refresh_queue()

    def action_delete(self) -> None:
        """Delete this entry after asking."""
        entry = self.entry
        if entry is None:
            return

        def answered(delete: bool | None) -> None:
            if delete:
                self._delete(entry.id)

        when = timeline.long_date(entry.entry_at)
        self.app.push_screen(ConfirmDelete(entry.display_title, when), answered)

    @work(thread=True, exclusive=True, group="reader-delete", exit_on_error=False)
    def _delete(self, entry_id: str) -> None:
        self.api.delete_entry(entry_id, journal=self.charlie.journal)
        self.post_message(self.Deleted(entry_id))

    def on_reader_screen_deleted(self, message: Deleted) -> None:
        """Go back to the list, which puts the cursor on the entry that took its place."""
        self.app.post_message(EntriesChanged(None))
        self.notify("Entry deleted")
        self.dismiss(None)
