"""The Textual app: owns the API object, the clock, the open journal and error reporting.

``charlie.py`` builds a :class:`backend.api.CharlieAPI` and hands it to
:class:`CharlieApp`; when the API cannot be opened it shows :class:`StartupErrorApp`
instead. Tests build the same app on a temporary data directory with a fixed clock.

The app also watches background work for every screen: one long-lived thread worker
follows the backend's job events, and each event (and a timer, so that a missed event
is harmless) triggers one fresh reading of the queue. The reading lands in
``queue_status``, which the header's indicator watches, and goes to the screen on top
as a :class:`ui.messages.QueueChanged`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path, PurePath

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from backend.api import CharlieAPI
from backend.errors import CharlieError
from ui.dialogs.error import ErrorDialog
from ui.dialogs.help import HelpScreen, binding_sections
from ui.messages import EntriesChanged, EntryEnriched, GraphChanged, JournalRenamed, QueueChanged
from ui.queue_data import EntryTitles, QueueStatus, load_status
from ui.screens.dead_jobs import DeadJobsScreen
from ui.screens.editor import EditorScreen
from ui.screens.home import HomeScreen
from ui.screens.import_screen import ImportScreen
from ui.screens.job_detail import JobDetailScreen
from ui.screens.queue import QueueScreen
from ui.screens.settings import SettingsScreen
from ui.screens.startup_error import StartupErrorScreen
from ui.workers import OneAtATime

Clock = Callable[[], datetime]

_HERE = Path(__file__).parent
CSS_FILES: list[str | PurePath] = [
    _HERE / "app.tcss",
    _HERE / "screens" / "home.tcss",
    _HERE / "screens" / "editor.tcss",
    _HERE / "screens" / "reader.tcss",
    _HERE / "screens" / "startup_error.tcss",
    _HERE / "screens" / "queue.tcss",
    _HERE / "screens" / "dead_jobs.tcss",
    _HERE / "screens" / "job_detail.tcss",
    _HERE / "screens" / "settings.tcss",
    _HERE / "screens" / "import_screen.tcss",
    _HERE / "screens" / "entity.tcss",
    _HERE / "screens" / "search.tcss",
    _HERE / "screens" / "period.tcss",
    _HERE / "screens" / "doctor.tcss",
    _HERE / "dialogs" / "dialogs.tcss",
    _HERE / "dialogs" / "graph_dialogs.tcss",
]


EVENTS_GROUP = "queue-events"
"""The group of the one long-lived worker that follows job events (tests skip it
when they wait for the app to settle)."""
WORK_SCREENS = (QueueScreen, DeadJobsScreen, JobDetailScreen, SettingsScreen)
"""Screens about background work: opening another one replaces them, so going back
and forth between them never piles up screens."""


GRAPH_SCREENS = {
    "open_search": "SearchScreen",
    "open_period": "PeriodScreen",
    "open_blocked": "BlockedNames",
}
"""The knowledge-graph screens, by the action that opens them. They are imported on first
use (the home screen does not need them, and start-up time counts), so they are told
apart by class name."""


def enriched_entry(event: dict[str, object]) -> str | None:
    """The entry id of a job event that says an enrichment was committed, else None.

    Enrichment job ids are ``enrich:<journal id>:<entry id>`` and entry ids are unique
    across journals, so the last part is enough.
    """
    job = event.get("job")
    if event.get("event") != "done" or not isinstance(job, str) or not job.startswith("enrich:"):
        return None
    return job.rsplit(":", 1)[-1] or None


def system_clock() -> datetime:
    """Now, as an aware datetime in the machine's time zone."""
    return datetime.now().astimezone()


