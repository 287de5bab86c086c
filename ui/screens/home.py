"""The home screen: the open journal's entries, newest first, a page at a time.

It stays live: entries written, edited or deleted by any process (another window, the
CLI, an import) show within a second, the cursor staying on the entry it was on, and
entries with unsaved drafts are marked (see ui/widgets/live_reload.py for the pacing).

While the journal opens it shows the cached first page instead (ui/opening.py), with
every key that needs the database greyed out; then it loads the live list in place.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import ScreenResume
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, get_current_worker

from backend.drafts import Draft
from backend.models import Entry, EntrySummary, Page
from ui import timeline
from ui.dialogs.confirm_delete import ConfirmDelete
from ui.dialogs.journals import JournalSwitcher
from ui.dialogs.tag_filter import TagChoice
from ui.keys import browsing
from ui.messages import DataChanged, EntriesChanged
from ui.screens.editor import EditorScreen
from ui.screens.home_tags import HomeTags, filter_args, filter_text
from ui.widgets.entry_list import EntryList
from ui.widgets.footer import CharlieFooter
from ui.widgets.live_reload import LiveReload
from ui.widgets.on_this_day import OnThisDay
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers


class HomeScreen(HomeTags, BackendWorkers, Screen[None]):
    """Lists entries under week and month dividers and loads older pages on demand."""

    HELP_TITLE = "Entries"
    PAGE_SIZE = 100
    """Entries fetched per request; the next page is fetched as the cursor nears the end."""

    BINDINGS = browsing(
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("d", "delete", "Delete"),
        Binding("r", "reenrich", "Re-enrich", show=False),
        Binding("j", "journals", "Journals"),
        Binding("slash", "app.open_search", "Search", key_display="/"),
        Binding("p", "app.open_period", "Month"),
        Binding("y", "app.open_author", "You"),
        Binding("C", "app.open_calendar", "Calendar", show=False),  # F9 anywhere.
        Binding("q", "app.quit", "Quit"),
        Binding("number_sign", "tag_filter", "Tags", key_display="#", show=False),
        Binding("asterisk", "toggle_star", "Star", key_display="*", show=False),
        Binding("escape", "clear_filter", "All entries", show=False),
    )

    class PageLoaded(Message):
        """A page of entries arrived (with the journal's drafts, for a fresh list)."""

        def __init__(
            self,
            page: Page,
            generation: int,
            *,
            before: str | None,
            reset: bool,
            select: str | None,
            drafts: list[Draft] | None = None,
            keep_place: bool = True,
        ) -> None:
            super().__init__()
            self.page = page
            self.before = before
            self.generation = generation
            self.reset = reset
            self.select = select
            self.drafts = drafts
            self.keep_place = keep_place

    class DraftsLoaded(Message):
        """The open journal's drafts arrived."""

        def __init__(self, journal: str, drafts: list[Draft]) -> None:
            super().__init__()
            self.journal = journal
            self.drafts = drafts

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
        self.list_filter: TagChoice | None = None
        """The tag or star the list is filtered by (None: every entry)."""
        # Every reload bumps the generation; pages from an older one are dropped, so a
        # slow page can never land in a list that was reloaded (or a switched journal).
        self._generation = 0
        self._cursor: str | None = None
        self._paging = False
        self._loaded = False
        self.live = False
        """Whether the list shows rows read from the database (not the cached page)."""
        # What the next reload should do: put the cursor on an entry, start over.
        self._select: str | None = None
        self._fresh = False
        # Reloads (and draft readings) run one at a time, paced for news from elsewhere.
        self._live = LiveReload(self, self._start_reload)
        self._drafts_live = LiveReload(self, self._start_drafts)

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        yield Static(id="home-drafts", markup=False)
        yield Static(id="home-filter", markup=False)
        yield OnThisDay(id="home-on-this-day")  # Absent unless this date has earlier entries.
        yield EntryList(id="entries")
        yield Static(id="home-empty", markup=False)
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.query_one("#home-drafts").display = False
        self.query_one("#home-filter").display = False
        cached = self.charlie.cached_home
        if self.charlie.opening and cached is not None:
            self._show_cached(cached.entries)
        else:
            self.reload()

    def _show_cached(self, cached: list[EntrySummary]) -> None:
        """Show the kept first page until the journal is open (nothing opens meanwhile)."""
        entries = self.entry_list
        entries.can_open = False
        entries.show_entries(cached, self.charlie.now())
        self._loaded = True  # The live list replaces these rows without a spinner.
        self._show_empty_state(not cached)
        self.refresh_bindings()

    def journal_opened(self, *, fresh: bool) -> None:
        """The journal is open: load the live list in place of the cached one (``fresh``:
        the default journal is another one now, start at its top)."""
        self.entry_list.can_open = True
        self.reload(fresh=fresh)
        self.refresh_bindings()

    @property
    def entry_list(self) -> EntryList:
        """The list widget."""
        return self.query_one(EntryList)

    def reload(self, select: str | None = None, *, fresh: bool = False) -> None:
        """Fetch the list again from the newest entry (now, or right after the reload
        that is running).

        By default as many rows as are loaded now are fetched and the cursor stays on
        the entry it is on (``select``: on that entry instead), so a change deep in the
        list does not lose the place; ``fresh`` (another journal) starts over at the top
        with one page.
        """
        if fresh:
            self._generation += 1  # Whatever is on its way is the journal left behind.
            self._fresh, self._select = True, None
            self.entry_list.highlighted = None
            self.entry_list.loading = True
        if select is not None:
            self._select = select
        self._live.now()

    def request_reload(self, select: str | None = None) -> None:
        """Reload now if this screen is showing, else as soon as it shows again."""
        if select is not None:
            self._select = select
        self._live.changed()

    def on_data_changed(self, message: DataChanged) -> None:
        """Another window, the CLI or an import wrote: catch up (paced, and only while
        showing; a list under another screen catches up when it shows again)."""
        changes, journal_id = message.changes, self.charlie.journal_id
        if changes.entries_changed(journal_id):
            self._live.changed(paced=True)  # A reload reads the drafts too.
        elif changes.drafts_changed(journal_id):
            self._drafts_live.changed(paced=True)

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Catch up on changes made while another screen was on top."""
        self._live.resumed()
        self._drafts_live.resumed()

    def _start_reload(self) -> None:
        self._generation += 1
        self._paging = False
        select, fresh = self._select, self._fresh
        self._select, self._fresh = None, False
        entries = self.entry_list
        if not self._loaded:
            entries.loading = True  # Live reloads replace the rows without a spinner.
        limit = self.PAGE_SIZE if fresh else max(self.PAGE_SIZE, entries.entry_count)
        self._load_list(
            self._generation, limit, select, keep_place=not fresh, choice=self.list_filter
        )

    @work(thread=True, group="home-page", exit_on_error=False)
    def _load_list(
        self,
        generation: int,
        limit: int,
        select: str | None,
        *,
        keep_place: bool,
        choice: TagChoice | None = None,
    ) -> None:
        here = self.here()
        page = here.entries.list(limit=limit, **filter_args(choice))
        drafts = here.drafts.list()
        # Posted even when cancelled (the app is closing): a reload always reports, so
        # the next one can start.
        self.post_message(
            self.PageLoaded(
                page,
                generation,
                before=None,
                reset=True,
                select=select,
                drafts=drafts,
                keep_place=keep_place,
            )
        )

    @work(thread=True, exclusive=True, group="home-more", exit_on_error=False)
    def _load_page(
        self, generation: int, before: str, limit: int, choice: TagChoice | None = None
    ) -> None:
        page = self.here().entries.list(limit=limit, before=before, **filter_args(choice))
        if not get_current_worker().is_cancelled:
            self.post_message(
                self.PageLoaded(page, generation, before=before, reset=False, select=None)
            )

    def on_home_screen_page_loaded(self, message: PageLoaded) -> None:
        """Show a fresh list, or append an older page to it."""
        if message.reset:
            self._live.done()
        if message.generation != self._generation:
            return
        entries = self.entry_list
        self._cursor = message.page.next_cursor
        if self._cursor is not None and self._cursor == message.before:
            self._cursor = None  # A cursor that does not move would page forever.
        self._paging = False
        if message.reset:
            self._loaded = self.live = True
            self._keep(message.page.entries)
            if message.drafts is not None:
                self._show_drafts(message.drafts)
            entries.show_entries(
                message.page.entries,
                self.charlie.now(),
                select=message.select or entries.highlighted_entry_id,
                keep_place=message.keep_place,
            )
            entries.loading = False
            self._show_empty_state(not message.page.entries)
            self.query_one(OnThisDay).look(self.charlie.journal, self.charlie.now().date())
            # Only a fresh list can change whether an entry is under the cursor (the
            # cursor never rests on a divider), so the footer is refreshed here alone.
            self.refresh_bindings()
        else:
            entries.add_entries(message.page.entries)

    def _keep(self, entries: list[EntrySummary]) -> None:
        """Cache the default journal's first page for the next start (ui/opening.py)."""
        app = self.charlie
        if self.list_filter is not None:
            return  # Only the whole list is kept for the next start.
        if app.default_journal is not None and app.journal == app.default_journal:
            first_page = entries[: self.PAGE_SIZE]
            app.home_keeper.shown(self.api.settings.data_dir, app.journal, first_page)

    # -- drafts --------------------------------------------------------------------------

    def _start_drafts(self) -> None:
        self._load_drafts(self.charlie.journal)

    @work(thread=True, group="home-drafts", exit_on_error=False)
    def _load_drafts(self, journal: str) -> None:
        self.post_message(self.DraftsLoaded(journal, self.api.journal(journal).drafts.list()))

    def on_home_screen_drafts_loaded(self, message: DraftsLoaded) -> None:
        """Mark the entries that have drafts now."""
        self._drafts_live.done()
        if message.journal == self.charlie.journal:
            self._show_drafts(message.drafts)

    def _show_drafts(self, drafts: list[Draft]) -> None:
        """Mark edited entries with drafts, and say how many drafts there are."""
        edits = {d.entry_id for d in drafts if d.entry_id is not None}
        self.entry_list.mark_drafts(edits)
        note = self.query_one("#home-drafts", Static)
        note.update(drafts_note(len(drafts) - sum(d.entry_id is not None for d in drafts), edits))
        note.display = bool(drafts)

    def _show_empty_state(self, empty: bool) -> None:
        note = self.query_one("#home-empty", Static)
        if self.list_filter is not None:
            kept = filter_text(self.list_filter)
            note.update(f"No entries are {kept}.\n\nPress Esc to see them all.")
        else:
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
        """Fetch the next older page, once at a time (not while the list is reloaded:
        the fresh list asks again if the cursor is still near its end)."""
        if self._cursor is None or self._paging or self._live.busy:
            return
        self._paging = True
        self._load_page(self._generation, self._cursor, self.PAGE_SIZE, self.list_filter)

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop waiting; a later key press or reload can try again."""
        self._paging = False
        self.entry_list.loading = False
        if worker.group == "home-page":
            self._live.done()
        elif worker.group == "home-drafts":
            self._drafts_live.done()

    def on_entry_list_selected(self, message: EntryList.Selected) -> None:
        """Open the chosen entry in the reader."""
        if self.charlie.still_opening():
            return  # A click on a cached row (Enter is greyed out meanwhile).
        # Imported on first use: the Markdown renderer is a sizeable share of start-up.
        from ui.screens.reader import ReaderScreen

        self.app.push_screen(ReaderScreen(message.entry_id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim Edit and Delete while there is no entry under the cursor, and everything
        that needs the database while the journal opens."""
        needs_database = ("new", "edit", "delete", "reenrich", "journals", "tag_filter")
        if self.charlie.opening and action in (*needs_database, "toggle_star"):
            return None
        if (
            action in ("edit", "delete", "reenrich", "toggle_star")
            and self.entry_list.highlighted_entry_id is None
        ):
            return None
        if action == "clear_filter":
            return self.list_filter is not None
        return True

    def action_new(self) -> None:
        """Write a new entry (blank, or from a template when there are any)."""
        from ui.dialogs.template_picker import new_entry

        new_entry(self.charlie)

    def action_edit(self) -> None:
        """Edit the highlighted entry (fetched whole first: the list holds previews)."""
        entry_id = self.entry_list.highlighted_entry_id
        if entry_id is not None:
            self._fetch_for_edit(entry_id)

    @work(thread=True, exclusive=True, group="home-fetch", exit_on_error=False)
    def _fetch_for_edit(self, entry_id: str) -> None:
        entry = self.here().entries.get(entry_id)
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
        self.here().entries.delete(entry_id)
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
        self.post_message(self.Requeued(self.here().entries.reenrich(entry_id)))

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


def drafts_note(new: int, edits: set[str]) -> str:
    """The line above the list when the journal has unsaved drafts."""
    parts = []
    if new:
        parts.append(f"{new} new {'entry' if new == 1 else 'entries'}")
    if edits:
        parts.append(f"{len(edits)} edited {'entry' if len(edits) == 1 else 'entries'} (marked ✎)")
    return "✎ Unsaved drafts: " + ", ".join(parts)
