"""The life of a process on a data directory: open it, do the owner's chores, close it.

The app, `charlie serve` and every CLI command open the data directory through one
:class:`OwnerRuntime`. Opening makes the process the owner if nobody holds the lock (or a
client through the handoff, or a user of an external ``broker_url``); closing stops what
the runtime started and then the connection, which for the owner shuts the server down
cleanly. What the owner does besides its own work is chosen per caller:

- ``startup_backup``: take the start-up backup, in a background thread so the app opens
  at once; closing waits for it, so it never loses the server half-way. Only an owner
  takes one (the owner before it already did).
- ``supervise``: run the worker under a :class:`~backend.jobs.supervisor.Supervisor`
  (which also takes the daily backup) while this process owns the broker (or uses an
  external one): from the start, and from the moment it takes the data directory over
  from an owner that left. The owner that supervises also brings journals from before
  a stored field up to date (folded words for search, ``graph/folding``; word counts,
  ``graph/words``) in a background thread, between batches of which closing stops it;
  the next owner resumes it.

The app and `charlie serve` want both; a CLI command wants neither. Signals stay the
caller's choice too: the app routes SIGHUP and SIGTERM through Textual's event loop (so
the editor's text is kept as a draft first); `charlie serve` uses :meth:`stop_on`.

Heavy modules (redis-py, Huey) are imported when the runtime opens, so a caller can start
the server with :meth:`begin` and do slow imports of its own while it loads.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import TracebackType
from typing import TYPE_CHECKING

from backend.broker.ownership import BrokerConnection, PendingBroker, begin_broker
from backend.errors import BrokerError
from backend.settings import Settings

log = logging.getLogger("charlie.runtime")

if TYPE_CHECKING:
    from backend.jobs.supervisor import Supervisor
    from backend.root import Charlie
    from backend.shared import Backend

TAKE_OVER_CHECK_SECONDS = 0.5
"""How often :meth:`OwnerRuntime.wait_to_own` looks whether the owner has left."""


class OwnerRuntime:
    """One process's open data directory, and the owner's chores while it is open.

    Use it as a context manager: entering opens the data directory (unless :meth:`open`
    did already) and starts the chores; leaving (or :meth:`close`, from any thread)
    undoes both, once. Once open, it hands out the root object (:attr:`charlie`) the app
    and the CLI commands use, on the one :attr:`backend` of the process.
    """

    def __init__(
        self, settings: Settings, *, supervise: bool = False, startup_backup: bool = False
    ) -> None:
        self.settings = settings
        """Where the data lives and how to reach its broker."""
        self.supervise = supervise
        """Whether this process runs the worker whenever it owns the broker."""
        self.startup_backup = startup_backup
        """Whether an owner takes the start-up backup."""
        self.stopping = threading.Event()
        """Set by the signals given to :meth:`stop_on`."""
        self._pending: PendingBroker | None = None
        self._broker: BrokerConnection | None = None
        self._backend: Backend | None = None
        self._charlie: Charlie | None = None
        self._backup: threading.Thread | None = None
        self._folding: threading.Thread | None = None
        self._stop_folding = threading.Event()
        self._supervisors: list[Supervisor] = []
        self._closing = threading.Lock()
        self._closed = threading.Event()
        self._opening = threading.Event()

    # -- opening -------------------------------------------------------------------------

    def begin(self) -> None:
        """Take the lock and start the server loading, if nobody owns the data directory.

        The server loads the journal in its own process; :meth:`open` waits for it.
        """
        if self._pending is None and self._broker is None:
            self._pending = begin_broker(self.settings)

    def open(self) -> BrokerConnection:
        """Connect: wait for the server :meth:`begin` started, or attach to the running
        owner (or to ``broker_url``)."""
        if self._broker is None:
            # What the root object is built from is imported before attaching: a client
            # is ready to use the server the moment it attaches, instead of importing
            # while a short-lived owner finishes and leaves (its clients would all lose
            # the server at once). An owner that called begin() imports while its
            # server loads the journal.
            import backend.root  # noqa: F401

            with self._closing:
                if self._closed.is_set():
                    raise BrokerError("Charlie was closed while the journal was opening.")
                self.begin()
                pending = self._pending
                assert pending is not None
                self._opening.set()
            try:
                # The app opens in a thread while it shows a cached home: close() may
                # run meanwhile, from the UI thread. While pending is kept, close()
                # stops the loading server, which ends finish() at once (it then
                # frees the lock itself).
                broker = pending.finish()
            finally:
                self._pending = None
                self._opening.clear()
            with self._closing:
                if self._closed.is_set():
                    broker.close()
                    raise BrokerError("Charlie was closed while the journal was opening.")
                self._broker = broker
        return self._broker

    @property
    def broker(self) -> BrokerConnection:
        """The open connection; its ``role`` says whether this process owns the broker."""
        if self._broker is None:
            raise RuntimeError("The runtime is not open.")
        return self._broker

    @property
    def backend(self) -> Backend:
        """The stores and queues on the open connection, built once."""
        if self._backend is None:
            from backend.shared import Backend

            self._backend = Backend.on(self.settings, self.broker)
        return self._backend

    @property
    def charlie(self) -> Charlie:
        """The root object the app and the CLI commands are given."""
        if self._charlie is None:
            from backend.root import Charlie

            self._charlie = Charlie(self.backend)
        return self._charlie

    def stop_on(self, *signums: int) -> None:
        """Set :attr:`stopping` when one of these signals arrives (main thread only)."""
        for signum in signums:
            signal.signal(signum, lambda *_: self.stopping.set())

    def wait_to_own(self) -> bool:
        """For a client: until this process owns the data directory (the owner, often a
        short CLI command, left and the lock came free), reopen it every
        TAKE_OVER_CHECK_SECONDS. False, with everything closed, if :attr:`stopping` was
        set first."""
        while self.broker.role == "client" and not self.stopping.wait(TAKE_OVER_CHECK_SECONDS):
            self.broker.close()
            self._broker = self._backend = self._charlie = None
            self.open()
        if self.stopping.is_set():
            self.close()
            return False
        return True

    # -- the owner's chores --------------------------------------------------------------

    def start(self) -> None:
        """Start the chores this runtime was made for (see the module docstring)."""
        with self._closing:
            if self._closed.is_set():
                # Closed while it was opening (the app quit meanwhile): start nothing
                # that close() would no longer stop.
                raise BrokerError("Charlie was closed while the journal was opening.")
            self._start_chores()

    def _start_chores(self) -> None:
        broker = self.broker
        if self.supervise:
            # The owner this process attached to may leave; taking over the data
            # directory then means running the worker from that moment on too.
            broker.on_owner = lambda _conn: self._start_supervisor()
        if self.startup_backup and broker.is_owner:
            self._backup = threading.Thread(target=self._take_startup_backup, name="startup-backup")
            self._backup.start()
        if self.supervise and broker.is_owner:
            self._folding = threading.Thread(target=self._upkeep, name="journal-upkeep")
            self._folding.start()
        if self.supervise:
            self._start_supervisor()

    def _upkeep(self) -> None:
        """Bring journals from before a stored field up to date now, not on the first
        search or statistics that need it (seconds for a big journal): folded words for
        search, word counts for the time views. Stopped between batches by close();
        both are resumable, and the next owner goes on."""
        from backend.graph.folding import fold_journal
        from backend.graph.words import fill_missing

        store = self.backend.store
        try:
            for journal in store.list_journals():
                fold_journal(store.graph(journal), stop=self._stop_folding)
                fill_missing(store.graph(journal), stop=self._stop_folding)
        except Exception:  # Logged, not dropped: the first reading that needs it retries.
            log.exception("Could not bring the journals' stored fields up to date")

    def _take_startup_backup(self) -> None:
        from backend.transfer.backup import automatic_snapshot

        automatic_snapshot(self.broker.client, self.settings, "startup")

    def _start_supervisor(self) -> None:
        """The owner runs the worker; a client leaves that to the owner."""
        from backend.jobs.supervisor import Supervisor
        from backend.transfer.backup import daily_chore

        broker = self.broker
        if not broker.is_owner and broker.role != "external":
            return
        chores = [daily_chore(broker, self.settings)]
        self._supervisors.append(Supervisor(self.settings, broker, chores=chores).start())

    # -- closing -------------------------------------------------------------------------

    def close(self) -> None:
        """Wait for the start-up backup, stop the workers, then close the connection (the
        owner shuts its server down cleanly). Once, from whichever thread comes first."""
        with self._closing:
            if self._closed.is_set():
                return
            if self._backup is not None:
                self._backup.join()  # It must not lose the server half-way.
            if self._folding is not None:
                self._stop_folding.set()
                self._folding.join()  # At most one batch more.
            for supervisor in self._supervisors:
                supervisor.stop()
            if self._broker is not None:
                self._broker.close()
            pending = self._pending
            if pending is not None and pending.owner is not None:
                if self._opening.is_set():
                    # open() is waiting for this server in another thread: stop the
                    # server, and finish() fails at once and frees the lock itself
                    # (freeing it here too could close a file descriptor twice).
                    process = pending.owner.process
                    if process is not None and process.poll() is None:
                        process.kill()
                else:
                    # begin() started a server that open() never finished (it failed,
                    # or was interrupted, importing): stop it and free the lock now.
                    pending.owner.abandon()
                    self._pending = None
            self._closed.set()

    def __enter__(self) -> OwnerRuntime:
        try:
            self.open()
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
