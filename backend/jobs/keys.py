"""Every Redis key the jobs subsystem uses, named in one place.

The job records, the Lua scripts (which get these names filled in, see
``backend.jobs.scripts``), the flags, the health records and the events channel all take
their names from here, so a newcomer (or a backup that must leave some keys out) can see
the whole layout at once.
"""

from __future__ import annotations

PREFIX = "charlie:jobs:"
QUEUED = PREFIX + "queued"  # zset: id -> order (interactive before backlog, newest first)
RUNNING = PREFIX + "running"  # zset: id -> lease expiry (ms)
RETRY = PREFIX + "retry"  # zset: id -> run after (ms)
DEAD = PREFIX + "dead"  # zset: id -> died at (ms)
DONE = PREFIX + "done"  # zset: id -> done at (ms), trimmed to the newest DONE_KEEP
COMPLETED = PREFIX + "completed"  # counter: jobs ever committed as done
PAUSED = PREFIX + "paused"  # hash: cause -> reason shown to the user
EVENTS = "charlie:events"  # pub/sub channel: one JSON message per transition

EDITING_KEY = "charlie:editing"  # string with a TTL: the user is typing
INFERENCE_KEY = "charlie:settings:inference"  # "on" / "off" (absent: on)
WORKER_PREFIX = "charlie:worker:"  # string with a TTL per worker: its health record
SUPERVISOR_KEY = "charlie:supervisor"  # string with a TTL: the owner's supervisor status
BREAKER_KEY = "charlie:breaker"  # hash: reason, failures, retry_at (ms), crashed_on, probe

HUEY_NAME = "charlie"
"""The name Huey builds its own keys from (its queue, schedule and locks)."""
WAKE_QUEUE = "huey.redis.charlie"  # zset: Huey's queue of wake-ups (Huey names it)
WAKE_PREFIX = "charlie:wake:"  # the wake-ups' own keys: never backed up or restored
WAKE_MESSAGE = WAKE_PREFIX + "message"  # string: the wake-up message a worker stored
WAKE_SEQ = WAKE_PREFIX + "seq"  # counter: keeps queued wake-ups distinct and in order


def job_key(job_id: str) -> str:
    """The hash that is a job's record."""
    return f"{PREFIX}job:{job_id}"


def history_key(job_id: str) -> str:
    """The capped list of a job's transitions (JSON, oldest first)."""
    return f"{PREFIX}job:{job_id}:history"
