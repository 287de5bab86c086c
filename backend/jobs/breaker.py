"""The extractor breaker: pause the queue while the extractor cannot work at all.

When the model is missing, fails to load, or its endpoint is down, jobs are not charged
attempts: the breaker pauses the queue with the reason shown, and the sweeper lets one
claim probe again once a growing backoff is over. A model that crashes the worker (a
signal from native code) is tracked here too, as a streak of different inputs it crashed
on, with a plain test sentence (the probe) read before any job after a crash.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from backend.jobs.keys import BREAKER_KEY
from backend.jobs.records import Jobs, server_ms

BREAKER = "breaker"
"""The queue's pause cause while the breaker is open."""
# A model that crashes the worker (a signal from native code) on this many different
# inputs in a row, with nothing read successfully in between, is taken as broken.
MODEL_CRASH_STREAK = 2
PROBE_ITEM = "probe"
"""The crash streak's name for the plain test sentence a worker reads after a crash."""


def open_breaker(client: redis.Redis, jobs: Jobs, reason: str) -> None:
    """Pause the queue because the extractor cannot work; probe again with backoff."""
    failures = int(client.hincrby(BREAKER_KEY, "failures", 1))
    delay_ms = min(60_000, 1000 * 2 ** min(failures - 1, 6))
    client.hset(BREAKER_KEY, mapping={"reason": reason, "retry_at": server_ms(client) + delay_ms})
    jobs.pause(BREAKER, reason)


def close_breaker(client: redis.Redis) -> None:
    """The extractor worked: forget its failures, its crash streak and any probe due."""
    client.delete(BREAKER_KEY)


def backoff_over(client: redis.Redis) -> bool:
    """Whether the breaker has a record whose backoff is over (time for a probe)."""
    breaker: dict[Any, Any] = client.hgetall(BREAKER_KEY)
    return bool(breaker) and int(breaker.get(b"retry_at", 0)) <= server_ms(client)


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
