"""A year of entries per day, GitHub-style, in block characters: weeks are columns
(Monday on top), a row of month names above, a cell's colour says how many entries its
day has. The cursor moves a day (up/down) or a week (left/right) and stays in the year;
Enter chooses its day. ``month_grid`` draws the cursor's month as a calendar page.

The pictures are pure functions of (year, counts, cursor), so they are easy to test.
"""

from __future__ import annotations

from datetime import date, timedelta

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from ui import timeline

CELL = "■"
"""One day: a small square, so neighbouring days keep a gap between them."""
LEVELS = ("#3a3a3a", "#0e4429", "#006d32", "#26a641", "#39d353")
"""Colours from no entries to the busiest days (GitHub's greens)."""
CURSOR = "bold #000000 on #ffd75f"
"""The cursor's cell (and its day in the month grid)."""
LABEL_WIDTH = 4
"""Columns for the weekday names on the left."""
DAY_LABELS = ("Mon", "", "Wed", "", "Fri", "", "Sun")


def level(count: int, peak: int) -> int:
    """How busy a day is, 0 (no entries) to 4 (as busy as the busiest day)."""
    if count <= 0 or peak <= 0:
        return 0
    return min(4, -(-4 * count // peak))


def first_monday(year: int) -> date:
    """The Monday of the week holding 1 January: the heatmap's first column."""
    first = date(year, 1, 1)
    return first - timedelta(days=first.weekday())


def cell_of(day: date) -> tuple[int, int]:
    """(column, row) of ``day`` in its year's heatmap."""
    return (day - first_monday(day.year)).days // 7, day.weekday()


def clamp_to_year(day: date, year: int) -> date:
    """The same month and day in ``year`` (29 February becomes the 28th)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def heatmap_lines(year: int, counts: dict[date, int], cursor: date | None) -> list[Content]:
    """The heatmap: a line of month names, a line per weekday, and a legend."""
    last = date(year, 12, 31)
    columns = cell_of(last)[0] + 1
    peak = max(counts.values(), default=0)
    months = [" "] * columns
    for month in range(1, 13):
        column = cell_of(date(year, month, 1))[0]
        # The first week is often mostly last year's: name January in the next column.
        column = max(column, 1) if month == 1 and date(year, 1, 1).weekday() > 3 else column
        for i, char in enumerate(timeline.MONTHS[month - 1][:3]):
            if column + i < columns:
                months[column + i] = char
    lines = [Content(" " * LABEL_WIDTH + "".join(months).rstrip())]
    start = first_monday(year)
    for row in range(7):
        parts: list[tuple[str, str] | str] = [DAY_LABELS[row].ljust(LABEL_WIDTH)]
        for column in range(columns):
            day = start + timedelta(days=column * 7 + row)
            if day.year != year:
                parts.append(" ")
            elif day == cursor:
                parts.append((CELL, CURSOR))
            else:
                parts.append((CELL, LEVELS[level(counts.get(day, 0), peak)]))
        lines.append(Content.assemble(*parts))
    legend: list[tuple[str, str] | str] = [" " * LABEL_WIDTH, ("Less ", "dim")]
    for colour in LEVELS:
        legend += [(CELL, colour), " "]
    lines.append(Content.assemble(*legend, ("More", "dim")))
    return lines


def month_grid(year: int, month: int, counts: dict[date, int], cursor: date | None) -> Content:
    """A calendar page of one month: weekday initials, then each day's number coloured
    by its entries (bold when it has any), the cursor's day highlighted."""
    peak = max(counts.values(), default=0)
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    parts: list[tuple[str, str] | str] = [
        (f"{timeline.MONTHS[month - 1]} {year}".center(20).rstrip(), "bold"),
        "\n",
        ("Mo Tu We Th Fr Sa Su", "dim"),
        "\n",
        "   " * first.weekday(),
    ]
    day = first
    while day < following:
        count = counts.get(day, 0)
        if day == cursor:
            style = CURSOR
        elif count:
            style = f"bold {LEVELS[max(2, level(count, peak))]}"
        else:
            style = "dim"
        parts.append((f"{day.day:>2}", style))
        nxt = day + timedelta(days=1)
        if nxt < following:
            parts.append("\n" if nxt.weekday() == 0 else " ")
        day = nxt
    return Content.assemble(*parts)


class YearHeatmap(Widget, can_focus=True):
    """One year's entries per day, with a cursor on a day."""

    DEFAULT_CSS = """
    YearHeatmap {
        height: 9;
        width: auto;
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("left", "move(-7)", "Week before", show=False),
        Binding("right", "move(7)", "Week after", show=False),
        Binding("up", "move(-1)", "Day before", show=False),
        Binding("down", "move(1)", "Day after", show=False),
        Binding("enter", "choose", "Day's entries"),
    ]

    cursor: reactive[date] = reactive(date(2000, 1, 1), init=False)
    """The day under the cursor (always in the year shown)."""

    class Moved(Message):
        """The cursor moved to ``day``."""

        def __init__(self, day: date) -> None:
            super().__init__()
            self.day = day

    class Chosen(Message):
        """The user chose ``day`` (Enter or a click)."""

        def __init__(self, day: date) -> None:
            super().__init__()
            self.day = day

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.year = 2000
        """The year shown."""
        self.counts: dict[date, int] = {}
        """Entries per day of the year (days without entries are absent)."""

    def show(self, year: int, counts: dict[date, int], cursor: date) -> None:
        """Show ``year``'s counts with the cursor on ``cursor`` (a day of that year)."""
        self.year, self.counts = year, counts
        self.cursor = clamp_to_year(cursor, year)
        self.refresh(layout=True)

    def render(self) -> Content:
        return Content("\n").join(heatmap_lines(self.year, self.counts, self.cursor))

    def watch_cursor(self, day: date) -> None:
        self.post_message(self.Moved(day))

    def action_move(self, days: int) -> None:
        """Move the cursor, staying within the year shown."""
        moved = self.cursor + timedelta(days=days)
        if moved.year == self.year:
            self.cursor = moved

    def action_choose(self) -> None:
        """List the entries of the cursor's day."""
        self.post_message(self.Chosen(self.cursor))

    def on_click(self, event: events.Click) -> None:
        """Choose the clicked day."""
        column = event.x - LABEL_WIDTH - self.styles.padding.left
        row = event.y - 1
        if column < 0 or not 0 <= row < 7:
            return
        day = first_monday(self.year) + timedelta(days=column * 7 + row)
        if day.year == self.year:
            self.cursor = day
            self.post_message(self.Chosen(day))
