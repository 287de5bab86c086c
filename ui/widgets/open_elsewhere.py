"""A notice that the entry on screen is open in an editor in another window.

Editors mark the entries they show (backend/presence.py); this counts the marks of one
entry every few seconds and shows a line while there are any. Only a courtesy: when the
database cannot be reached, the notice just stays as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import work
from textual.message import Message
from textual.widgets import Static

from backend.drafts import new_draft_id
from backend.errors import CharlieError

if TYPE_CHECKING:
    from ui.app import CharlieApp


class OpenElsewhere(Static):
    """Shows "Being edited in another window" while another editor has the entry."""

    DEFAULT_CSS = """
    OpenElsewhere {
        height: auto;
        color: $warning;
        text-style: bold;
    }
    OpenElsewhere.-none {
        display: none;
    }
    """
    REFRESH_SECONDS = 10.0
    """How often the marks are counted (they expire 30 s after an editor died)."""

    class Counted(Message):
        """How many editors (other than ``session``'s) show the entry."""

        def __init__(self, entry_id: str, others: int) -> None:
            super().__init__()
            self.entry_id = entry_id
            self.others = others

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, classes="-none", id=id)
        self.entry_id: str | None = None
        """The entry watched (None: nothing yet)."""
        self.session = new_draft_id()
        """An editor session not to count: the screen sets it to the editor it opened, so
        its own editor is never "another window"."""

    def on_mount(self) -> None:
        self.set_interval(self.REFRESH_SECONDS, self.check)

    def follow(self, entry_id: str) -> None:
        """Watch another entry, and count at once."""
        self.entry_id = entry_id
        self.set_class(True, "-none")
        self.check()

    def check(self) -> None:
        """Count the entry's editors now."""
        if self.entry_id is not None:
            self._count(self.entry_id, self.session)

    @work(thread=True, exclusive=True, group="open-elsewhere", exit_on_error=False)
    def _count(self, entry_id: str, session: str) -> None:
        app = cast("CharlieApp", self.app)
        try:
            others = app.api.journal(app.journal).entries.open_elsewhere(entry_id, session)
        except CharlieError:
            return
        self.post_message(self.Counted(entry_id, others))

    def on_open_elsewhere_counted(self, message: Counted) -> None:
        message.stop()
        if message.entry_id != self.entry_id:
            return
        if message.others > 1:
            self.update(f"Being edited in {message.others} other windows")
        else:
            self.update("Being edited in another window")
        self.set_class(message.others == 0, "-none")
