"""Huey as the executor: its messages only wake workers; job records decide the work.

Every Redis dequeue in Huey is destructive, so a message can vanish with a crashed
worker. That is harmless here: a wake-up carries no job, the worker claims the best
job from the durable records, duplicates find nothing to claim, and the owner's
sweeper re-sends wake-ups for queued jobs whose last one is old.

Since a wake-up carries no job, every one is the same message: the worker stores it
once (``WAKE_MESSAGE``) and the Lua scripts put copies on Huey's queue themselves. So a
save queues its job and wakes a worker in the one script that writes the job record
(``lua/enqueue.lua``, which sends none while one already waits), and producers never
import Huey at all; only the worker (:func:`consumer_huey`) does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import redis

from backend.broker.ownership import BrokerConnection
from backend.jobs.keys import HUEY_NAME, WAKE_MESSAGE, WAKE_QUEUE
from backend.jobs.scripts import lua

if TYPE_CHECKING:
    from huey import PriorityRedisHuey

log = logging.getLogger("charlie.queue")
WAKE_TASK = "charlie.wake"
_SEND = lua("wake", "send")

# The worker process installs the function a wake-up runs; producers never run it.
_on_wake: Callable[[], None] | None = None


def set_wake_handler(handler: Callable[[], None]) -> None:
    """Make this process a worker: every wake-up it consumes runs ``handler``."""
    global _on_wake
    _on_wake = handler


def consumer_huey(conn: BrokerConnection) -> PriorityRedisHuey:
    """The Huey instance a worker consumes wake-ups with; it stores the wake-up message
    the scripts copy (so wake-ups sent before any worker started reach none)."""
    from huey import PriorityRedisHuey

    # One parser for every URL, as redis-py's own clients use: a unix:// URL's query
    # (password, db) must reach Huey too, not end up in its socket path. The socket
    # timeout stays well above Huey's 1 s blocking-read timeout, or a popped message
    # could be lost on a connection closed mid-read.
    pool = redis.ConnectionPool.from_url(conn.url, socket_timeout=10)
    huey = PriorityRedisHuey(HUEY_NAME, connection_pool=pool, results=False, utc=True)
    if huey.storage.queue_key != WAKE_QUEUE:
        raise RuntimeError(f"Huey names its queue {huey.storage.queue_key!r}, not {WAKE_QUEUE!r}")

    @huey.task(retries=0, name=WAKE_TASK)
    def wake() -> None:
        if _on_wake is None:
            raise RuntimeError("a wake-up reached a process that is not a worker")
        _on_wake()

    store_message(conn.client, huey, wake)
    return huey


def store_message(client: redis.Redis, huey: PriorityRedisHuey, wake: Any) -> None:
    """Store the one wake-up message the scripts copy onto Huey's queue."""
    client.set(WAKE_MESSAGE, huey.serialize_task(wake.s()))


class Wakeups:
    """Sends wake-ups (without Huey) and counts those waiting."""

    def __init__(self, conn: BrokerConnection) -> None:
        self._conn = conn
        self._send = conn.client.register_script(_SEND)

    def send(self, count: int = 1, *, priority: int = 0) -> bool:
        """Send ``count`` wake-up messages (higher priority pops first).

        Always after a commit, and never its undoing: a wake-up that cannot be sent
        (the owner left between the commit and this) is logged and False is returned;
        the queued job is safe in its record and the owner's sweeper wakes a worker.
        """
        try:
            if self._send(args=[count, priority]) == -1:
                # No worker has stored the message yet (a fresh data directory): build
                # it here, once, so the wake-up waits for the first worker.
                consumer_huey(self._conn)
                self._send(args=[count, priority])
        except redis.RedisError as exc:
            log.warning("a wake-up was not sent (the sweeper will send it): %s", exc)
            return False
        return True

    def pending(self) -> int:
        """How many wake-ups wait in the queue (none means no worker will look soon)."""
        return int(self._conn.client.zcard(WAKE_QUEUE))
