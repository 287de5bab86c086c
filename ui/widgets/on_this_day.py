""" "On this day" above the home list: entries written on today's date in earlier years,
a line each (at most three show; the rest scroll), newest first. Absent when there are
none. Enter or a click opens the entry in the reader.

The widget reads its own rows (``look``), one reading at a time: asked again while a
reading runs, it reads once more when that one ends, so the last wish wins. It only
helps, so a failed reading hides it and goes to the log rather than to a dialog.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, cast

from textual import work
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from backend.models import EntrySummary

if TYPE_CHECKING:
    from ui.app import CharlieApp


def row_text(entry: EntrySummary, today: date) -> Content:
    """One entry's line, e.g. "On this day, 2 years ago (2024): Snow on the lake"."""
    years = today.year - entry.entry_at.year
    ago = "1 year ago" if years == 1 else f"{years} years ago"
    return Content.assemble(
        ("On this day", "bold"),
        (f", {ago} ({entry.entry_at.year}): ", "dim"),
        entry.display_title or "(untitled)",
    )


class OnThisDay(OptionList):
    """Entries of this day in earlier years, or nothing at all."""

    DEFAULT_CSS = """
    OnThisDay {
        height: auto;
        max-height: 3;
        border: none;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        &:focus {
            border: none;
        }
    }
    """

    BINDING_GROUP_TITLE = "On this day"
    BINDINGS = [Binding("enter", "select", "Open")]

    class Found(Message):
        """A reading arrived (``asked``: which request it answers)."""

        def __init__(self, asked: int, today: date, entries: list[EntrySummary]) -> None:
            super().__init__()
            self.asked = asked
            self.today = today
            self.entries = entries

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.display = False
        # Not focusable while hidden, or the screen would give it the focus at start.
        self.can_focus = False
        self._asked = 0
        self._wanted: tuple[str, date] | None = None
        self._busy = False

    def look(self, journal: str, today: date) -> None:
        """Read the entries of ``today``'s date in earlier years of ``journal``."""
        self._asked += 1
        self._wanted = (journal, today)
        if not self._busy:
            self._start()

    def _start(self) -> None:
        assert self._wanted is not None
        self._busy = True
        self._load(self._asked, *self._wanted)

    @work(thread=True, group="on-this-day", exit_on_error=False)
    def _load(self, asked: int, journal: str, today: date) -> None:
        app = cast("CharlieApp", self.app)
        entries = app.api.journal(journal).time.on_this_day(today)
        self.post_message(self.Found(asked, today, entries))

    def on_on_this_day_found(self, message: Found) -> None:
        """Show the reading, or read again if asked again meanwhile."""
        message.stop()
        self._busy = False
        if message.asked != self._asked:
            self._start()
            return
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        self.set_options([Option(row_text(e, message.today), id=e.id) for e in message.entries])
        if highlighted is not None and any(e.id == highlighted for e in message.entries):
            self.highlighted = self.get_option_index(highlighted)
        elif message.entries:
            self.highlighted = 0  # Enter opens the newest at once.
        self._shown(bool(message.entries))

    def _shown(self, shown: bool) -> None:
        self.display = self.can_focus = shown
        if not shown and self.has_focus:
            self.screen.focus_next()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed reading: hide, and say why in the log."""
        if event.worker.group == "on-this-day" and event.state == WorkerState.ERROR:
            self._busy = False
            self._shown(False)
            self.log.error("Could not read the entries of this day", event.worker.error)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Open the chosen entry in the reader."""
        event.stop()
        if event.option.id is not None:
            # Imported on first use, as the home list does.
            from ui.screens.reader import ReaderScreen

            self.app.push_screen(ReaderScreen(event.option.id))

    def entry_ids(self) -> list[Any]:
        """The ids of the entries shown, top to bottom."""
        return [self.get_option_at_index(i).id for i in range(self.option_count)]
