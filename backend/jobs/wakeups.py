"""Huey as the executor: its messages only wake workers; job records decide the work.

Every Redis dequeue in Huey is destructive, so a message can vanish with a crashed
worker. That is harmless here: a wake-up carries no job, the worker claims the best
job from the durable records, duplicates find nothing to claim, and the owner's
sweeper re-sends wake-ups for queued jobs whose last one is old.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis
from huey import PriorityRedisHuey

from backend.broker.ownership import BrokerConnection
from backend.jobs.keys import HUEY_NAME

log = logging.getLogger("charlie.queue")
WAKE_TASK = "charlie.wake"

# The worker process installs the function a wake-up runs; producers never run it.
_on_wake: Callable[[], None] | None = None


def set_wake_handler(handler: Callable[[], None]) -> None:
    """Make this process a worker: every wake-up it consumes runs ``handler``."""
    global _on_wake
    _on_wake = handler


def _pool(conn: BrokerConnection) -> redis.ConnectionPool:
    # One parser for every URL, as redis-py's own clients use: a unix:// URL's query
    # (password, db) must reach Huey too, not end up in its socket path. The socket
    # timeout stays well above Huey's 1 s blocking-read timeout, or a popped message
    # could be lost on a connection closed mid-read.
    return redis.ConnectionPool.from_url(conn.url, socket_timeout=10)


class Wakeups:
    """The Huey instance on the broker and its one task."""

    def __init__(self, conn: BrokerConnection) -> None:
        self.huey = PriorityRedisHuey(
            HUEY_NAME, connection_pool=_pool(conn), results=False, utc=True
        )

        @self.huey.task(retries=0, name=WAKE_TASK)
        def wake() -> None:
            if _on_wake is None:
                raise RuntimeError("a wake-up reached a process that is not a worker")
            _on_wake()

        self._wake: Any = wake

    def send(self, count: int = 1, *, priority: int = 0) -> bool:
        """Send ``count`` wake-up messages (higher priority pops first).

        Always after a commit, and never its undoing: a wake-up that cannot be sent
        (the owner left between the commit and this) is logged and False is returned;
        the queued job is safe in its record and the owner's sweeper wakes a worker.
        """
        try:
            for _ in range(count):
                self.huey.enqueue(self._wake.s(priority=priority))
        except redis.RedisError as exc:
            log.warning("a wake-up was not sent (the sweeper will send it): %s", exc)
            return False
        return True

    def pending(self) -> int:
        """How many wake-ups wait in the queue (none means no worker will look soon)."""
        return int(self.huey.pending_count())
