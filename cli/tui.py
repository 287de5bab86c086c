"""No command: the app, on the data directory it owns (or attached to the running owner)."""

from __future__ import annotations

import os
import signal

from backend.errors import CharlieError
from backend.runtime import OwnerRuntime
from backend.settings import Settings


def run_tui(settings: Settings) -> int:
    """Run the app until it quits; a data directory that cannot be opened is explained
    in a small app of its own (exit status 1)."""
    runtime = OwnerRuntime(settings, supervise=True, startup_backup=True)
    try:
        runtime.begin()
        # The server is loading the journal in its own process; import meanwhile.
        from ui.app import CharlieApp

        runtime.open()
        charlie = runtime.charlie
    except CharlieError as exc:
        return _startup_error(exc)

    def after_hangup() -> None:
        runtime.close()
        os._exit(0)  # Textual is stuck writing to a terminal that is gone.

    with runtime:
        app = CharlieApp(charlie)
        # A closed terminal (SIGHUP) or a shutdown (SIGTERM) keeps the editor's text
        # as a draft and then goes through the same clean exit as Ctrl+Q.
        app.exit_signals = (signal.SIGHUP, signal.SIGTERM)
        app.after_hangup = after_hangup
        app.run()
    return 0


def _startup_error(exc: CharlieError) -> int:
    from ui.app import StartupErrorApp

    StartupErrorApp(str(exc)).run()
    return 1
