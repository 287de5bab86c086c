"""Rename an entity: the name box is prefilled, and a name the backend refuses is
explained under it while the dialog stays open to fix it."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static
from textual.worker import Worker

from backend.errors import CharlieError
from backend.models import EntityRef
from ui.messages import GraphChanged
from ui.workers import BackendWorkers

HINT = "Enter rename · Esc cancel. The old name stays as another spelling."


class RenameEntity(BackendWorkers, ModalScreen[str | None]):
    """Dismisses with the stored new name, or None when cancelled."""

    HELP_TITLE = "Rename"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    class Renamed(Message):
        """The backend stored the new name."""

        def __init__(self, new_name: str) -> None:
            super().__init__()
            self.new_name = new_name

    class Refused(Message):
        """The backend refused the name; ``reason`` is written for the user."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, entity: EntityRef) -> None:
        super().__init__()
        self.entity = entity
        """The entity being renamed."""

    def compose(self) -> ComposeResult:
        with Vertical(id="rename-box", classes="dialog"):
            yield Label(f"Rename {self.entity.type.lower()}", classes="dialog-title")
            yield Input(self.entity.name, id="rename-name", select_on_focus=False)
            yield Static(id="rename-error", markup=False)
            yield Static(HINT, id="rename-hint")

    def on_mount(self) -> None:
        box = self.query_one(Input)
        box.cursor_blink = self.app.animation_level != "none"
        self.query_one("#rename-error").display = False
        box.focus()

    @on(Input.Submitted, "#rename-name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() == self.entity.name:
            self.dismiss(None)
            return
        event.input.disabled = True
        self._rename(event.value)

    @on(Input.Changed, "#rename-name")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#rename-error").display = False

    @work(thread=True, exclusive=True, group="rename", exit_on_error=False)
    def _rename(self, name: str) -> None:
        try:
            stored = self.here().curation.rename(self.entity.id, name)
        except CharlieError as error:
            # A refused name is an answer, not a failure: it is shown in the dialog.
            self.post_message(self.Refused(str(error)))
            return
        self.post_message(self.Renamed(stored))

    def on_rename_entity_refused(self, message: Refused) -> None:
        """Say why under the name, and let it be fixed."""
        error = self.query_one("#rename-error", Static)
        error.update(message.reason)
        error.display = True
        box = self.query_one(Input)
        box.disabled = False
        box.focus()

    def on_rename_entity_renamed(self, message: Renamed) -> None:
        """Tell every screen showing the graph, and close."""
        self.app.post_message(GraphChanged())
        self.dismiss(message.new_name)

    def worker_failed(self, worker: Worker[object]) -> None:
        """Give the name box back after an unexpected failure."""
        self.query_one(Input).disabled = False

    def action_cancel(self) -> None:
        """Close without renaming."""
        self.dismiss(None)
