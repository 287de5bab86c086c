"""The sweeper: re-sends lost wake-ups, and lets the breaker probe once its backoff is over.

The owner's supervisor runs it every tick; with an external broker (no owner), every
worker runs one in its housekeeping.
"""

from __future__ import annotations

import time

import redis

from backend.jobs.breaker import BREAKER, backoff_over
from backend.jobs.records import Jobs
from backend.jobs.wakeups import Wakeups

SWEEP_SECONDS = 3.0  # At most one wake-up from the sweeper this often.
MAX_PENDING_WAKEUPS = 2  # No more while this many wait (the worker is busy).


class Sweeper:
    """Re-sends lost wake-ups, and lets the breaker probe once its backoff is over.

    A wake-up carries no job: the worker it reaches drains the whole queue. So one
    message is enough whenever work can run and none is waiting, and the sweeper sends
    at most one every ``interval`` seconds, none while the queue is paused, and none while
    ``max_pending`` are already waiting (a busy worker). With nothing to run it writes
    nothing at all, so an idle app with a large paused backlog stays idle.
    """

    def __init__(
        self,
        jobs: Jobs,
        client: redis.Redis,
        wakeups: Wakeups,
        *,
        interval: float = SWEEP_SECONDS,
        max_pending: int = MAX_PENDING_WAKEUPS,
    ) -> None:
        self.jobs, self.client, self.wakeups = jobs, client, wakeups
        self.interval, self.max_pending = interval, max_pending
        self.sent = 0
        """Wake-ups this sweeper sent (for tests and benchmarks)."""
        self._last_sent = float("-inf")

    def tick(self) -> None:
        if backoff_over(self.client):
            if BREAKER in self.jobs.paused():
                self.jobs.resume(BREAKER)  # A probe: the next claim tries the extractor.
                self._send()
                return
        now = time.monotonic()
        if now - self._last_sent < self.interval or self.jobs.paused():
            return
        if not self.jobs.runnable() or self.wakeups.pending() >= self.max_pending:
            return
        self._send()

    def _send(self) -> None:
        if self.wakeups.send():
            self.sent += 1
        self._last_sent = time.monotonic()