class CharlieApp(App[None]):
    """Charlie's terminal UI on top of one CharlieAPI."""

    TITLE = "Charlie"
    CSS_PATH = CSS_FILES
    # Each key that a text field would type has an F-key twin, which works while a
    # text field has the focus (the footer then shows the F-key instead).
    BINDINGS = [
        Binding("w", "open_queue", "Queue"),
        Binding("f2", "open_queue", "Queue"),
        Binding("exclamation_mark", "open_dead", "Dead jobs", key_display="!", show=False),
        Binding("f3", "open_dead", "Dead jobs", show=False),
        Binding("comma", "open_settings", "Settings", key_display=",", show=False),
        Binding("f4", "open_settings", "Settings", show=False),
        Binding("f7", "open_import", "Import", show=False),
        # Shown in the home screen's footer (a binding there); here for every other screen.
        Binding("slash", "open_search", "Search", key_display="/", show=False),
        Binding("f5", "open_search", "Search", show=False),
        Binding("f6", "open_period", "Month", show=False),
        Binding("f8", "open_blocked", "Blocked names", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        # F1 too, because ? types a question mark while a text field has the focus.
        Binding("f1", "help", "Help"),
    ]
    QUEUE_CHECK_SECONDS = 2.0
    """How often the queue is read even without events."""
    EVENT_GAP_SECONDS = 0.2
    """Events closer together than this cause one reading, not one each."""

    queue_status: var[QueueStatus | None] = var(None)
    """The latest reading of the queue (None until the first one arrives)."""

    class StatusLoaded(Message):
        """A reading of the queue arrived."""

        def __init__(self, status: QueueStatus) -> None:
            super().__init__()
            self.status = status

    class QueueEvent(Message):
        """One or more job events arrived."""

    def __init__(
        self, api: CharlieAPI, *, clock: Clock | None = None, journal: str | None = None
    ) -> None:
        """Show ``journal`` (default: the default journal) of ``api``.

        ``clock`` returns an aware "now"; tests pass a fixed one so that "This week"
        and the editor's prefilled date do not depend on when they run.
        """
        super().__init__()
        self.api = api
        """The only way to the data."""
        self.clock: Clock = clock or system_clock
        """Where "now" comes from."""
        # Resolved once, before the UI runs, and then kept as a name (the backend
        # remembers the default journal by id, so a renamed default stays the default).
        self.journal: str = journal or api.default_journal
        """The name of the open journal."""
        self.titles = EntryTitles(api)
        """Names jobs after their entries; shared so its cache serves every screen."""
        self._saving_to_quit = False
        self._events_stop = threading.Event()
        self._status_reader = OneAtATime(self._load_status)
        self._background_failing = False
        self._editing = False
        self._editing_sent = False
        self._editing_lock = threading.Lock()

    def now(self) -> datetime:
        """The current time from the app's clock."""
        return self.clock()

    def get_default_screen(self) -> Screen[None]:
        """The entry list is the bottom of the screen stack."""
        return HomeScreen()

    def on_mount(self) -> None:
        self.sub_title = self.journal
        self.refresh_queue()
        self.set_interval(self.QUEUE_CHECK_SECONDS, self.refresh_queue)
        self._watch_events()

    def on_unmount(self) -> None:
        """Let the event worker finish (``App.run`` waits for its thread)."""
        self._events_stop.set()

    @property
    def home(self) -> HomeScreen:
        """The home screen (always the bottom of the stack)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, HomeScreen)
        return screen

    def show_error(self, error: BaseException) -> None:
        """The one place errors reach the user.

        A CharlieError's message is written for the user and shown as-is in a dialog;
        anything else is a bug or an outage the backend did not translate, so it gets
        a short notification and the full story in the Textual log.
        """
        offer_quit, self._saving_to_quit = self._saving_to_quit, False
        if offer_quit:
            # Whatever failed, the user asked to quit: say so, and let them insist.
            text = str(error) if isinstance(error, CharlieError) else repr(error)
            self.push_screen(
                ErrorDialog(text, title="Could not save before quitting", offer_quit=True)
            )
            return
        if isinstance(error, CharlieError):
            self.push_screen(ErrorDialog(str(error)))
            return
        self.log.error("Unexpected error", error)
        self.notify(
            f"{type(error).__name__}: {error}",
            title="Unexpected error",
            severity="error",
            timeout=10,
        )

    def switch_journal(self, name: str) -> None:
        """Open another journal."""
        self.journal = name
        self.sub_title = name
        self.home.reload(fresh=True)

    def on_entries_changed(self, message: EntriesChanged) -> None:
        """An entry was saved or deleted somewhere: the list and the queue must catch up."""
        self.home.request_reload(message.entry_id)
        self.refresh_queue()

    def on_journal_renamed(self, message: JournalRenamed) -> None:
        """Follow a rename of the open journal."""
        if message.old.casefold() == self.journal.casefold():
            self.journal = message.new
            self.sub_title = message.new

    # -- background work -------------------------------------------------------------

    @work(thread=True, exclusive=True, group=EVENTS_GROUP, exit_on_error=False)
    def _watch_events(self) -> None:
        last_post = 0.0
        pending = False
        try:
            # The backend yields {} about once a second when nothing happens, so a
            # burst's last events are posted at most a second late.
            for event in self.api.events(self._events_stop):
                entry_id = enriched_entry(event)
                if entry_id is not None:
                    # Not coalesced like the queue readings: the reader showing this
                    # entry needs to know that it, in particular, was read.
                    self.post_message(EntryEnriched(entry_id))
                pending = pending or bool(event)
                if pending and time.monotonic() - last_post >= self.EVENT_GAP_SECONDS:
                    pending, last_post = False, time.monotonic()
                    self.post_message(self.QueueEvent())
        finally:
            with self._editing_lock, contextlib.suppress(CharlieError):
                if self._editing_sent and self._events_stop.is_set():
                    # Quitting with the editor open: do not leave the flag up for its TTL
                    # (if the database is gone already, the TTL clears it).
                    self.api.set_editing(False)
                    self._editing_sent = False

    def on_entry_enriched(self, message: EntryEnriched) -> None:
        """Tell every open screen that an entry's connections are in the graph."""
        for screen in self.screen_stack:
            screen.post_message(EntryEnriched(message.entry_id))

    def on_graph_changed(self, message: GraphChanged) -> None:
        """Tell every open screen that the graph was corrected by hand."""
        for screen in self.screen_stack:
            screen.post_message(GraphChanged())

    def on_charlie_app_queue_event(self, message: QueueEvent) -> None:
        """Jobs moved: read the queue again."""
        self.refresh_queue()

    def refresh_queue(self) -> None:
        """Read the queue now; one reading at a time, and one more if asked meanwhile."""
        self._status_reader.request()

    @work(thread=True, group="queue-status", exit_on_error=False)
    def _load_status(self) -> None:
        self.post_message(self.StatusLoaded(load_status(self.api)))

    def on_charlie_app_status_loaded(self, message: StatusLoaded) -> None:
        """Keep the reading for the indicators and tell the screen on top."""
        self._background_failing = False
        self.queue_status = message.status
        # A reading can land while the app shuts down, after its screens are gone.
        if self.screen_stack:
            self.screen.post_message(QueueChanged(message.status))
        self._status_reader.done()

    def report_editing(self, editing: bool) -> None:
        """Tell the worker the editor is open (call again within 30 s) or closed."""
        self._editing = editing
        self._send_editing()

    @work(thread=True, group="editing", exit_on_error=False)
    def _send_editing(self) -> None:
        # Under the lock the latest wish is read and written, so a slow "open" can
        # never land after the "closed" that followed it.
        with self._editing_lock:
            wanted = self._editing
            self.api.set_editing(wanted)
            self._editing_sent = wanted

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Report a failed background reading once per outage; keep following events."""
        worker = event.worker
        if event.state != WorkerState.ERROR or worker.error is None:
            return
        if worker.group in (EVENTS_GROUP, "editing"):
            # Both only help: events make the screens faster (the timer's readings keep
            # them right, and report an outage), and the editing flag only keeps the
            # model from loading while the user types. Neither is worth a dialog.
            self.log.error(f"Background helper {worker.group!r} failed", worker.error)
            if worker.group == EVENTS_GROUP and not self._events_stop.is_set():
                self.set_timer(self.QUEUE_CHECK_SECONDS, self._watch_events)
            return
        if worker.group == "queue-status":
            self._status_reader.done()
        # Readings run every few seconds: one report per outage, not one per attempt.
        if not self._background_failing:
            self._background_failing = True
            self.show_error(worker.error)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the key that opens the screen already showing."""
        target = {
            "open_queue": QueueScreen,
            "open_dead": DeadJobsScreen,
            "open_settings": SettingsScreen,
            "open_import": ImportScreen,
        }.get(action)
        if target is not None and isinstance(self.screen, target):
            return False
        if GRAPH_SCREENS.get(action) == type(self.screen).__name__:
            return False
        return True

    def _open(self, screen: Screen[None]) -> None:
        if isinstance(self.screen, type(screen)):
            return
        if isinstance(self.screen, WORK_SCREENS):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def action_open_queue(self) -> None:
        """Show what the background worker is doing and what waits."""
        self._open(QueueScreen())

    def action_open_dead(self) -> None:
        """Show jobs that failed for good."""
        self._open(DeadJobsScreen())

    def action_open_settings(self) -> None:
        """Show the settings."""
        self._open(SettingsScreen())

    def action_open_import(self) -> None:
        """Import entries from another journaling app or a folder of files."""
        self._open(ImportScreen())

    def action_open_search(self) -> None:
        """Search entries and names."""
        from ui.screens.search import SearchScreen

        self._open(SearchScreen())

    def action_open_period(self) -> None:
        """Show who and what appeared this month."""
        from ui.screens.period import PeriodScreen

        self._open(PeriodScreen())

    def action_open_blocked(self) -> None:
        """List the names that are never picked out of entries."""
        from ui.dialogs.blocked import BlockedNames

        if not isinstance(self.screen, BlockedNames):
            self.push_screen(BlockedNames())

    def action_open_doctor(self) -> None:
        """Check the setup and say what to fix (the report `charlie doctor` prints)."""
        from ui.screens.doctor import DoctorScreen

        if not isinstance(self.screen, DoctorScreen):
            self.push_screen(DoctorScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette (Ctrl+P): Textual's commands, and the doctor."""
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Doctor",
            "Check the data, database, worker, model, queue and backups; say what to fix",
            self.action_open_doctor,
        )

    def action_help(self) -> None:
        """Show every key that works here, read from the bindings."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(binding_sections(self.screen)))

    async def action_quit(self) -> None:
        """Quit, saving the editor's text first so that quitting never loses writing.

        If that save fails the error dialog says so, and a second Ctrl+Q while it is
        open quits anyway (for when the data cannot be reached at all).
        """
        screen = self.screen
        if isinstance(screen, ErrorDialog) and screen.offer_quit:
            self.exit()
            return
        editors = [s for s in self.screen_stack if isinstance(s, EditorScreen)]
        if not editors:
            self.exit()
            return
        self._saving_to_quit = True
        editors[-1].save(then_quit=True)


class StartupErrorApp(App[None]):
    """Shown instead of CharlieApp when the data directory or database cannot be opened."""

    TITLE = "Charlie"
    CSS_PATH = CSS_FILES

    def __init__(self, message: str) -> None:
        """``message`` is the CharlieError's text, shown as-is."""
        super().__init__()
        self.message = message
        """What went wrong."""

    def get_default_screen(self) -> Screen[None]:
        """The only screen: what went wrong and how to quit."""
        return StartupErrorScreen(self.message)
