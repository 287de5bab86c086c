"""The worker: a Huey consumer that claims durable jobs and runs them (backend/jobs/enricher.py).

The owner's supervisor starts it as ``python -m backend.jobs.worker``; users start more
with `charlie worker` (both run :func:`run_worker`).

The worker is always a client: it reaches the broker only through the handoff (or
``broker_url``) and never starts a server. It holds ``<data>/worker.lock`` for its whole
life, so the owner can tell "no worker is alive" by taking that lock, and only then
returns running jobs to the queue (kill before you reap). It exits within a second or
two of its owner's death, and on SIGTERM gives the jobs it holds back without charging
an attempt.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field

import redis
from huey.consumer import Consumer

from backend.broker.ownership import BrokerConnection, open_broker
from backend.broker.paths import try_worker_lock, worker_lock_path
from backend.broker.private import PRIVATE_UMASK
from backend.broker.processes import process_start_ticks
from backend.errors import CharlieError
from backend.graph.extractor import Extractor, ExtractorUnavailable, load_extractor
from backend.graph.extractor_probe import PROBE_TEXT
from backend.graph.known import KnownEntities
from backend.jobs.breaker import (
    mark_probing,
    open_breaker,
    probe_due,
    probe_passed,
    request_probe,
)
from backend.jobs.enricher import Enricher
from backend.jobs.health import publish_worker
from backend.jobs.records import Claim, Jobs
from backend.jobs.retry import retry_policy
from backend.jobs.spawner import STANDBY_ENV, wait_for_go
from backend.jobs.sweeper import Sweeper
from backend.jobs.switches import inference_enabled, is_editing
from backend.jobs.wakeups import Wakeups, consumer_huey, set_wake_handler
from backend.settings import Settings, load_settings

log = logging.getLogger("charlie.worker")


@dataclass
class Runner:
    """Runs claimed jobs one at a time; a wake-up drains the queue."""

    jobs: Jobs
    client: redis.Redis
    extractor: Extractor
    worker_id: str
    lease_ms: int
    linger_seconds: float = 120.0
    fuzzy_threshold: float = 90.0
    max_entities: int = 50
    known: KnownEntities = field(default_factory=KnownEntities)
    """This worker's copy of each journal's entities (plans skip reading them all)."""
    current_since: float = 0.0
    idle_since: float = field(default_factory=time.monotonic)
    # Held while a job runs and while the model is unloaded, so neither interrupts the other.
    busy: threading.Lock = field(default_factory=threading.Lock)
    enricher: Enricher = field(init=False)
    _beating: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.enricher = Enricher(
            jobs=self.jobs,
            client=self.client,
            extractor=self.extractor,
            worker_id=self.worker_id,
            lease_ms=self.lease_ms,
            fuzzy_threshold=self.fuzzy_threshold,
            max_entities=self.max_entities,
            known=self.known,
        )

    @property
    def current(self) -> Claim | None:
        held = self.enricher.current
        return held.claim if held is not None else None

    def drain(self) -> None:
        """Run queued jobs until none is left (or the model must not be loaded now).

        Each commit also claims the next job (see backend/jobs/commit.py), so a backlog
        drains with one transaction per job; only the first claim stands alone."""
        enricher = self.enricher
        while True:
            with self.busy:
                if enricher.current is None:
                    if not self.extractor.loaded and is_editing(self.client):
                        # The user is typing: loading a model now would make the editor
                        # stutter. The job stays queued; the sweeper wakes us again later.
                        return
                    if probe_due(self.client) and not self.probe():
                        return
                    if not enricher.claim_first():
                        self.idle_since = time.monotonic()
                        return
                self.current_since = time.time()
                self._start_heartbeat()
                try:
                    going_on = enricher.run()
                finally:
                    self.idle_since = time.monotonic()
                if not going_on:
                    return

    def probe(self) -> bool:
        """Read a plain test sentence before taking a job, after the extractor crashed
        this worker's predecessor. True if it worked and jobs may be claimed.

        If it crashes this worker too, the owner knows the model (not one entry) is to
        blame: it pauses the queue and gives the entries their attempts back.
        """
        if self.jobs.paused():
            return False  # Inference off, or the breaker's backoff: probe on resume.
        mark_probing(self.client, self.worker_id)
        try:
            self.extractor.load()
            self.extractor.extract(PROBE_TEXT)
        except ExtractorUnavailable as exc:
            open_breaker(self.client, self.jobs, exc.reason)
            request_probe(self.client)
            return False
        except Exception as exc:  # noqa: BLE001 - it failed in Python, so it did not crash
            log.warning("the test sentence failed (%s: %s); taking jobs", type(exc).__name__, exc)
        # Only the probe is done: the crash streak stays until an entry is read, so a
        # model that reads plain text but crashes on every entry still pauses the queue.
        probe_passed(self.client)
        log.info("the extractor read the test sentence; taking jobs again")
        return True

    def housekeeping(self) -> None:
        """Unload the model once idle for the linger time, or at once if inference is off."""
        if not self.extractor.loaded or not self.busy.acquire(blocking=False):
            return
        try:
            idle = time.monotonic() - self.idle_since
            if idle >= self.linger_seconds or not inference_enabled(self.client):
                self.extractor.unload()
        finally:
            self.busy.release()

    def health(self) -> dict[str, object]:
        current = self.current
        return {
            "id": self.worker_id,
            "pid": os.getpid(),
            "model_loaded": self.extractor.loaded,
            "uses_model": self.extractor.uses_model,
            "extractor": self.extractor.name,
            "job": current.job_id if current else None,
            "entry_id": current.entry_id if current else None,
            "job_started": self.current_since if current else None,
            "at": time.time(),
        }

    def _start_heartbeat(self) -> None:
        """One thread for the worker's life renews the lease of whatever job it holds."""
        if self._beating is None or not self._beating.is_alive():
            self._beating = threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True)
            self._beating.start()

    def _heartbeat(self) -> None:
        while True:
            time.sleep(self.lease_ms / 3000)
            for claim in self.held():
                try:
                    # A job that is no longer ours answers False: its commit is rejected.
                    self.jobs.heartbeat(claim, lease_ms=self.lease_ms)
                except redis.RedisError as exc:
                    log.warning("heartbeat failed: %s", exc)

    def held(self) -> list[Claim]:
        """The jobs this worker holds now: the running one, and the next if held."""
        return self.enricher.held()

    def give_back_all(self, reason: str) -> None:
        """Stopping on purpose (SIGTERM): every job held goes back uncharged."""
        self.enricher.give_back_all(reason)


class WorkerConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer with Charlie's signal handling.

    SIGTERM (the owner stopping us on purpose): give the jobs held back without
    charging an attempt, then exit at once, since a model call in C cannot be
    interrupted. SIGHUP is ignored: Huey would re-exec the process.
    """

    runner: Runner | None = None
    _terminating = False

    def _set_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_term)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def _on_term(self, signum: int, frame: object) -> None:
        if self._terminating:
            # A second signal, handled inside the first (which may hold the claims'
            # lock, and goes on to give the jobs back and exit).
            return
        self._terminating = True
        if self.runner is not None:
            self.runner.give_back_all("worker stopped")
        os._exit(0)


def _watch_owner(conn: BrokerConnection) -> None:
    """Exit as soon as the owner that published our handoff is gone."""
    handoff = conn.handoff
    if handoff is None:
        return  # An external broker has no owner process to follow.

    def watch() -> None:
        while process_start_ticks(handoff.owner_pid) == handoff.owner_started:
            threading.Event().wait(0.5)
        os._exit(3)

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


def _housekeeping(
    runner: Runner, conn: BrokerConnection, wakeups: Wakeups, *, external: bool
) -> None:
    """Every second: publish health, unload an idle model and, with an external broker
    (no owner process to supervise us), reap expired leases and re-send lost wake-ups."""
    sweeper = Sweeper(runner.jobs, conn.client, wakeups)
    while True:
        try:
            publish_worker(conn.client, runner.worker_id, runner.health())
            runner.housekeeping()
            if external:
                runner.jobs.reap_expired("lease expired: its worker stopped renewing it")
                sweeper.tick()
        except redis.RedisError as exc:
            log.warning("housekeeping: %s", exc)
        time.sleep(1.0)


def run_worker(settings: Settings, *, extractor: Extractor | None = None) -> int:
    """The body of `charlie worker` (``extractor``: already made, by a standby)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    external = bool(settings.broker_url)
    lock = None if external else try_worker_lock(settings)
    if lock is None and not external:
        raise CharlieError(f"Another worker holds {worker_lock_path(settings)}.")
    conn = open_broker(settings, own=False)
    _watch_owner(conn)
    jobs = Jobs(conn.client, retry_policy(settings))
    runner = Runner(
        jobs=jobs,
        client=conn.client,
        extractor=extractor or load_extractor(settings.extractor, settings),
        worker_id=f"{socket.gethostname()}:{os.getpid()}",
        lease_ms=int(settings.job_lease_seconds * 1000),
        linger_seconds=settings.model_linger_seconds,
        fuzzy_threshold=settings.fuzzy_threshold,
        max_entities=settings.max_entities,
    )
    set_wake_handler(runner.drain)
    wakeups = Wakeups(conn)
    consumer = WorkerConsumer(
        consumer_huey(conn),
        workers=1,
        worker_type="thread",
        periodic=False,
        check_worker_health=True,
    )
    consumer.runner = runner
    threading.Thread(
        target=_housekeeping,
        args=(runner, conn, wakeups),
        kwargs={"external": external},
        name="housekeeping",
        daemon=True,
    ).start()
    # Work that was queued before we started needs no message to be found.
    wakeups.send()
    log.info("worker %s ready (extractor %s)", runner.worker_id, settings.extractor)
    consumer.run()
    return 0


def main() -> int:
    """`python -m backend.jobs.worker`, as the supervisor starts a worker: what `charlie
    worker` does (private files, settings from the environment, an error in one line)."""
    os.umask(PRIVATE_UMASK)
    try:
        settings = load_settings()
        if os.environ.get(STANDBY_ENV) != "1":
            return run_worker(settings)
        # A standby (see backend.jobs.spawner): everything imported and the extractor
        # made (its model is loaded by the first job, as always), then wait for the word.
        extractor = load_extractor(settings.extractor, settings)
        if not wait_for_go():
            return 0
        return run_worker(settings, extractor=extractor)
    except CharlieError as exc:
        print(f"charlie: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
