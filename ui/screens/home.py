"""The home screen: the open journal's entries, newest first, a page at a time."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import ScreenResume
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, get_current_worker

from backend.models import Entry, Page
from ui import timeline
from ui.dialogs.confirm_delete import ConfirmDelete
from ui.dialogs.journals import JournalSwitcher
from ui.messages import EntriesChanged
from ui.screens.editor import EditorScreen
from ui.widgets.entry_list import EntryList
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers


class HomeScreen(BackendWorkers, Screen[None]):
    """Lists entries under week and month dividers and loads older pages on demand."""

    HELP_TITLE = "Entries"
    PAGE_SIZE = 100
    """Entries fetched per request; the next page is fetched as the cursor nears the end."""

    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("d", "delete", "Delete"),
        Binding("r", "reenrich", "Re-enrich", show=False),
        Binding("j", "journals", "Journals"),
        Binding("/", "app.open_search", "Search"),
        Binding("p", "app.open_period", "Month"),
        Binding("i", "app.open_import", "Import"),
        Binding("q", "app.quit", "Quit"),
    ]

    class PageLoaded(Message):
        """A page of entries arrived."""

        def __init__(
            self,
            page: Page,
            generation: int,
            *,
            before: str | None,
            reset: bool,
            select: str | None,
        ) -> None:
            super().__init__()
            self.page = page
            self.before = before
            self.generation = generation
            self.reset = reset
            self.select = select

    class EntryFetched(Message):
        """A whole entry arrived for editing."""

        def __init__(self, entry: Entry) -> None:
            super().__init__()
            self.entry = entry

    class EntryDeleted(Message):
        """An entry was deleted from this screen."""

    class Requeued(Message):
        """An entry was queued for enrichment again (``queued`` False: it already was)."""

        def __init__(self, queued: bool) -> None:
            super().__init__()
            self.queued = queued

    def __init__(self) -> None:
        super().__init__()
        # Every reload bumps the generation; pages from an older one are dropped, so a
        # slow page can never land in a list that was reloaded (or a switched journal).
        self._generation = 0
        self._cursor: str | None = None
        self._paging = False
        self._stale = False
        self._select: str | None = None

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        yield EntryList(id="entries")
        yield Static(id="home-empty", markup=False)
        yield Footer(show_command_palette=False)  # Ctrl+P still opens it; room for keys.

    def on_mount(self) -> None:
        self.reload()

    @property
    def entry_list(self) -> EntryList:
        """The list widget."""
        return self.query_one(EntryList)

    def reload(self, select: str | None = None, *, fresh: bool = False) -> None:
        """Fetch the list again from the newest entry.

        By default as many rows as are loaded now are fetched and the cursor stays
        where it was, so saving an entry deep in the list does not lose the place;
        ``fresh`` (another journal) starts over at the top with one page.
        """
        self._generation += 1
        self._stale = False
        self._paging = False
        entries = self.entry_list
        entries.loading = True
        if fresh:
            entries.highlighted = None
        limit = self.PAGE_SIZE if fresh else max(self.PAGE_SIZE, entries.entry_count)
        self._load_page(self._generation, None, limit, reset=True, select=select)

    def request_reload(self, select: str | None = None) -> None:
        """Reload now if this screen is showing, else as soon as it shows again."""
        if self.is_current:
            self.reload(select)
        else:
            self._stale, self._select = True, select

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Catch up on changes made while another screen was on top."""
        if self._stale:
            self.reload(self._select)

    @work(thread=True, exclusive=True, group="home-page", exit_on_error=False)
    def _load_page(
        self,
        generation: int,
        before: str | None,
        limit: int,
        *,
        reset: bool,
        select: str | None,
    ) -> None:
        page = self.api.list_entries(journal=self.charlie.journal, limit=limit, before=before)
        if not get_current_worker().is_cancelled:
            self.post_message(
                self.PageLoaded(page, generation, before=before, reset=reset, select=select)
            )

    def on_home_screen_page_loaded(self, message: PageLoaded) -> None:
        """Show a fresh list, or append an older page to it."""
        if message.generation != self._generation:
            return
        entries = self.entry_list
        self._cursor = message.page.next_cursor
        if self._cursor is not None and self._cursor == message.before:
            self._cursor = None  # A cursor that does not move would page forever.
        self._paging = False
        if message.reset:
            entries.show_entries(message.page.entries, self.charlie.now(), select=message.select)
            entries.loading = False
            self._show_empty_state(not message.page.entries)
            # Only a fresh list can change whether an entry is under the cursor (the
            # cursor never rests on a divider), so the footer is refreshed here alone.
            self.refresh_bindings()
        else:
            entries.add_entries(message.page.entries)

    def _show_empty_state(self, empty: bool) -> None:
        note = self.query_one("#home-empty", Static)
        note.update(
            f"“{self.charlie.journal}” has no entries yet.\n\n"
            "Press n to write your first entry.\n"
            "Press j to switch journals, ? to see every key."
        )
        note.display = empty
        self.entry_list.display = not empty
        if not empty:
            self.entry_list.focus()

    def on_entry_list_end_neared(self, message: EntryList.EndNeared) -> None:
        """Fetch the next older page, once at a time."""
        if self._cursor is None or self._paging or self.entry_list.loading:
            return
        self._paging = True
        self._load_page(self._generation, self._cursor, self.PAGE_SIZE, reset=False, select=None)

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop waiting; a later key press or reload can try again."""
        self._paging = False
        self.entry_list.loading = False

    def on_entry_list_selected(self, message: EntryList.Selected) -> None:
        """Open the chosen entry in the reader."""
        # Imported on first use: the Markdown renderer is a sizeable share of start-up.
        from ui.screens.reader import ReaderScreen

        self.app.push_screen(ReaderScreen(message.entry_id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim Edit and Delete while there is no entry under the cursor."""
        if (
            action in ("edit", "delete", "reenrich")
            and self.entry_list.highlighted_entry_id is None
        ):
            return None
        return True

    def action_new(self) -> None:
        """Write a new entry."""
        self.app.push_screen(EditorScreen())

    def action_edit(self) -> None:
        """Edit the highlighted entry (fetched whole first: the list holds previews)."""
        entry_id = self.entry_list.highlighted_entry_id
        if entry_id is not None:
            self._fetch_for_edit(entry_id)

    @work(thread=True, exclusive=True, group="home-fetch", exit_on_error=False)
    def _fetch_for_edit(self, entry_id: str) -> None:
        entry = self.api.get_entry(entry_id, journal=self.charlie.journal)
        self.post_message(self.EntryFetched(entry))

    def on_home_screen_entry_fetched(self, message: EntryFetched) -> None:
        """Open the editor on the fetched entry."""
        self.app.push_screen(EditorScreen(message.entry))

    def action_delete(self) -> None:
        """Delete the highlighted entry after asking."""
        entry_id = self.entry_list.highlighted_entry_id
        summary = None if entry_id is None else self.entry_list.summary(entry_id)
        if summary is None:
            return

        def answered(delete: bool | None) -> None:
            if delete:
                self._delete(summary.id)

        title = summary.display_title
        self.app.push_screen(ConfirmDelete(title, timeline.long_date(summary.entry_at)), answered)

    @work(thread=True, exclusive=True, group="home-delete", exit_on_error=False)
    def _delete(self, entry_id: str) -> None:
        self.api.delete_entry(entry_id, journal=self.charlie.journal)
        self.post_message(self.EntryDeleted())

    def on_home_screen_entry_deleted(self, message: EntryDeleted) -> None:
        """Confirm and refresh."""
        self.notify("Entry deleted")
        self.app.post_message(EntriesChanged(None))

    def action_reenrich(self) -> None:
        """Queue the highlighted entry for enrichment again, ahead of any backlog."""
        entry_id = self.entry_list.highlighted_entry_id
        if entry_id is not None:
            self._reenrich(entry_id)

    @work(thread=True, group="home-reenrich", exit_on_error=False)
    def _reenrich(self, entry_id: str) -> None:
        self.post_message(self.Requeued(self.api.reenrich(entry_id, journal=self.charlie.journal)))

    def on_home_screen_requeued(self, message: Requeued) -> None:
        """Confirm, and let the indicator catch up at once."""
        self.notify("Queued for enrichment" if message.queued else "Already queued for enrichment")
        self.charlie.refresh_queue()

    def action_journals(self) -> None:
        """Open the journal switcher."""
        self.app.push_screen(JournalSwitcher(self.charlie.journal), self._journal_chosen)

    def _journal_chosen(self, name: str | None) -> None:
        if name is not None:
            self.charlie.switch_journal(name)
