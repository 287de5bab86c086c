"""The Textual app: owns the backend's root object, the clock, the open journal and error
reporting.

``cli/tui.py`` opens the data directory (backend/runtime.py) and hands a root object on
it, a :class:`backend.root.Charlie`, to :class:`CharlieApp`; when it cannot be opened it shows
:class:`StartupErrorApp` instead. When the home's first page is cached, it starts the app
at once with an :class:`ui.opening.Opening` instead, and the app opens the journal itself
behind the cached rows (see ui/opening.py). The UI uses only the root and the services it hands out
(``api.journal(name)`` for one journal's entries, drafts and graph, ``api.queue``,
``api.journals``, ``api.drafts``), and screens call them from thread workers so the UI
never waits on the database. Tests build the same app on a temporary data directory with
a fixed clock.

The app also keeps every screen live: one long-lived thread worker follows the
database's change events (job transitions, and writes of entries and drafts by any
process) and merges them in a :class:`ui.changes.ChangeFeed`. Job events (and a timer,
so that a missed event is harmless) trigger a fresh reading of the queue, at most a few
a second; the reading lands in ``queue_status``, which the header's indicator watches,
and goes to the screen on top as a :class:`ui.messages.QueueChanged`. Data changes go
to every open screen as a :class:`ui.messages.DataChanged`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from backend.errors import CharlieError
from backend.root import Charlie
from backend.services.home_cache import CachedHome
from ui.changes import ChangeFeed
from ui.dialogs.error import ErrorDialog
from ui.dialogs.help import HelpScreen, binding_sections
from ui.messages import (
    DataChanged,
    EntriesChanged,
    EntryEnriched,
    GraphChanged,
    JournalRenamed,
    QueueChanged,
)
from ui.navigation import OpensScreens
from ui.opening import NEEDS_JOURNAL, HomeKeeper, Opening, OpensJournal
from ui.palette import app_commands
from ui.queue_data import EntryTitles, QueueStatus, load_status
from ui.quitting import KeepsDrafts
from ui.screens.dead_jobs import DeadJobsScreen
from ui.screens.home import HomeScreen
from ui.screens.import_screen import ImportScreen
from ui.screens.queue import QueueScreen
from ui.screens.settings import SettingsScreen
from ui.screens.startup_error import StartupErrorScreen
from ui.styles import CSS_FILES
from ui.workers import Paced

Clock = Callable[[], datetime]

EVENTS_GROUP = "queue-events"
"""The group of the one long-lived worker that follows job events (tests skip it
when they wait for the app to settle)."""


GRAPH_SCREENS = {
    "open_search": "SearchScreen",
    "open_period": "PeriodScreen",
    "open_author": "AuthorScreen",
    "open_blocked": "BlockedNames",
}
"""The knowledge-graph screens, by the action that opens them. They are imported on first
use (the home screen does not need them, and start-up time counts), so they are told
apart by class name."""


def system_clock() -> datetime:
    """Now, as an aware datetime in the machine's time zone."""
    return datetime.now().astimezone()


