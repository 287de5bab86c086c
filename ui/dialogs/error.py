"""A modal that shows a CharlieError's message exactly as the backend wrote it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ErrorDialog(ModalScreen[None]):
    """Tells the user what went wrong; any of Enter, Escape or the button closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "close", "Close", show=False),
    ]

    def __init__(
        self, message: str, *, title: str = "Something went wrong", offer_quit: bool = False
    ) -> None:
        super().__init__()
        self.message = message
        """The text shown, as given."""
        self.heading = title
        """The line above the message."""
        self.offer_quit = offer_quit
        """True when a save before quitting failed: Ctrl+Q now quits without saving."""

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box", classes="dialog"):
            yield Label(self.heading, id="error-title", classes="dialog-title")
            # markup=False: the message can quote user text such as "[draft]".
            yield Static(self.message, id="error-message", markup=False)
            if self.offer_quit:
                yield Static(
                    "Your text is still in the editor. Close this to fix it, "
                    "or press Ctrl+Q again to quit without saving.",
                    id="error-quit-hint",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="error-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#error-ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Close on the OK button."""
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        """Close the dialog."""
        self.dismiss(None)
