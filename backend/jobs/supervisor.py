"""The owner's supervisor: keeps one worker running, enforces time limits, sweeps.

It runs in a thread of the owner (the TUI or `charlie serve`). Every tick it:
- does the chores that are due: restarting the database server if it died (its own),
  and those it was given (the owner's daily backup, looked at once a minute);
- notices a dead worker, takes the worker lock (so no worker can still be running),
  reaps the jobs it held, and restarts it with backoff; after a crash loop (five
  deaths in a minute with no job completed) it stops restarting and says so in
  ``status``;
- kills a worker whose running job passed its hard time limit, then fails that attempt
  as a timeout (kill before you reap: the job is touched only once the worker is gone);
- re-sends wake-ups for queued jobs whose last one is old (a lost message costs
  nothing), and closes the extractor breaker for a probe once its backoff is over.

The worker is started as ``python -m backend.jobs.worker``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from backend.broker.exits import CRASH_SIGNALS, describe_exit, signal_of, signal_words
from backend.broker.ownership import BrokerConnection
from backend.broker.paths import try_worker_lock
from backend.errors import SettingsError
from backend.graph.extractor_probe import CRASH_ADVICE
from backend.jobs.breaker import (
    BREAKER,
    MODEL_CRASH_STREAK,
    PROBE_ITEM,
    close_breaker,
    note_model_crash,
    open_breaker,
    probing_worker,
)
from backend.jobs.chores import Chore
from backend.jobs.health import forget_worker, publish_supervisor
from backend.jobs.records import Jobs
from backend.jobs.retry import retry_policy
from backend.jobs.spawner import Spawner
from backend.jobs.sweeper import Sweeper
from backend.jobs.wakeups import Wakeups
from backend.settings import Settings, load_settings, settings_env

TICK_SECONDS = 0.25
CRASH_LOOP_DEATHS = 5
CRASH_LOOP_WINDOW = 60.0
STOP_GRACE_SECONDS = 5.0
REPUBLISH_SECONDS = 4.0  # Below the status record's 10 s TTL.
CONFIG_CHECK_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 10.0  # The longest wait between ticks after errors.
log = logging.getLogger("charlie.supervisor")
# The settings that decide how entries are read: a change restarts the worker.
EXTRACTOR_KEYS = (
    "extractor",
    "model",
    "model_context",
    "model_threads",
    "openai_base_url",
    "openai_model",
    "openai_api_key",
    "max_entities",
)


def _stamp(path: Path) -> tuple[int, int] | None:
    """When and how big the config file is, to notice it changed (None: no file)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


@dataclass(frozen=True)
class _Watch:
    """A running job as the supervisor sees it, on its monotonic clock."""

    since: float
    """When it was first seen running (with this lease token)."""
    renewed: float
    """When its lease was last seen renewed."""
    lease: int
    """The lease expiry last seen (any change is a heartbeat)."""


@dataclass
class SupervisorStatus:
    """What the UI shows about the worker."""

    worker_pid: int | None = None
    worker_alive: bool = False
    restarts: int = 0
    server_restarts: int = 0
    last_exit: str = ""
    gave_up: str = ""
    config_error: str = ""
    problem: str = ""
    """The last error a tick hit (cleared by the next good tick)."""
    deaths: deque[float] = field(default_factory=lambda: deque(maxlen=CRASH_LOOP_DEATHS))