class CharlieApp(OpensScreens, OpensJournal, KeepsDrafts, App[None]):
    """Charlie's terminal UI on top of one backend root object."""

    TITLE = "Charlie"
    CSS_PATH = CSS_FILES
    # The letters that open screens are the browsing screens' (ui/keys.py BROWSING), so
    # a screen you type into never takes a letter for a shortcut; the F-keys work
    # everywhere, a text field's focus included.
    BINDINGS = [
        Binding("f2", "open_queue", "Queue", show=False),
        Binding("f3", "open_dead", "Dead jobs", show=False),
        Binding("f4", "open_settings", "Settings", show=False),
        Binding("f7", "open_import", "Import", show=False),
        Binding("f5", "open_search", "Search", show=False),
        Binding("f6", "open_period", "Month", show=False),
        Binding("f8", "open_blocked", "Blocked names", show=False),
        Binding("f9", "open_calendar", "Calendar", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        # F1 too, because ? types a question mark while a text field has the focus.
        Binding("f1", "help", "Help"),
    ]
    QUEUE_CHECK_SECONDS = 2.0
    """How often the queue is read even without events."""
    EVENT_GAP_SECONDS = 0.2
    """Job events closer together than this cause one reading of the queue, not one each."""

    queue_status: var[QueueStatus | None] = var(None)
    """The latest reading of the queue (None until the first one arrives)."""
    opening: var[bool] = var(False)
    """Whether the journal is still opening (the home shows its cached first page)."""

    class StatusLoaded(Message):
        """A reading of the queue arrived."""

        def __init__(self, status: QueueStatus) -> None:
            super().__init__()
            self.status = status

    class ChangesArrived(Message):
        """Change events arrived: take them from the feed."""

    class JournalFound(Message):
        """The id of a journal, by name."""

        def __init__(self, name: str, journal_id: str) -> None:
            super().__init__()
            self.name = name
            self.journal_id = journal_id

    def __init__(
        self,
        api: Charlie | None,
        *,
        clock: Clock | None = None,
        journal: str | None = None,
        opening: Opening | None = None,
    ) -> None:
        """Show ``journal`` (default: the default journal) of ``api``.

        ``clock`` returns an aware "now"; tests pass a fixed one so that "This week"
        and the editor's prefilled date do not depend on when they run. Without ``api``,
        ``opening`` says how to open the default journal and which rows to show until
        it is open.
        """
        super().__init__()
        self._api = api
        self.clock: Clock = clock or system_clock
        """Where "now" comes from."""
        self._opening = opening
        self.cached_home: CachedHome | None = None
        """The rows the home shows while the journal opens."""
        self.default_journal: str | None = None
        """The default journal's name, whose first page is cached (None: not known)."""
        if api is None:
            assert opening is not None, "CharlieApp needs a root object or an Opening"
            self.cached_home = opening.home
            self.journal = opening.home.journal
            """The name of the open journal."""
            self.set_reactive(CharlieApp.opening, True)
        else:
            # Resolved once, before the UI runs, and then kept as a name (the backend
            # remembers the default journal by id, so a renamed default stays the default).
            self.journal = journal or api.journals.default_name()
            self.default_journal = None if journal else self.journal
            self.titles = EntryTitles(api)
            """Names jobs after their entries; shared so its cache serves every screen."""
        self.home_keeper = HomeKeeper(self, self.cached_home)
        """Writes the default journal's first page to the cache."""
        self.open_error: BaseException | None = None
        """Why the journal could not be opened (an app started on a cached home)."""
        self._aborted = False
        self._saving_to_quit = False
        self._events_stop = threading.Event()
        self._status_reader = Paced(self, self._load_status, self.EVENT_GAP_SECONDS)
        self._changes = ChangeFeed()
        self.journal_id: str | None = None
        """The open journal's id, once known (until then every journal's changes count)."""
        self._background_failing = False
        self._editing = False
        self._editing_sent = False
        self._editing_lock = threading.Lock()

    @property
    def api(self) -> Charlie:
        """The only way to the data: the backend's root object. (Named ``api``, not
        ``charlie``, because screens already call the app itself ``self.charlie``.)
        Nothing asks for it while the journal opens: what needs it is disabled."""
        if self._api is None:
            raise RuntimeError("The journal is still opening.")
        return self._api

    def now(self) -> datetime:
        """The current time from the app's clock."""
        return self.clock()

    def get_default_screen(self) -> Screen[None]:
        """The entry list is the bottom of the screen stack."""
        return HomeScreen()

    def on_mount(self) -> None:
        self.sub_title = self.journal
        self._handle_exit_signals()
        if self.opening:
            # After the cached rows are on screen: the opening's imports would compete
            # with drawing them, and the server is loading in its own process meanwhile.
            self.call_after_refresh(self._open_journal)
        else:
            self._go_live()

    def _go_live(self) -> None:
        """Follow the queue and the database's changes; offer drafts left behind."""
        self.refresh_queue()
        self.set_interval(self.QUEUE_CHECK_SECONDS, self.refresh_queue)
        self._watch_events()
        self._find_journal_id(self.journal)
        self.offer_drafts(at_start=True)

    def on_unmount(self) -> None:
        """Let the event worker finish (``App.run`` waits for its thread); keep the home's
        first page; stop a journal still opening (``App.run`` waits for that thread too)."""
        self._events_stop.set()
        self.home_keeper.write_now()
        self._abort_opening()

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
        """Open another journal (the home's journal switcher, once the journal is open)."""
        self.journal = name
        self.sub_title = name
        self.journal_id = None
        self._find_journal_id(name)
        self.home.reload(fresh=True)
        self.offer_drafts()

    def on_entries_changed(self, message: EntriesChanged) -> None:
        """An entry was saved or deleted somewhere: the list and the queue must catch up."""
        self.home.request_reload(message.entry_id)
        self.refresh_queue()

    def on_journal_renamed(self, message: JournalRenamed) -> None:
        """Follow a rename of the open journal."""
        if self.default_journal and message.old.casefold() == self.default_journal.casefold():
            self.default_journal = message.new
        if message.old.casefold() == self.journal.casefold():
            self.journal = message.new
            self.sub_title = message.new

    # -- background work -------------------------------------------------------------

    @work(thread=True, exclusive=True, group=EVENTS_GROUP, exit_on_error=False)
    def _watch_events(self) -> None:
        try:
            for event in self.api.queue.events(self._events_stop):
                # One message on its way at a time: its handler takes everything noted
                # until then, so a burst of events costs the UI a few looks, not one each.
                if self._changes.add(event):
                    self.post_message(self.ChangesArrived())
        finally:
            with self._editing_lock, contextlib.suppress(CharlieError):
                if self._editing_sent and self._events_stop.is_set():
                    # Quitting with the editor open: do not leave the flag up for its TTL
                    # (if the database is gone already, the TTL clears it).
                    self.api.queue.set_editing(False)
                    self._editing_sent = False

    def on_charlie_app_changes_arrived(self, message: ChangesArrived) -> None:
        """Pass what changed on: read the queue again, tell the screens."""
        changes = self._changes.take()
        if changes.jobs:
            self._status_reader.soon()
        for screen in self.screen_stack:
            for entry_id in changes.enriched:
                # The reader showing this entry needs to know that it, in particular, was read.
                screen.post_message(EntryEnriched(entry_id))
        if changes.data:
            for screen in self.screen_stack:
                screen.post_message(DataChanged(changes))

    @work(thread=True, group="journal-id", exit_on_error=False)
    def _find_journal_id(self, name: str) -> None:
        self.post_message(self.JournalFound(name, self.api.journals.get(name).id))

    def on_charlie_app_journal_found(self, message: JournalFound) -> None:
        """Remember the open journal's id (unless another journal was opened meanwhile)."""
        if message.name == self.journal:
            self.journal_id = message.journal_id

    def on_entry_enriched(self, message: EntryEnriched) -> None:
        """Tell every open screen that an entry's connections are in the graph."""
        for screen in self.screen_stack:
            screen.post_message(EntryEnriched(message.entry_id))

    def on_graph_changed(self, message: GraphChanged) -> None:
        """Tell every open screen that the graph was corrected by hand."""
        for screen in self.screen_stack:
            screen.post_message(GraphChanged())

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
            self.api.queue.set_editing(wanted)
            self._editing_sent = wanted

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Report a failed background reading once per outage; keep following events."""
        worker = event.worker
        if event.state != WorkerState.ERROR or worker.error is None:
            return
        if worker.group in (EVENTS_GROUP, "editing", "journal-id", "home-cache"):
            # These only help: events make the screens faster (the timer's readings keep
            # them right, and report an outage), the editing flag only keeps the model
            # from loading while the user types, without the journal's id every
            # journal's changes count, and the home's cache only makes the next start
            # show rows sooner. None is worth a dialog.
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
        """Hide the key that opens the screen already showing; grey out what needs the
        database while the journal opens."""
        if self.opening and action in NEEDS_JOURNAL:
            return None
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

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette (Ctrl+P): Charlie's actions (ui/palette), then Textual's."""
        yield from app_commands(self, screen)
        yield from super().get_system_commands(screen)

    def action_help(self) -> None:
        """Show every key that works here, read from the bindings."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(binding_sections(self.screen)))


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
