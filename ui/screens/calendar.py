"""The journal through a year: a heatmap of entries per day, the cursor's month as a
calendar page, the current and longest streaks, and words per week as a sparkline.
Arrows move the cursor a day or a week, [ and ] change the year, Enter lists the day's
entries (Enter on one opens the reader). Days are the writer's, as on the home list:
see backend/services/time.py."""

from __future__ import annotations

from datetime import MAXYEAR, MINYEAR, date

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import ScreenResume
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Sparkline, Static
from textual.worker import Worker

from backend.models import EntrySummary
from backend.services.time import DayTotal, Streaks, counts_in, streaks_of, weeks_in
from ui import timeline
from ui.keys import browsing
from ui.messages import DataChanged
from ui.widgets.entry_list import EntryList
from ui.widgets.footer import CharlieFooter
from ui.widgets.heatmap import YearHeatmap, clamp_to_year, month_grid
from ui.widgets.live_reload import LiveReload
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers


def days_text(count: int) -> str:
    """'1 day', '2 days'."""
    return f"{count} day" if count == 1 else f"{count} days"


def streaks_text(streaks: Streaks) -> str:
    """The streaks line, e.g. "Streak: 3 days · longest 12 days, to 2 Feb 2026"."""
    text = f"Streak: {days_text(streaks.current)} · longest {days_text(streaks.longest)}"
    end = streaks.longest_end
    if end is not None:
        text += f", to {end.day} {timeline.MONTHS[end.month - 1][:3]} {end.year}"
    return text


def year_text(year: int, counts: dict[date, int]) -> str:
    """The year's totals, e.g. "2026 · 41 entries on 30 days"."""
    entries = sum(counts.values())
    noun = "entry" if entries == 1 else "entries"
    return f"{year} · {entries} {noun} on {days_text(len(counts))}"


def day_title(day: date, count: int) -> str:
    """The heading of a day's list, e.g. "Tuesday 17 March 2026 · 2 entries"."""
    name = f"{timeline.WEEKDAYS[day.weekday()]} {day.day} {timeline.MONTHS[day.month - 1]}"
    if not count:
        return f"{name} {day.year} · no entries"
    return f"{name} {day.year} · {count} {'entry' if count == 1 else 'entries'}"


