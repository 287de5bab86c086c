"""The background-work indicator, and the header that carries it on every screen.

The indicator holds no data of its own: it watches the app's ``queue_status`` (one
reading the app refreshes on job events and on a timer) and words it with
:func:`ui.queue_text.indicator`. So every screen says the same thing at the same time,
and a screen opened later shows the current state at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Header, Static

from ui import queue_text
from ui.opening import OPENING_NOTE
from ui.queue_data import QueueStatus

if TYPE_CHECKING:
    from ui.app import CharlieApp

TONES = {
    "": "",
    "busy": "$accent",
    "muted": "$foreground-muted",
    "warning": "bold $warning",
    "error": "bold $error",
}
"""How each tone of :data:`ui.queue_text.Piece` is drawn."""


def styled(pieces: list[queue_text.Piece], separator: str = " · ") -> Content:
    """Pieces joined by ``separator``, each in the style of its tone."""
    parts: list[str | tuple[str, str]] = []
    for index, (text, tone) in enumerate(pieces):
        if index:
            parts.append((separator, "$foreground-muted"))
        parts.append((text, TONES.get(tone, "")) if TONES.get(tone) else text)
    return Content.assemble(*parts)


class WorkIndicator(Static):
    """ "⟳ 2 running · 5 queued · 3 dead", "paused: …", "no worker" or "idle"."""

    DEFAULT_CSS = """
    WorkIndicator {
        dock: right;
        width: auto;
        max-width: 60%;
        height: 1;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False)

    def on_mount(self) -> None:
        self.watch(self.app, "queue_status", self.show_status)
        self.watch(self.app, "opening", self._show_opening)

    def _show_opening(self, opening: bool) -> None:
        self.show_status(cast("CharlieApp", self.app).queue_status)

    def show_status(self, status: QueueStatus | None) -> None:
        """Word a reading of the queue (None: not read yet, or the journal is opening)."""
        if status is None:
            opening = cast("CharlieApp", self.app).opening
            self.update(styled([(OPENING_NOTE, "busy")]) if opening else "")
            return
        now = cast("CharlieApp", self.app).now().timestamp()
        pieces = queue_text.indicator(
            status.counts, status.paused, status.workers, status.supervisor, now
        )
        self.update(styled(pieces))


class CharlieHeader(Header):
    """Textual's header with the work indicator where the clock would be."""

    DEFAULT_CSS = """
    CharlieHeader HeaderClockSpace {
        display: none;
    }
    """

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield WorkIndicator()