class Supervisor:
    """Keeps one worker running for the owner (see the module's docstring).

    ``chores`` are the owner's periodic duties beyond the worker, e.g. the daily backup;
    the supervisor adds its own (restarting a database server that died) in front.
    """

    def __init__(
        self,
        settings: Settings,
        conn: BrokerConnection,
        *,
        extra_env: dict[str, str] | None = None,
        chores: Sequence[Chore] = (),
    ) -> None:
        self.settings = settings
        self.conn = conn
        self.jobs = Jobs(conn.client, retry_policy(settings))
        self.wakeups = Wakeups(conn)
        self.sweeper = Sweeper(self.jobs, conn.client, self.wakeups)
        self.extra_env = extra_env or {}
        self.status = SupervisorStatus()
        self.process: subprocess.Popen[bytes] | None = None
        self.spawner = Spawner(settings.data_dir / "logs" / "worker.log")
        self._stop = threading.Event()
        self._kick = threading.Event()
        """Set to tick at once: the worker exited, or stop() was called."""
        self._thread: threading.Thread | None = None
        self._restart_at = 0.0
        self._reap_pending = ""
        """Why running jobs still need reaping (start-up found the server gone)."""
        self._started_at = 0.0
        self._completed_at_spawn = 0
        self._published: dict[str, Any] | None = None
        self._published_at = 0.0
        self.chores = [Chore("database server", 0.0, self._watch_server), *chores]
        # Each chore first comes due one interval from now (the owner took a start-up
        # backup, so the first daily check can wait).
        start = time.monotonic()
        self._chores_due = [start + chore.interval for chore in self.chores]
        self._watched: dict[tuple[str, str], _Watch] = {}
        self._config_check_at = 0.0
        self._config_stamp = _stamp(settings.config_file)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Supervisor:
        # Jobs left running by a worker from before (we hold the lock, so it is dead).
        # If the server is already gone again (killed just after we took over), the first
        # tick restarts it and reaps then, still before it spawns a worker.
        try:
            self._reap_if_no_worker("owner start-up: no worker was alive")
        except redis.RedisError as exc:
            self._reap_pending = "owner start-up: no worker was alive"
            self.status.last_exit = f"database unreachable at start-up: {exc}"
        self._thread = threading.Thread(target=self._loop, name="supervisor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the worker (its job goes back uncharged) and the supervisor thread."""
        self._stop.set()
        self._kick.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._stop_worker()
        self.spawner.close()

    def _loop(self) -> None:
        """Tick until stopped. Nothing ends this thread early: the worker it spawned dies
        with it (PDEATHSIG), so an error in a tick (a full disk, a bug) is logged, shown
        in the status and tried again with backoff, never allowed to end the loop."""
        failures = 0
        while not self._stop.is_set():
            try:
                self._tick()
                failures = 0
                self.status.problem = ""
            except redis.RedisError as exc:
                # The server may be restarting; try again next tick.
                self.status.last_exit = f"database unreachable: {exc}"
            except Exception as exc:  # noqa: BLE001 - logged, shown, retried: see above
                failures += 1
                self.status.problem = f"{type(exc).__name__}: {exc}"
                log.exception("supervisor tick failed (%d in a row)", failures)
            self._kick.wait(min(MAX_BACKOFF_SECONDS, TICK_SECONDS * 2**failures))
            self._kick.clear()

    def _tick(self) -> None:
        self._do_chores()
        if self._reap_pending:
            self._reap_if_no_worker(self._reap_pending)
            self._reap_pending = ""
        self._follow_config()
        self._publish_status()
        if self.process is None:
            if not self.status.gave_up and time.monotonic() >= self._restart_at:
                self._spawn()
        elif self.process.poll() is not None:
            code = self.process.returncode
            self._on_death(describe_exit(code), crash_signal=signal_of(code))
        else:
            self._enforce_time_limit()
        self._sweep()

    def _do_chores(self) -> None:
        """Do every chore that is due, in order (the database server first)."""
        for index, chore in enumerate(self.chores):
            now = time.monotonic()
            if now < self._chores_due[index]:
                continue
            self._chores_due[index] = now + chore.interval
            chore.run()

    def _publish_status(self) -> None:
        """Publish the status when it changed, else only often enough to beat its TTL:
        every write lands in the fsynced append-only file, so not four times a second."""
        record = self.status_record()
        now = time.monotonic()
        if record != self._published or now - self._published_at >= REPUBLISH_SECONDS:
            publish_supervisor(self.conn.client, record)
            self._published, self._published_at = record, now

    def status_record(self) -> dict[str, Any]:
        """The status as a plain record (what screens and `charlie status` show)."""
        return {
            "worker_pid": self.status.worker_pid,
            "worker_alive": self.status.worker_alive,
            "restarts": self.status.restarts,
            "server_restarts": self.status.server_restarts,
            "last_exit": self.status.last_exit,
            "gave_up": self.status.gave_up,
            "config_error": self.status.config_error,
            "problem": self.status.problem,
            "time_limit_seconds": self.settings.job_time_limit_seconds,
        }

    # -- the worker ----------------------------------------------------------------------

    def _spawn(self) -> None:
        env = {**os.environ, **settings_env(self.settings), **self.extra_env}
        self.process = process = self.spawner.start(env)

        # Its exit ticks the loop at once: the job it held is reaped and runs again in
        # the standby without waiting for the next tick.
        def tick_on_exit() -> None:
            process.wait()
            self._kick.set()

        threading.Thread(target=tick_on_exit, name="worker-exit", daemon=True).start()
        self._started_at = time.monotonic()
        self._completed_at_spawn = self.jobs.completed_total()
        self.status.worker_pid = self.process.pid
        self.status.worker_alive = True

    def _on_death(self, why: str, *, crash_signal: signal.Signals | None = None) -> None:
        """The worker is gone: reap its jobs and restart it with backoff.

        ``crash_signal`` is set when it died of a fault of its own (SIGSEGV…), which in a
        worker means native code (the model) crashed while reading something.
        """
        worker_id = None
        if self.process is not None:
            worker_id = f"{socket.gethostname()}:{self.process.pid}"
            # Its health record would otherwise linger until its TTL runs out.
            forget_worker(self.conn.client, worker_id)
        self.process = None
        self.status.worker_alive = False
        self.status.last_exit = why
        now = time.monotonic()
        # A worker that lived long or got work done was not crash-looping.
        if (
            now - self._started_at > CRASH_LOOP_WINDOW
            or self.jobs.completed_total() > self._completed_at_spawn
        ):
            self.status.deaths.clear()
        streak = None
        if worker_id is not None and crash_signal in CRASH_SIGNALS:
            streak = self._note_model_crash(worker_id)
        if streak is None:
            self.status.deaths.append(now)
        else:
            # Not a crash loop to give up on: the breaker paces the probes from now on.
            self.status.deaths.clear()
        self._reap_if_no_worker(f"worker died: {why}", wait=True, dead=worker_id)
        if streak is not None and crash_signal is not None:
            self._pause_for_model_crash(streak, crash_signal)
        if (
            len(self.status.deaths) >= CRASH_LOOP_DEATHS
            and now - self.status.deaths[0] <= CRASH_LOOP_WINDOW
        ):
            self.status.gave_up = (
                f"The worker died {CRASH_LOOP_DEATHS} times within {CRASH_LOOP_WINDOW:g} s "
                f"(last: {why}); not restarting it. See {self.settings.data_dir}/logs/worker.log."
            )
            return
        self.status.restarts += 1
        # The first death restarts at once (the standby is ready); then with backoff.
        deaths = len(self.status.deaths)
        backoff = 0.0 if deaths <= 1 else min(30.0, 0.25 * 2 ** (deaths - 2))
        self._restart_at = now + backoff

    def _note_model_crash(self, worker_id: str) -> list[str] | None:
        """Record what the crashed worker was reading; the streak if the model is to blame.

        A crash on one entry may be that entry's fault (poison: it goes dead after a few
        crashes, as before). A crash on a second, different input with nothing read
        successfully in between — another entry, or the plain test sentence every worker
        reads after a crash — blames the model.
        """
        client = self.conn.client
        items = [r.id for r in self.jobs.list("running") if r.worker == worker_id]
        if not items and probing_worker(client) == worker_id:
            items = [PROBE_ITEM]
        streak: list[str] = []
        for item in items:
            streak = note_model_crash(client, item)
        return streak if len(streak) >= MODEL_CRASH_STREAK else None

    def _pause_for_model_crash(self, streak: list[str], crash_signal: signal.Signals) -> None:
        """Pause the queue with the reason in words and give every entry in the streak
        its attempt back: the model, not the entries, is broken."""
        entries = [item for item in streak if item != PROBE_ITEM]
        if len(entries) >= 2:
            what = f"while reading {len(entries)} entries in a row"
        elif entries:
            what = "while reading an entry, and again on a plain test sentence"
        else:
            what = "on a plain test sentence"
        model = f" ({self.settings.model})" if self.settings.extractor == "llama_cpp" else ""
        reason = (
            f"The {self.settings.extractor} extractor{model} crashed the worker with "
            f"{signal_words(crash_signal)} {what}; {CRASH_ADVICE}."
        )
        open_breaker(self.conn.client, self.jobs, reason)
        for job_id in entries:
            self.jobs.refund_crash(job_id, reason)

    def _reap_if_no_worker(
        self, reason: str, *, wait: bool = False, dead: str | None = None
    ) -> None:
        """Return running jobs to the queue, only while holding the worker lock.

        With an external broker no lock can tell that `charlie worker`s (here or on
        other machines) are gone: only the jobs of ``dead``, the worker this supervisor
        started and saw die, come back now; the others' when their leases expire (every
        worker reaps expired leases in its housekeeping)."""
        if self.conn.role == "external":
            if dead is not None:
                self.jobs.reap_running(reason, worker=dead)
            return
        deadline = time.monotonic() + (5.0 if wait else 0.0)
        while True:
            fd = try_worker_lock(self.settings)
            if fd is not None:
                try:
                    self.jobs.reap_running(reason)
                finally:
                    os.close(fd)
                return
            if time.monotonic() >= deadline:
                return  # A worker is alive (or dying): it still owns its jobs.
            time.sleep(0.05)

    def _enforce_time_limit(self) -> None:
        """Kill a worker whose job passed its hard limit (a timeout) or that stopped
        renewing its lease while still alive (hung: frozen, or stuck outside Python).

        Both are measured on this process's monotonic clock — how long this supervisor
        has seen the job running, and since it last saw the lease renewed — never by
        comparing wall-clock stamps, so a clock step (suspend, NTP) kills nothing.
        """
        assert self.process is not None
        limit = self.settings.job_time_limit_seconds
        ours = f"{socket.gethostname()}:{self.process.pid}"
        now = time.monotonic()
        watched: dict[tuple[str, str], _Watch] = {}
        for record in self.jobs.list("running"):
            if record.worker != ours:
                continue
            key = (record.id, record.token)
            watch = self._watched.get(key) or _Watch(now, now, record.lease_expires)
            if record.lease_expires != watch.lease:  # A heartbeat renewed it.
                watch = _Watch(watch.since, now, record.lease_expires)
            watched[key] = watch
            if now - watch.since > limit:
                self._kill_worker()
                self.jobs.fail(
                    record.as_claim(),
                    f"Timed out after {self.settings.job_time_limit_seconds:g} s "
                    "(the worker was killed).",
                    kind="timeout",
                )
                self._on_death("killed: job time limit")
                return
            if now - watch.renewed > self.settings.job_lease_seconds:
                self._kill_worker()
                self._on_death("killed: hung (it stopped renewing its lease while alive)")
                return
        self._watched = watched

    def _follow_config(self) -> None:
        """Switch the worker to another extractor when the config file says so.

        `charlie model use` writes the config file; the worker then in use may be the very
        one crashing, so it is stopped (its job goes back uncharged), the breaker and a
        crash give-up are cleared, and a worker with the new settings starts at once.
        """
        now = time.monotonic()
        if now < self._config_check_at:
            return
        self._config_check_at = now + CONFIG_CHECK_SECONDS
        stamp = _stamp(self.settings.config_file)
        if stamp == self._config_stamp:
            return
        self._config_stamp = stamp
        try:
            fresh = load_settings(
                {**os.environ, "CHARLIE_CONFIG_FILE": str(self.settings.config_file)}
            )
        except (SettingsError, OSError) as exc:
            self.status.config_error = str(exc)  # Keep working with the settings we have.
            return
        self.status.config_error = ""
        changes = {
            key: getattr(fresh, key)
            for key in EXTRACTOR_KEYS
            if getattr(fresh, key) != getattr(self.settings, key)
        }
        if not changes:
            return
        self.settings = self.settings.with_changes(**changes)
        self._stop_worker()
        self._reap_if_no_worker("the extractor was switched", wait=True)
        close_breaker(self.conn.client)
        if BREAKER in self.jobs.paused():
            self.jobs.resume(BREAKER)
        self.status.gave_up = ""
        self.status.deaths.clear()
        self.status.last_exit = f"stopped to switch to the {self.settings.extractor} extractor"
        self._restart_at = 0.0

    def _watch_server(self) -> None:
        """Restart the database server from its append-only file if it died."""
        if self.conn.is_owner and not self.conn.server_alive():
            self.status.last_exit = "database server died; restarting it"
            self.conn.restart_server()
            self.status.server_restarts += 1

    def _kill_worker(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()

    def _stop_worker(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self._kill_worker()
        self.process = None
        self.status.worker_alive = False

    # -- the queue -----------------------------------------------------------------------

    def _sweep(self) -> None:
        self.sweeper.tick()
