"""Asks before a job action that cannot be taken back (discarding, retrying in bulk)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmAction(ModalScreen[bool]):
    """Dismisses with True to go ahead, False to leave things. "No" has the focus."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str, *, yes: str, no: str = "Cancel") -> None:
        super().__init__()
        self.question = question
        """The heading: what is about to happen."""
        self.detail = detail
        """What it is done to, and what follows from it."""
        self.yes = yes
        """The label of the button that goes ahead."""
        self.no = no
        """The label of the button that leaves things as they are."""

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-action-box", classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            yield Static(self.detail, id="confirm-action-detail", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="confirm-action-yes", variant="warning")
                yield Button(f"{self.no} (n)", id="confirm-action-no", variant="default")

    def on_mount(self) -> None:
        self.query_one("#confirm-action-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer with the button that was pressed."""
        event.stop()
        self.dismiss(event.button.id == "confirm-action-yes")

    def action_answer(self, yes: bool) -> None:
        """Answer from the keyboard."""
        self.dismiss(yes)


def confirm_discard(title: str, journal: str) -> ConfirmAction:
    """The question asked before a dead job is discarded."""
    return ConfirmAction(
        "Discard this job?",
        f"“{title}” ({journal}) will not be enriched. The entry itself stays as it is; "
        "editing it, or pressing r on it, queues it again.",
        yes="Discard",
    )
