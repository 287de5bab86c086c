"""Who and what appeared in a month: each type's entities with how many of the month's
entries mention them, and the month's entries (Enter opens one in the reader). [ and ]
step a month back and forward; it opens on this month."""

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

from backend.models import EntityRef, EntrySummary, PeriodSummary
from backend.services.graph import ENTITY_TYPES
from ui.keys import browsing
from ui.messages import DataChanged, EntryEnriched, GraphChanged
from ui.screens.entity import EntityScreen
from ui.widgets import graph_text
from ui.widgets.entity_list import EntityList, Row, note_row
from ui.widgets.entry_list import EntryList
from ui.widgets.footer import CharlieFooter
from ui.widgets.live_reload import LiveReload
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers


def step_month(year: int, month: int, step: int) -> tuple[int, int]:
    """The month ``step`` months after (or before) ``year``-``month``."""
    index = year * 12 + (month - 1) + step
    return index // 12, index % 12 + 1


def column_rows(refs: list[EntityRef]) -> Iterator[Row]:
    """One row per entity: its name and in how many of the month's entries it appears."""
    for ref in refs:
        yield Row(
            ref.id,
            Content.assemble((ref.name, "bold"), (f"  {ref.count}", graph_text.MUTED)),
            ref.id,
        )
    if not refs:
        yield note_row("none", "None")


class PeriodScreen(BackendWorkers, Screen[None]):
    """One month of the journal, seen through its entities."""

    HELP_TITLE = "Month"
    BINDINGS = browsing(
        Binding("escape", "back", "Back"),
        Binding("left_square_bracket", "step(-1)", "Previous month", key_display="["),
        Binding("right_square_bracket", "step(1)", "Next month", key_display="]"),
    )

    class Loaded(Message):
        """A month's summary arrived."""

        def __init__(
            self, year: int, month: int, summary: PeriodSummary, entries: list[EntrySummary]
        ) -> None:
            super().__init__()
            self.year = year
            self.month = month
            self.summary = summary
            self.entries = entries
            """The month's entries, newest first (the newest few hundred)."""

    def __init__(self) -> None:
        super().__init__()
        self.year = 0
        """The year of the month shown."""
        self.month = 0
        """The month shown (1-12)."""
        self.summary: PeriodSummary | None = None
        """The month's summary, once it has arrived."""
        self._live = LiveReload(self, self._load)

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with Vertical(id="period-head"):
            yield Static(id="period-title", markup=False)
            yield Static(id="period-count", markup=False)
        with Horizontal(id="period-columns"):
            for type_ in ENTITY_TYPES:
                with Vertical(classes="period-column"):
                    yield Label(graph_text.heading(type_), classes="period-heading")
                    yield EntityList(id=f"period-{type_.lower()}", classes="period-list")
        with Vertical(id="period-entries-pane"):
            yield Label("Entries", id="period-entries-heading", classes="period-heading")
            yield EntryList(id="period-entries")
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = self.charlie.journal
        today = self.charlie.now()
        self.show(today.year, today.month)

    def show(self, year: int, month: int) -> None:
        """Load and show another month."""
        self.year, self.month = year, month
        self.query_one("#period-title", Static).update(graph_text.month_name(year, month))
        self.query_one("#period-count", Static).update("")
        self.query_one("#period-columns").loading = True
        self._live.now()

    @work(thread=True, group="period-load", exit_on_error=False)
    def _load(self) -> None:
        year, month = self.year, self.month
        here = self.here()
        summary = here.graph.period(year, month)
        entries = here.time.month_entries(year, month)
        self.post_message(self.Loaded(year, month, summary, entries))

    def on_period_screen_loaded(self, message: Loaded) -> None:
        """Show the month, unless the user has already stepped to another one."""
        self._live.done()
        if (message.year, message.month) != (self.year, self.month):
            return
        summary = self.summary = message.summary
        count = summary.entry_count
        self.query_one("#period-count", Static).update(
            f"{graph_text.entries_count(count)} this month" if count else "No entries this month."
        )
        for type_ in ENTITY_TYPES:
            self.query_one(f"#period-{type_.lower()}", EntityList).show_rows(
                column_rows(summary.entities.get(type_, []))
            )
        self._show_entries(message.entries, count)
        self.query_one("#period-columns").loading = False
        if self.focused is None or not isinstance(self.focused, (EntityList, EntryList)):
            self._focus_first()

    def _show_entries(self, entries: list[EntrySummary], count: int) -> None:
        """List the month's entries (saying so when only the newest are listed)."""
        listed = self.query_one("#period-entries", EntryList)
        listed.show_entries(entries, self.charlie.now(), select=listed.highlighted_entry_id)
        shown = f"the newest {len(entries)} of {count}" if count > len(entries) else ""
        heading = f"Entries ({shown})" if shown else "Entries"
        self.query_one("#period-entries-heading", Label).update(heading)
        self.query_one("#period-entries-pane").display = bool(entries)

    def _focus_first(self) -> None:
        lists = list(self.query(EntityList))
        target = next((each for each in lists if each.highlighted_row is not None), lists[0])
        target.focus()

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop waiting; what is on screen stays."""
        self._live.done()
        self.query_one("#period-columns").loading = False

    def on_graph_changed(self, message: GraphChanged) -> None:
        """A correction: read the month again."""
        self._live.changed()

    def on_entry_enriched(self, message: EntryEnriched) -> None:
        """A newly read entry may belong to this month."""
        self._live.changed(paced=True)

    def on_data_changed(self, message: DataChanged) -> None:
        """Entries were written or deleted somewhere: the month's counts may change."""
        if message.changes.entries_changed(self.charlie.journal_id):
            self._live.changed(paced=True)

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Catch up on changes made while another screen was on top."""
        self._live.resumed()

    def on_entry_list_selected(self, event: EntryList.Selected) -> None:
        """Open the chosen entry in the reader."""
        # Imported on first use, as the home list does.
        from ui.screens.reader import ReaderScreen

        self.app.push_screen(ReaderScreen(event.entry_id))

    @on(EntityList.Chosen, ".period-list")
    def _open_entity(self, event: EntityList.Chosen) -> None:
        if event.row.target is not None:
            self.app.push_screen(EntityScreen(event.row.target))

    def action_step(self, step: int) -> None:
        """Show the previous or next month."""
        self.show(*step_month(self.year, self.month, step))

    def action_back(self) -> None:
        """Return to the screen below."""
        self.dismiss(None)
