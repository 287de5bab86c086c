"""No command: the app, on the data directory it owns (or attached to the running owner).

A large journal takes the database server seconds to load. When the home screen's first
page is cached (``<data>/cache/home.json``, backend/services/home_cache.py), the app
starts at once on those rows and opens the journal behind them (ui/opening.py); on a
first start, or with a cache it cannot use, it waits for the journal as before.
"""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING

from backend.errors import CharlieError
from backend.runtime import OwnerRuntime
from backend.services.home_cache import read_home
from backend.settings import Settings

if TYPE_CHECKING:
    from backend.root import Charlie
    from ui.app import CharlieApp

OPENING_JOIN_SECONDS = 5.0
"""How long the process waits, after the app quit, for an interrupted opening to end."""


def run_tui(settings: Settings) -> int:
    """Run the app until it quits; a data directory that cannot be opened is explained
    (exit status 1)."""
    runtime = OwnerRuntime(settings, supervise=True, startup_backup=True)
    try:
        runtime.begin()
        app = open_app(runtime)
    except CharlieError as exc:
        runtime.close()
        return _startup_error(exc)

    def after_hangup() -> None:
        runtime.close()
        os._exit(0)  # Textual is stuck writing to a terminal that is gone.

    # A closed terminal (SIGHUP) or a shutdown (SIGTERM) keeps the editor's text as a
    # draft and then goes through the same clean exit as Ctrl+Q.
    app.exit_signals = (signal.SIGHUP, signal.SIGTERM)
    app.after_hangup = after_hangup
    try:
        if not app.opening:
            runtime.start()
        app.run()
    finally:
        runtime.close()
        # Quit while the journal was opening: closing stopped the server it waited for,
        # and the opening ends at once, freeing the lock (a second window still
        # attaching is not waited for long).
        app.join_opening(OPENING_JOIN_SECONDS)
    if app.open_error is None:
        return 0
    if isinstance(app.open_error, CharlieError):
        return 1  # The app showed it, as the start-up error screen.
    raise app.open_error


def open_app(runtime: OwnerRuntime) -> CharlieApp:
    """The app on the data directory whose server :meth:`OwnerRuntime.begin` started.

    With a cached home it is returned at once, the journal opening in the app (the
    runtime's chores start there too, once it is open); without, once the journal is
    open (the caller starts the chores).
    """
    # The server is loading the journal in its own process; import meanwhile.
    from ui.app import CharlieApp
    from ui.opening import Opening

    cached = read_home(runtime.settings.data_dir)
    if cached is None:
        runtime.open()
        return CharlieApp(runtime.charlie)

    def open_journal() -> Charlie:
        runtime.open()
        runtime.start()
        return runtime.charlie

    return CharlieApp(None, opening=Opening(open_journal, runtime.close, cached))


def _startup_error(exc: CharlieError) -> int:
    from ui.app import StartupErrorApp

    StartupErrorApp(str(exc)).run()
    return 1
