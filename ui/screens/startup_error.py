"""The screen shown when Charlie cannot open its data: what went wrong, how to leave."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static


class StartupErrorScreen(Screen[None]):
    """Explains a start-up failure; q, Escape or Ctrl+Q quits."""

    HELP_TITLE = "Start-up error"
    BINDINGS = [Binding("q,escape", "app.quit", "Quit")]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
        """The error's text, shown as-is."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="startup-box"):
            yield Label("Charlie could not open your journal", id="startup-title")
            yield Static(self.message, id="startup-message", markup=False)
            yield Static(
                "Nothing was changed. Fix the problem above and start Charlie again.\n"
                "Press q to quit.",
                id="startup-hint",
            )
        yield Footer()
