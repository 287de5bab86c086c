"""A tag's page: how many entries carry it, its first and last use, and its entries
(newest first, a page at a time; Enter opens one in the reader)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from backend.models import Page, TagPage
from ui.keys import browsing
from ui.messages import DataChanged
from ui.widgets.entry_list import EntryList
from ui.widgets.footer import CharlieFooter
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers

PAGE_SIZE = 100


class TagScreen(BackendWorkers, Screen[None]):
    """The entries tagged ``tag``."""

    HELP_TITLE = "Tag"
    BINDINGS = browsing(Binding("escape", "back", "Back"))

    class Loaded(Message):
        """The tag's page (``more``: a further page of its entries) arrived."""

        def __init__(self, page: TagPage | None, more: Page | None = None) -> None:
            super().__init__()
            self.page = page
            self.more = more

    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag = tag
        self._cursor: str | None = None
        self._paging = False

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        yield Static(f"#{self.tag}", id="tag-title", markup=False)
        yield Static(id="tag-summary", markup=False)
        yield EntryList(id="tag-entries")
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = self.charlie.journal
        self.query_one(EntryList).loading = True
        self._load()

    @work(thread=True, exclusive=True, group="tag-page", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self.Loaded(self.here().entries.tag_page(self.tag, limit=PAGE_SIZE)))

    @work(thread=True, exclusive=True, group="tag-more", exit_on_error=False)
    def _load_more(self, before: str) -> None:
        more = self.here().entries.list(tag=self.tag, limit=PAGE_SIZE, before=before)
        self.post_message(self.Loaded(None, more))

    def on_tag_screen_loaded(self, message: Loaded) -> None:
        """Show the page, or add the further entries that arrived."""
        entries = self.query_one(EntryList)
        self._paging = False
        if message.more is not None:
            self._cursor = message.more.next_cursor
            entries.add_entries(message.more.entries)
            return
        page = message.page
        assert page is not None
        self.query_one("#tag-summary", Static).update(summary_line(page))
        self._cursor = page.entries.next_cursor
        entries.show_entries(page.entries.entries, self.charlie.now())
        entries.loading = False
        entries.focus()

    def on_entry_list_end_neared(self, message: EntryList.EndNeared) -> None:
        """Fetch the next page of the tag's entries, once at a time."""
        if self._cursor is not None and not self._paging:
            self._paging = True
            self._load_more(self._cursor)

    def on_entry_list_selected(self, message: EntryList.Selected) -> None:
        """Open the chosen entry in the reader."""
        from ui.screens.reader import ReaderScreen

        self.app.push_screen(ReaderScreen(message.entry_id))

    def on_data_changed(self, message: DataChanged) -> None:
        """Entries changed: read the page again."""
        if message.changes.entries_changed(self.charlie.journal_id):
            self._load()

    def worker_failed(self, worker: Worker[object]) -> None:
        self._paging = False
        self.query_one(EntryList).loading = False

    def action_back(self) -> None:
        """Back to where the page was opened from."""
        self.app.pop_screen()


def summary_line(page: TagPage) -> str:
    """The line under the tag: "3 entries · first used 1 Mar 2024 · last used 5 Mar 2024"."""
    if page.count == 0 or page.first_used is None or page.last_used is None:
        return "No entries carry this tag now."
    noun = "entry" if page.count == 1 else "entries"
    first, last = f"{page.first_used:%-d %b %Y}", f"{page.last_used:%-d %b %Y}"
    if page.count == 1:
        return f"1 {noun} · {last}"
    return f"{page.count} {noun} · first used {first} · last used {last}"
