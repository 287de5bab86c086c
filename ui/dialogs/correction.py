"""What the dialogs that correct the knowledge graph (type, split, link) share.

Each asks the backend for one correction. While it runs, a second Enter does nothing. A
refusal (a CharlieError, written for the user: "There is already a Place called
'Jordan'; merge 'Jordan' into it instead.") is shown in the dialog, which stays open to
fix it and changes nothing. Success tells every view of the graph and closes the dialog
with what the backend returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual import on, work
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static
from textual.worker import Worker, get_current_worker

from backend.errors import CharlieError
from backend.models import EntityRef
from ui.messages import GraphChanged
from ui.widgets.type_choice import TYPES
from ui.workers import BackendWorkers

ResultT = TypeVar("ResultT")


def name_preview(name: str, type_: str, found: EntityRef | None) -> str:
    """What ``name`` as a ``type_`` will be: an entity already in the journal (by its
    name or another spelling of it), or a new one."""
    if found is not None:
        return f"“{found.name}”, the {found.type.lower()} already in your journal"
    return f"“{' '.join(name.split())}”, a new {type_.lower()}"


class CorrectionDialog(BackendWorkers, ModalScreen[ResultT]):
    """Base of a correction dialog: compose a ``Static`` with class ``dialog-error`` and
    call :meth:`apply` with a function that makes the correction; the dialog dismisses
    with what that function returns."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    class Refused(Message):
        """The backend refused; ``reason`` is written for the user."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    class LookedUp(Message):
        """What ``looked_for`` is in the journal: the entity of each type it names (or None),
        and the entities whose names start like it (when asked for)."""

        def __init__(
            self, name: str, found: dict[str, EntityRef | None], similar: list[EntityRef]
        ) -> None:
            super().__init__()
            self.looked_for = name
            self.found = found
            self.similar = similar

    class Applied(Message):
        """The backend made the correction and answered ``answer``."""

        def __init__(self, answer: Any) -> None:
            super().__init__()
            self.answer = answer

    busy = False
    """Whether a correction is being made (further Enters wait for its answer)."""

    def on_mount(self) -> None:
        """Set the form up (Textual calls this as well as a subclass's own on_mount)."""
        for box in self.query(Input):
            box.cursor_blink = self.app.animation_level != "none"
        self.query_one(".dialog-error").display = False

    def apply(self, call: Callable[[], Any]) -> None:
        """Make the correction ``call`` makes (in a thread), unless one is on its way."""
        if self.busy:
            return
        self.busy = True
        self._apply(call)

    @work(thread=True, exclusive=True, group="correction", exit_on_error=False)
    def _apply(self, call: Callable[[], Any]) -> None:
        try:
            answer = call()
        except CharlieError as error:
            # A refusal is an answer, not a failure: it is shown in the dialog.
            self.post_message(self.Refused(str(error)))
            return
        self.post_message(self.Applied(answer))

    @work(thread=True, exclusive=True, group="lookup", exit_on_error=False)
    def look_up(self, name: str, *, similar: bool = False) -> None:
        """Find what ``name`` names now (posts :class:`LookedUp`)."""
        found: dict[str, EntityRef | None] = dict.fromkeys(TYPES)
        alike: list[EntityRef] = []
        if name.strip() or similar:  # Else there is nothing to look up, not even the journal.
            graph = self.here().graph
            if name.strip():
                found = {type_: graph.find_entity(name, type=type_) for type_ in TYPES}
            if similar:
                alike = graph.search(name, limit=8).entities
        if not get_current_worker().is_cancelled:
            self.post_message(self.LookedUp(name, found, alike))

    def show_error(self, text: str) -> None:
        """Say what is wrong under the form (an empty text hides the line)."""
        error = self.query_one(".dialog-error", Static)
        error.update(text)
        error.display = bool(text)

    def on_correction_dialog_refused(self, message: Refused) -> None:
        """Say why; the dialog stays open."""
        self.busy = False
        self.show_error(message.reason)

    def on_correction_dialog_applied(self, message: Applied) -> None:
        """Tell every screen showing the graph, and close."""
        self.app.post_message(GraphChanged())
        self.dismiss(message.answer)

    @on(Input.Changed)
    def _edited(self, event: Input.Changed) -> None:
        # What was wrong may be fixed now; the next Enter says so if not.
        self.show_error("")

    def worker_failed(self, worker: Worker[object]) -> None:
        """An unexpected failure (shown by the app): the form can be used again."""
        if worker.group == "correction":
            self.busy = False

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)  # type: ignore[arg-type]
