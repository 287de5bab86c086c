"""Starting on the home screen's cached first page while the journal opens.

A large journal takes the database server seconds to load. ``cli/tui.py`` therefore
starts the app at once when ``<data>/cache/home.json`` holds the home's first page
(backend/services/home_cache.py): the home shows those rows, the header says the journal
is opening, moving through the list works, and every action that needs the database is
greyed out in the footer until the journal is open. The opening itself (waiting for the
server, starting the worker) runs in a thread of its own; when it is done the app gets its
root object and the home loads the live list in place.

:class:`HomeKeeper` writes that file: whenever the home has shown the first page of the
default journal, at most every :data:`WRITE_GAP_SECONDS`, and at exit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from backend.errors import CharlieError
from backend.models import EntrySummary
from backend.services.home_cache import HOME_ROWS, CachedHome, write_home
from ui.queue_data import EntryTitles
from ui.screens.startup_error import StartupErrorScreen

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

    from backend.root import Charlie
    from ui.app import CharlieApp

# For type checkers the mixin is the app; at run time a plain class (see ui/workers.py).
if TYPE_CHECKING:
    _Mixin = CharlieApp
else:
    _Mixin = object

OPENING_NOTE = "Opening the journal…"
"""What the header says until the journal is open."""
WAIT_NOTE = "The journal is still opening; this works as soon as it is open."
"""Said when something that needs the database is asked for before then."""
NEEDS_JOURNAL = frozenset(
    {
        "open_queue",
        "open_dead",
        "open_settings",
        "open_import",
        "open_search",
        "open_period",
        "open_author",
        "open_blocked",
        "open_doctor",
    }
)
"""The app's actions that cannot work before the journal is open."""
WRITE_GAP_SECONDS = 5.0
"""The cache is rewritten at most this often (saving and reloads do not rewrite it each
time); what is newer is written at exit."""


@dataclass(frozen=True)
class Opening:
    """How an app started on a cached home opens its journal."""

    open: Callable[[], Charlie]
    """Opens the data directory and starts the owner's chores; blocks for seconds
    (called in a thread worker)."""
    abort: Callable[[], None]
    """Called (from the UI thread) when the app quits before ``open`` returned: stops
    the server it is waiting for, so ``open`` fails at once and the app can exit."""
    home: CachedHome
    """The rows the home shows meanwhile."""


class JournalOpened(Message):
    """The journal is open: the root object, and the default journal's name."""

    def __init__(self, api: Charlie, journal: str) -> None:
        super().__init__()
        self.api = api
        self.journal = journal


class OpeningFailed(Message):
    """Opening the journal raised ``error``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


class OpensJournal(_Mixin):
    """The app's side of starting on a cached home: open the journal in a thread worker,
    then go live; say that the journal is opening when something needs it."""

    opener: threading.Thread | None = None
    """The thread opening the journal, once started."""

    def _open_journal(self) -> None:
        # A daemon thread rather than a thread worker: Textual waits for its workers'
        # threads when it exits, and a second window that attaches to an owner still
        # loading the journal can wait for it for many seconds (broker_wait_seconds);
        # quitting must not. An owner's opening is stopped by ``abort`` instead, and
        # cli/tui.py waits for it (``join_opening``) after closing the runtime.
        self.opener = threading.Thread(
            target=self._opening_thread, name="open-journal", daemon=True
        )
        self.opener.start()

    def _opening_thread(self) -> None:
        assert self._opening is not None
        try:
            api = self._opening.open()
            journal = api.journals.default_name()
        except BaseException as exc:  # Reported to the app, which shows it (or is gone).
            self.post_message(OpeningFailed(exc))
            return
        self.post_message(JournalOpened(api, journal))

    def join_opening(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the opening thread to end."""
        if self.opener is not None:
            self.opener.join(timeout)

    def on_opening_failed(self, message: OpeningFailed) -> None:
        """The journal could not be opened."""
        self._open_failed(message.error)

    def on_journal_opened(self, message: JournalOpened) -> None:
        """The journal is open: use it, and let the home load the live list in place."""
        if not self.opening:
            return
        self._api = message.api
        self.titles = EntryTitles(message.api)
        renamed = message.journal != self.journal
        self.journal = self.default_journal = message.journal
        self.sub_title = self.journal
        self.opening = False
        self.home.journal_opened(fresh=renamed)
        self._go_live()
        self.refresh_bindings()

    def _abort_opening(self) -> None:
        """Quitting before the journal is open: stop the opening (``App.run`` waits for
        its thread)."""
        if self.opening and self._opening is not None and not self._aborted:
            self._aborted = True
            self._opening.abort()

    def _open_failed(self, error: BaseException) -> None:
        """Show what a start-up shows when the data directory cannot be opened."""
        if self._aborted:
            return  # Quitting: the app stopped the opening itself.
        self.open_error = error
        if isinstance(error, CharlieError):
            self.push_screen(StartupErrorScreen(str(error)))
        else:
            self.exit(return_code=1)  # A bug: cli/tui.py raises it once the app is gone.

    def still_opening(self) -> bool:
        """True (and says so) while the journal is opening."""
        if self.opening:
            self.notify(WAIT_NOTE, title="Opening the journal")
        return self.opening


class HomeKeeper:
    """Keeps ``<data>/cache/home.json`` close to the default journal's first page."""

    def __init__(self, app: App[object], kept: CachedHome | None = None) -> None:
        self._app = app
        self._written: tuple[str, list[EntrySummary]] | None = (
            None if kept is None else (kept.journal, kept.entries)
        )
        self._pending: tuple[Path, str, list[EntrySummary]] | None = None
        self._timer: Timer | None = None

    def shown(self, data_dir: Path, journal: str, entries: list[EntrySummary]) -> None:
        """The home showed a fresh list of ``journal`` (the default one), newest first."""
        rows = entries[:HOME_ROWS]
        if self._written == (journal, rows):
            self._pending = None
            return
        self._pending = (data_dir, journal, rows)
        if self._timer is None:
            self._timer = self._app.set_timer(WRITE_GAP_SECONDS, self._write_soon)

    def _write_soon(self) -> None:
        self._timer = None
        pending, self._pending = self._pending, None
        if pending is not None:
            self._written = pending[1:]
            self._app.run_worker(
                lambda: write_home(*pending), thread=True, group="home-cache", exit_on_error=False
            )

    def write_now(self) -> None:
        """Write what is not written yet (at exit, on the UI thread: one small file)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        pending, self._pending = self._pending, None
        if pending is None:
            return
        try:
            write_home(*pending)
        except (OSError, CharlieError) as exc:
            # Only a cache: the next start waits for the journal instead.
            self._app.log.warning("Home cache not written", exc)
        else:
            self._written = pending[1:]