class CalendarScreen(BackendWorkers, Screen[None]):
    """A year of the journal, a day at a time."""

    HELP_TITLE = "Calendar"
    BINDINGS = browsing(
        Binding("escape", "back", "Back"),
        Binding("left_square_bracket", "year(-1)", "Previous year", key_display="["),
        Binding("right_square_bracket", "year(1)", "Next year", key_display="]"),
    )

    class Loaded(Message):
        """Every day with entries arrived (one reading serves every year)."""

        def __init__(self, totals: list[DayTotal], today: date) -> None:
            super().__init__()
            self.totals = totals
            self.today = today

    class DayLoaded(Message):
        """A day's entries arrived."""

        def __init__(self, day: date, entries: list[EntrySummary]) -> None:
            super().__init__()
            self.day = day
            self.entries = entries

    def __init__(self) -> None:
        super().__init__()
        self.year = 0
        """The year shown."""
        self.cursor: date | None = None
        """Where the cursor goes once the year is loaded (then the heatmap keeps it)."""
        self.day: date | None = None
        """The day whose entries are listed (None: none chosen yet)."""
        self.counts: dict[date, int] = {}
        """Entries per day of the year shown."""
        self._totals: list[DayTotal] | None = None
        self._today: date | None = None
        self._live = LiveReload(self, self._start_load)

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with Vertical(id="calendar-head"):
            yield Static(id="calendar-title", markup=False)
            yield Static(id="calendar-streaks", markup=False)
        yield YearHeatmap(id="calendar-heatmap")
        with Horizontal(id="calendar-body"):
            yield Static(id="calendar-month")
            with Vertical(id="calendar-day"):
                yield Static(id="calendar-day-title", markup=False)
                yield EntryList(id="calendar-entries")
        yield Static("Words per week", id="calendar-words-label", markup=False)
        yield Sparkline([], id="calendar-words")
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = self.charlie.journal
        today = self.charlie.now().date()
        self.query_one("#calendar-entries").display = False
        self.query_one("#calendar-day-title", Static).update("Enter lists a day's entries.")
        self.show(today.year, today)

    @property
    def heatmap(self) -> YearHeatmap:
        return self.query_one(YearHeatmap)

    def show(self, year: int, cursor: date) -> None:
        """Show another year, the cursor on ``cursor`` (read first if not read yet)."""
        self.year, self.cursor = year, cursor
        if self._totals is None:
            self.query_one("#calendar-title", Static).update(str(year))
            self.heatmap.loading = True
            self._live.now()
        else:
            self._draw()

    def _start_load(self) -> None:
        self._load(self.charlie.now().date())

    @work(thread=True, group="calendar-load", exit_on_error=False)
    def _load(self, today: date) -> None:
        # Every day of the journal in one reading (about as fast as one year's through
        # the entry_at index, and the streaks need them all): changing the year then
        # reads nothing.
        self.post_message(self.Loaded(self.here().time.journal_days(), today))

    def on_calendar_screen_loaded(self, message: Loaded) -> None:
        """Keep the days and draw the year shown; the day listed may have changed too."""
        self._live.done()
        self._totals, self._today = message.totals, message.today
        self.heatmap.loading = False
        self._draw()
        if self.day is not None:
            self._load_day(self.day)
        if not isinstance(self.focused, EntryList):
            self.heatmap.focus()

    def _draw(self) -> None:
        """Draw the year shown from the days read."""
        assert self._totals is not None and self._today is not None
        year, heatmap = self.year, self.heatmap
        self.counts = counts_in(self._totals, year)
        heatmap.show(year, self.counts, self.cursor or heatmap.cursor)
        self.query_one("#calendar-title", Static).update(year_text(year, self.counts))
        streaks = streaks_text(streaks_of(self._totals, self._today))
        self.query_one("#calendar-streaks", Static).update(streaks)
        weeks = weeks_in(self._totals, year)
        words = self.query_one("#calendar-words", Sparkline)
        words.data = [w for _, w in weeks]
        words.styles.width = len(weeks)  # A bar under each week of the heatmap.
        total = sum(w for _, w in weeks)
        self.query_one("#calendar-words-label", Static).update(f"Words per week, {total:,} in all")
        self._show_month(heatmap.cursor)

    def on_year_heatmap_moved(self, message: YearHeatmap.Moved) -> None:
        """Follow the cursor with the month page."""
        self.cursor = message.day
        self._show_month(message.day)

    def _show_month(self, day: date) -> None:
        self.query_one("#calendar-month", Static).update(
            month_grid(day.year, day.month, self.counts, day)
        )

    def on_year_heatmap_chosen(self, message: YearHeatmap.Chosen) -> None:
        """List the chosen day's entries."""
        self.day = message.day
        self._load_day(message.day)

    @work(thread=True, exclusive=True, group="calendar-day", exit_on_error=False)
    def _load_day(self, day: date) -> None:
        self.post_message(self.DayLoaded(day, self.here().time.entries_on(day)))

    def on_calendar_screen_day_loaded(self, message: DayLoaded) -> None:
        """Show the day's entries, newest first as on the home list, and move there."""
        if message.day != self.day:
            return
        entries = self.query_one(EntryList)
        title = day_title(message.day, len(message.entries))
        self.query_one("#calendar-day-title", Static).update(title)
        entries.show_entries(reversed(message.entries), self.charlie.now())
        entries.display = bool(message.entries)
        if message.entries and self.focused is self.heatmap:
            entries.focus()

    def on_entry_list_selected(self, event: EntryList.Selected) -> None:
        """Open the chosen entry in the reader."""
        from ui.screens.reader import ReaderScreen

        self.app.push_screen(ReaderScreen(event.entry_id))

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop waiting; what is on screen stays."""
        if worker.group == "calendar-load":
            self._live.done()
            self.heatmap.loading = False

    def on_data_changed(self, message: DataChanged) -> None:
        """Entries were written or deleted somewhere: the days may change."""
        if message.changes.entries_changed(self.charlie.journal_id):
            self._live.changed(paced=True)

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Catch up on changes made while another screen was on top."""
        self._live.resumed()

    def action_year(self, step: int) -> None:
        """Show the previous or next year, the cursor on the same day of it."""
        year = self.year + step
        if MINYEAR < year < MAXYEAR:  # The years the backend shows (a margin each side).
            self.show(year, clamp_to_year(self.heatmap.cursor, year))

    def action_back(self) -> None:
        """Back to the day list's heatmap, or to the screen below."""
        if isinstance(self.focused, EntryList):
            self.heatmap.focus()
        else:
            self.dismiss(None)
