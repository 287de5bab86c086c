"""Asks before an entry is deleted, because a delete cannot be undone."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmDelete(ModalScreen[bool]):
    """Dismisses with True to delete, False to keep. Cancel has the focus, for safety."""

    BINDINGS = [
        Binding("y", "answer(True)", "Delete"),
        Binding("n,escape", "answer(False)", "Keep"),
    ]

    def __init__(self, title: str, when: str) -> None:
        super().__init__()
        self.entry_title = title
        """The entry's title (or first line), shown so the user knows which one."""
        self.when = when
        """The entry's date as the user knows it."""

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Label("Delete this entry?", classes="dialog-title")
            yield Static(self.entry_title or "(untitled)", id="confirm-entry", markup=False)
            yield Static(self.when, id="confirm-when", markup=False)
            yield Static("This cannot be undone.", id="confirm-warning")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Delete (y)", id="confirm-delete", variant="error")
                yield Button("Keep (n)", id="confirm-keep", variant="default")

    def on_mount(self) -> None:
        self.query_one("#confirm-keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer with the button that was pressed."""
        event.stop()
        self.dismiss(event.button.id == "confirm-delete")

    def action_answer(self, delete: bool) -> None:
        """Answer from the keyboard."""
        self.dismiss(delete)
