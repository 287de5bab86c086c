"""Plumbing shared by every screen that calls the backend from thread workers.

Textual sends ``Worker.StateChanged`` only to the node that started the worker (the
message does not bubble), so each screen would otherwise need its own error handling.
This mixin forwards every failure to the one place that reports errors,
:meth:`ui.app.CharlieApp.show_error`, and gives the screen a hook to undo its
"waiting" state (a loading indicator, a disabled form).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from backend.api import CharlieAPI
    from ui.app import CharlieApp


class BackendWorkers(DOMNode):
    """Mixin for screens: typed access to the app and the API, and worker error reporting.

    It derives from DOMNode only so type checkers know about ``app``; in a class
    statement put it before ``Screen`` or ``ModalScreen``.
    """

    @property
    def charlie(self) -> CharlieApp:
        """The running app, typed."""
        return cast("CharlieApp", self.app)

    @property
    def api(self) -> CharlieAPI:
        """The backend API the app was given."""
        return self.charlie.api

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Report a failed worker and let the screen stop waiting."""
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker)
            error = event.worker.error
            if error is not None:
                self.charlie.show_error(error)

    def worker_failed(self, worker: Worker[object]) -> None:
        """Called before the error is shown; override to clear loading states."""
