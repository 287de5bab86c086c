"""Who is working: the health records that workers and the owner's supervisor publish.

Each worker publishes a small record with a TTL every second or so, and the supervisor
its status every few seconds, so a process that dies stops being shown within seconds
without anyone having to clean up after it.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from backend.jobs.keys import SUPERVISOR_KEY, WORKER_PREFIX

WORKER_TTL_SECONDS = 10
"""How long a health record (a worker's, or the supervisor's status) outlives its writer."""


def publish_worker(client: redis.Redis, worker_id: str, info: dict[str, Any]) -> None:
    client.set(WORKER_PREFIX + worker_id, json.dumps(info), ex=WORKER_TTL_SECONDS)


def forget_worker(client: redis.Redis, worker_id: str) -> None:
    """Drop a dead worker's health record at once."""
    client.delete(WORKER_PREFIX + worker_id)


def live_workers(client: redis.Redis) -> list[dict[str, Any]]:
    """The health records of workers seen in the last few seconds."""
    keys = sorted(client.scan_iter(match=WORKER_PREFIX + "*", count=100))
    records = []
    for raw in client.mget(keys) if keys else []:
        if raw is not None:
            records.append(json.loads(raw))
    return records


def publish_supervisor(client: redis.Redis, status: dict[str, Any]) -> None:
    client.set(SUPERVISOR_KEY, json.dumps(status), ex=WORKER_TTL_SECONDS)


def supervisor_status(client: redis.Redis) -> dict[str, Any] | None:
    """The owner's supervisor status, or None if no owner supervises a worker."""
    raw = client.get(SUPERVISOR_KEY)
    return json.loads(raw) if raw else None
