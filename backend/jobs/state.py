"""Shared flags about the queue that the UI, the owner and workers read and write.

- Editing presence: set with a short TTL while the editor is open and refreshed by the
  UI, so a crash cannot leave it set. The worker does not load the model meanwhile.
- The inference toggle: persisted in the database; off pauses the queue.
- Worker health: each worker publishes a small record with a TTL every second or so.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from backend.jobs.records import Jobs, now_ms
from backend.jobs.wakeups import Wakeups

EDITING_KEY = "charlie:editing"
EDITING_TTL_SECONDS = 30
INFERENCE_KEY = "charlie:settings:inference"
INFERENCE_CAUSE = "inference"
WORKER_PREFIX = "charlie:worker:"
WORKER_TTL_SECONDS = 10
BREAKER = "breaker"
BREAKER_KEY = "charlie:breaker"  # hash: reason, failures, retry_at (ms)
SWEEP_SECONDS = 3.0  # At most one wake-up from the sweeper this often.
MAX_PENDING_WAKEUPS = 2  # No more while this many wait (the worker is busy).


def set_editing(client: redis.Redis, editing: bool) -> None:
    """Say the user is (or is no longer) typing; call again within the TTL to keep it."""
    if editing:
        client.set(EDITING_KEY, "1", ex=EDITING_TTL_SECONDS)
    else:
        client.delete(EDITING_KEY)


def is_editing(client: redis.Redis) -> bool:
    return bool(client.exists(EDITING_KEY))


def set_inference(client: redis.Redis, jobs: Jobs, enabled: bool) -> None:
    """Turn background inference on or off; off pauses the queue (nothing is lost)."""
    client.set(INFERENCE_KEY, "on" if enabled else "off")
    if enabled:
        jobs.resume(INFERENCE_CAUSE)
    else:
        jobs.pause(INFERENCE_CAUSE, "Inference is turned off in Settings.")


def inference_enabled(client: redis.Redis) -> bool:
    return client.get(INFERENCE_KEY) != b"off"


def publish_worker(client: redis.Redis, worker_id: str, info: dict[str, Any]) -> None:
    client.set(WORKER_PREFIX + worker_id, json.dumps(info), ex=WORKER_TTL_SECONDS)


def forget_worker(client: redis.Redis, worker_id: str) -> None:
    """Drop a dead worker's health record at once."""
    client.delete(WORKER_PREFIX + worker_id)


SUPERVISOR_KEY = "charlie:supervisor"


def publish_supervisor(client: redis.Redis, status: dict[str, Any]) -> None:
    client.set(SUPERVISOR_KEY, json.dumps(status), ex=WORKER_TTL_SECONDS)


def supervisor_status(client: redis.Redis) -> dict[str, Any] | None:
    """The owner's supervisor status, or None if no owner supervises a worker."""
    raw = client.get(SUPERVISOR_KEY)
    return json.loads(raw) if raw else None


def live_workers(client: redis.Redis) -> list[dict[str, Any]]:
    """The health records of workers seen in the last few seconds."""
    keys = sorted(client.scan_iter(match=WORKER_PREFIX + "*", count=100))
    records = []
    for raw in client.mget(keys) if keys else []:
        if raw is not None:
            records.append(json.loads(raw))
    return records


def open_breaker(client: redis.Redis, jobs: Jobs, reason: str) -> None:
    """Pause the queue because the extractor cannot work; probe again with backoff."""
    failures = int(client.hincrby(BREAKER_KEY, "failures", 1))
    delay_ms = min(60_000, 1000 * 2 ** min(failures - 1, 6))
    client.hset(BREAKER_KEY, mapping={"reason": reason, "retry_at": now_ms() + delay_ms})
    jobs.pause(BREAKER, reason)


def close_breaker(client: redis.Redis) -> None:
    """The extractor worked: forget its failures, its crash streak and any probe due."""
    client.delete(BREAKER_KEY)


# A model that crashes the worker (a signal from native code) on this many different
# inputs in a row, with nothing read successfully in between, is taken as broken.
MODEL_CRASH_STREAK = 2
PROBE_ITEM = "probe"
"""The crash streak's name for the plain test sentence a worker reads after a crash."""


def note_model_crash(client: redis.Redis, item: str) -> list[str]:
    """Add ``item`` (a job id, or PROBE_ITEM) to the streak of different inputs that
    crashed the worker, and ask the next worker to read a test sentence before any job.

    Returns the streak. It lives in the breaker's record, so any success (a job read, or
    the test sentence) clears it with the breaker.
    """
    raw = client.hget(BREAKER_KEY, "crashed_on")
    streak: list[str] = json.loads(raw) if raw else []
    if item not in streak:
        streak.append(item)
    client.hset(BREAKER_KEY, "crashed_on", json.dumps(streak))
    request_probe(client)
    return streak


def probe_due(client: redis.Redis) -> bool:
    """Whether a worker must read the test sentence before it claims a job."""
    return client.hget(BREAKER_KEY, "probe") is not None


def mark_probing(client: redis.Redis, worker_id: str) -> None:
    """Say this worker is reading the test sentence now (a crash then blames the model)."""
    client.hset(BREAKER_KEY, "probe", f"running:{worker_id}")


def request_probe(client: redis.Redis) -> None:
    """The next worker must read the test sentence before it claims a job."""
    client.hset(BREAKER_KEY, "probe", "needed")


def probe_passed(client: redis.Redis) -> None:
    """The test sentence did not crash the worker: jobs may be claimed again."""
    client.hdel(BREAKER_KEY, "probe")


def probing_worker(client: redis.Redis) -> str | None:
    """The worker that was reading the test sentence, if one was."""
    raw = client.hget(BREAKER_KEY, "probe")
    text = raw.decode() if isinstance(raw, bytes) else raw
    return text.removeprefix("running:") if text and text.startswith("running:") else None


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
        breaker: dict[Any, Any] = self.client.hgetall(BREAKER_KEY)
        if breaker and int(breaker.get(b"retry_at", 0)) <= now_ms():
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
