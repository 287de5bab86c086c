"""The author's own page ("You"): how many entries, from when to when, and the people,
places, groups and activities the journal mentions most, per type; then who and what
filled this month and this year. Enter opens an entity's page."""

from __future__ import annotations

from collections.abc import Iterator

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import ScreenResume
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static
from textual.worker import Worker

from backend.models import AuthorPage, EntityRef
from backend.services.graph import ENTITY_TYPES
from ui.keys import browsing
from ui.messages import DataChanged, EntryEnriched, GraphChanged
from ui.screens.entity import EntityScreen
from ui.screens.period import column_rows
from ui.widgets import graph_text
from ui.widgets.entity_list import EntityList, Row, entity_row, note_row
from ui.widgets.footer import CharlieFooter
from ui.widgets.live_reload import LiveReload
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers


def facts(page: AuthorPage) -> Content:
    """ "12 entries · first …, last …", and how often the author is "I" (if ever)."""
    if not page.entry_count:
        return Content("No entries yet.")
    parts: list[str | tuple[str, str]] = [graph_text.entries_count(page.entry_count)]
    if page.first_entry is not None and page.last_entry is not None:
        first = graph_text.short_date(page.first_entry, aligned=False)
        last = graph_text.short_date(page.last_entry, aligned=False)
        parts.append(f" · first {first}" if first == last else f" · first {first}, last {last}")
    if page.author is not None and page.author.count:
        said = f" · “{page.author.name}” in {graph_text.entries_count(page.author.count)}"
        parts.append((said, graph_text.MUTED))
    return Content.assemble(*parts)


def recent_rows(refs: list[EntityRef], when: str) -> Iterator[Row]:
    """Entities of any type, with their type and their count in the span."""
    for ref in refs:
        yield entity_row(ref)
    if not refs:
        yield note_row("none", f"No one and nothing yet {when}.")


class AuthorScreen(BackendWorkers, Screen[None]):
    """The author's page: the journal at a glance, through who and what it mentions."""

    HELP_TITLE = "You"
    BINDINGS = browsing(Binding("escape", "back", "Back"))

    class Loaded(Message):
        """The page arrived."""

        def __init__(self, page: AuthorPage) -> None:
            super().__init__()
            self.page = page

    def __init__(self) -> None:
        super().__init__()
        self.page: AuthorPage | None = None
        """The page shown, once it has arrived."""
        self._live = LiveReload(self, self._load)

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with Vertical(id="author-head"):
            yield Static("You", id="author-name", markup=False)
            yield Static(id="author-facts")
        with Vertical(id="author-body"):
            with Horizontal(id="author-types"):
                for type_ in ENTITY_TYPES:
                    with Vertical(classes="author-column"):
                        yield Label(graph_text.heading(type_), classes="author-heading")
                        yield EntityList(id=f"author-{type_.lower()}", classes="author-list")
            with Horizontal(id="author-recent"):
                with Vertical(classes="author-column"):
                    yield Label("This month", id="author-month-heading", classes="author-heading")
                    yield EntityList(id="author-month", classes="author-list")
                with Vertical(classes="author-column"):
                    yield Label("This year", id="author-year-heading", classes="author-heading")
                    yield EntityList(id="author-year", classes="author-list")
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = self.charlie.journal
        self.query_one("#author-body").loading = True
        self._live.now()

    @work(thread=True, group="author-load", exit_on_error=False)
    def _load(self) -> None:
        # The app's clock says what "this month" is (tests fix it).
        page = self.here().graph.author(now=self.charlie.now())
        self.post_message(self.Loaded(page))

    def on_author_screen_loaded(self, message: Loaded) -> None:
        """Show the page (lists keep their cursor across reloads)."""
        self._live.done()
        page = self.page = message.page
        self.query_one("#author-facts", Static).update(facts(page))
        for type_ in ENTITY_TYPES:
            self.query_one(f"#author-{type_.lower()}", EntityList).show_rows(
                column_rows(page.most_mentioned.get(type_, []))
            )
        month = graph_text.month_name(page.month_start.year, page.month_start.month)
        self.query_one("#author-month-heading", Label).update(f"This month · {month}")
        self.query_one("#author-year-heading", Label).update(f"This year · {page.year_start.year}")
        self.query_one("#author-month", EntityList).show_rows(
            recent_rows(page.this_month, "this month")
        )
        self.query_one("#author-year", EntityList).show_rows(
            recent_rows(page.this_year, "this year")
        )
        self.query_one("#author-body").loading = False
        if not isinstance(self.focused, EntityList):
            self._focus_first()

    def _focus_first(self) -> None:
        lists = list(self.query(EntityList))
        target = next((each for each in lists if each.highlighted_row is not None), lists[0])
        target.focus()

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop waiting; what is on screen stays."""
        self._live.done()
        self.query_one("#author-body").loading = False

    def on_graph_changed(self, message: GraphChanged) -> None:
        """A correction: read the page again."""
        self._live.changed()

    def on_entry_enriched(self, message: EntryEnriched) -> None:
        """A newly read entry changes the counts."""
        self._live.changed(paced=True)

    def on_data_changed(self, message: DataChanged) -> None:
        """Entries were written or deleted somewhere: counts and dates may change."""
        if message.changes.entries_changed(self.charlie.journal_id):
            self._live.changed(paced=True)

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Catch up on changes made while another screen was on top."""
        self._live.resumed()

    @on(EntityList.Chosen, ".author-list")
    def _open_entity(self, event: EntityList.Chosen) -> None:
        if event.row.target is not None:
            self.app.push_screen(EntityScreen(event.row.target))

    def action_back(self) -> None:
        """Return to the screen below."""
        self.dismiss(None)
