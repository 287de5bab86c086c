"""The entry being edited was deleted elsewhere: save the text as a new entry, or discard.

A way out that is never a loop: "Save as a new entry" (the default) keeps everything,
"Discard" drops the text on purpose, and Escape goes back to the editor with the text
as it was (saving from there asks again, without trying the deleted entry).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

GONE_CHOICES = ("new", "discard")
"""The answers; None means back to the editor."""


class EntryGone(ModalScreen[str | None]):
    """Dismisses with "new", "discard", or None to go back to the editor."""

    BINDINGS = [
        Binding("s", "choose('new')", "Save as new"),
        Binding("escape", "choose('back')", "Back to editor"),
    ]

    def __init__(self, name: str, *, offer_quit: bool = False) -> None:
        super().__init__()
        self.entry_name = name
        """How the entry was called (its title or first line)."""
        self.offer_quit = offer_quit
        """True when this came up while quitting: Ctrl+Q again quits, keeping the draft."""

    def compose(self) -> ComposeResult:
        with Vertical(id="entry-gone-box", classes="dialog"):
            yield Label("This entry was deleted elsewhere", classes="dialog-title")
            name = f"“{self.entry_name}”" if self.entry_name else "The entry you are editing"
            yield Static(
                f"{name} was deleted in another window or by another program while you "
                "were editing it. Your text is still here: save it as a new entry, or "
                "discard it.",
                id="entry-gone-detail",
                markup=False,
            )
            if self.offer_quit:
                yield Static(
                    "Or press Ctrl+Q again to quit: your text is kept as a draft and "
                    "offered when Charlie starts.",
                    id="entry-gone-quit",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save as a new entry (s)", id="entry-gone-new", variant="primary")
                yield Button("Discard", id="entry-gone-discard", variant="error")
                yield Button("Back to editor (Esc)", id="entry-gone-back")

    def on_mount(self) -> None:
        self.query_one("#entry-gone-new", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer with the button pressed."""
        event.stop()
        self.action_choose((event.button.id or "").removeprefix("entry-gone-"))

    def action_choose(self, choice: str) -> None:
        """Answer; anything but the two choices goes back to the editor."""
        self.dismiss(choice if choice in GONE_CHOICES else None)
