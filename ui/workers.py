"""Plumbing shared by every screen that calls the backend from thread workers.

Textual sends ``Worker.StateChanged`` only to the node that started the worker (the
message does not bubble), so each screen would otherwise need its own error handling.
This mixin forwards every failure to the one place that reports errors,
:meth:`ui.app.CharlieApp.show_error`, and gives the screen a hook to undo its
"waiting" state (a loading indicator, a disabled form).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, cast

from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.timer import Timer

    from backend.root import Charlie
    from backend.services.journal import JournalHandle
    from ui.app import CharlieApp


# For type checkers the mixin is a DOMNode, so they know about ``app``. At run time it
# must not be one: Textual collects a widget's default CSS and CSS type names along its
# first DOMNode base, so a DOMNode mixin listed first would hide ``Screen``'s own CSS
# (its background: screens would show the one below wherever they draw nothing).
if TYPE_CHECKING:
    from textual.dom import DOMNode as _Mixin
else:
    _Mixin = object


class BackendWorkers(_Mixin):
    """Mixin for screens: typed access to the app and the backend, and worker error reporting.

    In a class statement put it before ``Screen`` or ``ModalScreen``, so its worker
    handler is the one found.
    """

    @property
    def charlie(self) -> CharlieApp:
        """The running app, typed."""
        return cast("CharlieApp", self.app)

    @property
    def api(self) -> Charlie:
        """The backend's root object the app was given."""
        return self.charlie.api

    def here(self) -> JournalHandle:
        """A handle on the open journal.

        Finding the journal reads the database, so call this only inside thread workers,
        where the backend calls are (never in compose or a handler on the UI thread)."""
        return self.api.journal(self.charlie.journal)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Report a failed worker and let the screen stop waiting."""
        if event.state == WorkerState.ERROR:
            self.worker_failed(event.worker)
            error = event.worker.error
            if error is not None:
                self.charlie.show_error(error)

    def worker_failed(self, worker: Worker[object]) -> None:
        """Called before the error is shown; override to clear loading states."""


class OneAtATime:
    """Runs a loader one call at a time; asking while it runs queues exactly one more.

    For readings that events and timers can ask for many times a second: there is
    never more than one thread doing it, and the last request is always honoured.
    """

    def __init__(self, start: Callable[[], object]) -> None:
        self._start = start
        self._busy = False
        self._again = False

    def request(self) -> None:
        """Run the loader now, or once more after the running call ends."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        self._start()

    def done(self) -> None:
        """The running call ended (with a result or an error)."""
        self._busy = False
        if self._again:
            self._again = False
            self.request()


class _Scheduler(Protocol):
    def set_timer(self, delay: float, callback: Callable[[], object]) -> Timer: ...


class Paced:
    """One call at a time, like OneAtATime, and for news from elsewhere (:meth:`soon`)
    at most one start per ``gap`` seconds, so a burst of change events repaints a few
    times a second, not once per event. :meth:`request` (for the user's own actions)
    does not wait for the gap.
    """

    def __init__(self, node: _Scheduler, start: Callable[[], object], gap: float) -> None:
        self._node = node
        self._start = start
        self._gap = gap
        self._last = -gap
        self._busy = False
        self._again = False
        self._urgent = False
        self._timer: Timer | None = None

    @property
    def busy(self) -> bool:
        """Whether a call is running or waiting for its turn."""
        return self._busy or self._timer is not None

    def request(self) -> None:
        """Run now, or once more right after the running call."""
        self._cancel_timer()
        if self._busy:
            self._again = self._urgent = True
        else:
            self._run()

    def soon(self) -> None:
        """Run once, at least ``gap`` seconds after the last start; any number of calls
        meanwhile cost that one run."""
        if self._busy:
            self._again = True
        elif self._timer is None:
            wait = self._last + self._gap - time.monotonic()
            if wait <= 0:
                self._run()
            else:
                self._timer = self._node.set_timer(wait, self._fire)

    def done(self) -> None:
        """The running call ended (with a result or an error); a run asked for meanwhile
        follows, paced unless :meth:`request` asked for it."""
        self._busy = False
        if self._again:
            urgent, self._again, self._urgent = self._urgent, False, False
            self.request() if urgent else self.soon()

    def _fire(self) -> None:
        # Nothing runs while the timer waits: request() cancels it before it starts one.
        self._timer = None
        self._run()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _run(self) -> None:
        self._busy = True
        self._last = time.monotonic()
        self._start()
