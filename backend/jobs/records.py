"""Durable job records: the source of truth for background work.

Huey only wakes workers; whether a job runs, who runs it and what happened is decided
here, by atomic transitions on a Redis hash per job. Each transition is a Lua script
(``backend/jobs/lua/``) that checks the state it expects (and the lease token, for a
worker's own job), so a late, duplicated or stale call changes nothing. The commit of a
result goes through WATCH/MULTI because the graph write (``GRAPH.QUERY``) cannot run
inside Lua: if the job record changed after the worker read it (reaped, superseded by an
edit, cancelled by a delete), the whole transaction, graph write included, is thrown away
(backend/jobs/commit.py).

States: queued -> running -> done; running -> retry_wait -> queued; running/retry_wait
-> dead; any non-final -> cancelled. ``paused`` is a flag on the queue, not a state.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

from backend.jobs.job_record import BACKLOG as BACKLOG  # Re-exported: the priority classes.
from backend.jobs.job_record import INTERACTIVE, JobRecord
from backend.jobs.keys import (
    COMPLETED,
    DEAD,
    DONE,
    EVENTS,
    PAUSED,
    QUEUED,
    RETRY,
    RUNNING,
    history_key,
    job_key,
)
from backend.jobs.retry import RetryPolicy
from backend.jobs.scripts import lua

Write = Callable[[redis.client.Pipeline], None]
"""Queues a job's result writes into a MULTI (see backend/jobs/commit.py)."""

DONE_KEEP = 1000
HISTORY_KEEP = 50
# A job that crashed its worker waits behind the other jobs of its class (one offset per
# crash; two crashes stay below the backlog offset, and a third makes it dead).
_CRASH_DEFER = 2 * 10**13
# Order scores: smaller runs first. Interactive jobs sort before every backlog job
# and, within a class, the newest first. Both stay exact in a double.
_BACKLOG_OFFSET = 10**14


def enrich_job_id(journal_id: str, entry_id: str) -> str:
    """One enrichment job per entry; an edit reuses it with the new content hash."""
    return f"enrich:{journal_id}:{entry_id}"


def _s(value: Any) -> str:
    """Redis replies are bytes here; decode one to text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def now_ms() -> int | str:
    """The ``now`` every script is given: "", so it reads the server's clock (see
    lua/clock.lua). Tests pin job times by putting a clock of their own here."""
    return ""


def server_ms(client: redis.Redis) -> int:
    """The time in ms on the one clock every process sharing the queue reads (a job's
    lease, retry time and history stamps are all on it): the server's, unless pinned."""
    pinned = now_ms()
    if pinned != "":
        return int(pinned)
    seconds, micros = client.time()
    return int(seconds) * 1000 + int(micros) // 1000


# The transitions (lua/<name>.lua; each documents its KEYS and ARGV). Those that move a
# job between states start with the helpers in lua/common.lua.
_LIMITS: dict[str, int | str] = {
    "keep": HISTORY_KEEP,
    "backlog": _BACKLOG_OFFSET,
    "defer": _CRASH_DEFER,
}
_ENQUEUE = lua("clock", "common", "wake", "enqueue", **_LIMITS)
_CLAIM = lua("clock", "wake", "claiming", "claim", **_LIMITS)
DONE_SCRIPT = lua("clock", "common", "wake", "claiming", "done", **_LIMITS, done_keep=DONE_KEEP)
_HEARTBEAT = lua("clock", "heartbeat")
_FAIL = lua("clock", "common", "fail", **_LIMITS)
_RELEASE = lua("clock", "common", "release", **_LIMITS)
_REAP = lua("clock", "common", "reap", **_LIMITS)
_REFUND = lua("clock", "common", "refund", **_LIMITS)
_CANCEL = lua("clock", "common", "cancel", **_LIMITS)
_RETRY_DEAD = lua("clock", "common", "retry_dead", **_LIMITS)


@dataclass(frozen=True)
class Claim:
    """A job a worker now holds: run it, then complete, fail or release with the token."""

    job_id: str
    kind: str
    journal_id: str
    entry_id: str
    content_hash: str
    attempt: int
    token: str


@dataclass(frozen=True)
class NextClaim:
    """Who claims the next job in a commit's transaction, and when it must not.

    ``guards``: "p" takes nothing while the breaker wants a test sentence read first,
    "e" nothing while the user types (for a worker whose model is not loaded)."""

    worker: str
    lease_ms: int
    guards: str = "p"


def claims_from(reply: Any, tokens: list[str]) -> list[Claim]:
    """done.lua's reply (a list of claims, or false) as Claims, in the order claimed."""
    return [_claim_from(fields, token) for fields, token in zip(reply or [], tokens, strict=False)]


def _claim_from(reply: Any, token: str) -> Claim:
    """A claimed job's fields (as claim_best returns them) as a Claim."""
    job_id, kind, journal_id, entry_id, chash, attempt = reply
    return Claim(
        job_id=_s(job_id),
        kind=_s(kind),
        journal_id=_s(journal_id),
        entry_id=_s(entry_id),
        content_hash=_s(chash),
        attempt=int(attempt),
        token=token,
    )


class Jobs:
    """The job records on one broker."""

    def __init__(self, client: redis.Redis, policy: RetryPolicy | None = None) -> None:
        self.client = client
        self.policy = policy or RetryPolicy()
        self._enqueue = client.register_script(_ENQUEUE)
        self._claim = client.register_script(_CLAIM)
        self._heartbeat = client.register_script(_HEARTBEAT)
        self._fail = client.register_script(_FAIL)
        self._release = client.register_script(_RELEASE)
        self._reap = client.register_script(_REAP)
        self._refund = client.register_script(_REFUND)
        self._cancel = client.register_script(_CANCEL)
        self._retry_dead = client.register_script(_RETRY_DEAD)

    # -- producers -------------------------------------------------------------------

    def enqueue(
        self,
        journal_id: str,
        entry_id: str,
        content_hash: str,
        *,
        priority: str = INTERACTIVE,
        pipe: redis.client.Pipeline | None = None,
        now: int | None = None,
    ) -> Any:
        """Queue enrichment of an entry's current content (in ``pipe`` if given).

        Returns 1 if new work was queued, 0 if that content is already queued or
        running. Inside a pipeline the result arrives with ``execute()``.
        """
        job_id = enrich_job_id(journal_id, entry_id)
        keys = [job_key(job_id), history_key(job_id)]
        args: list[Any] = [
            now or now_ms(),
            job_id,
            "enrich",
            journal_id,
            entry_id,
            content_hash,
            priority,
            self.policy.max_attempts,
        ]
        if pipe is not None:
            # The script's text, not its SHA, inside a transaction: redis-py would ask the
            # server whether the SHA is known before every EXEC (a round trip per save),
            # and a SHA the server forgot (restarted) would fail inside the EXEC.
            return pipe.eval(_ENQUEUE, len(keys), *keys, *args)
        return self._enqueue(keys=keys, args=args)

    def cancel(
        self, job_id: str, *, pipe: redis.client.Pipeline | None = None, now: int | None = None
    ) -> Any:
        """Cancel a job in any non-final state (its entry was deleted)."""
        return self._cancel(
            keys=[job_key(job_id), history_key(job_id)],
            args=[now or now_ms()],
            client=pipe or self.client,
        )

    def forget(self, job_id: str, pipe: redis.client.Pipeline) -> None:
        """Remove every key of a job (after cancel, in the same transaction)."""
        for zset in (QUEUED, RUNNING, RETRY, DEAD, DONE):
            pipe.zrem(zset, job_id)
        pipe.delete(job_key(job_id), history_key(job_id))

    # -- workers ---------------------------------------------------------------------

    def claim(
        self, worker: str, *, lease_ms: int, guards: str = "", now: int | None = None
    ) -> Claim | None:
        """Take the best queued job, or None if there is none or the queue is paused.

        ``guards`` (see :class:`NextClaim`) refuses a claim while a probe is due ("p") or
        the user is typing ("e")."""
        token = secrets.token_hex(12)
        reply = self._claim(args=[now or now_ms(), worker, token, lease_ms, guards])
        return _claim_from(reply, token) if reply else None

    def heartbeat(self, claim: Claim, *, lease_ms: int, now: int | None = None) -> bool:
        """Extend the lease; False means the job is no longer ours (stop working on it)."""
        return bool(
            self._heartbeat(
                keys=[job_key(claim.job_id)], args=[now or now_ms(), claim.token, lease_ms]
            )
        )

    def fail(
        self,
        claim: Claim,
        error: str,
        traceback: str = "",
        *,
        kind: str = "error",
        now: int | None = None,
    ) -> str | None:
        """Record a failed attempt; returns the new state (retry_wait or dead) or None
        if the token was stale (someone else owns the job now)."""
        delay = self.policy.delay_ms(claim.attempt)
        reply = self._fail(
            keys=[job_key(claim.job_id), history_key(claim.job_id)],
            args=[now or now_ms(), claim.token, kind, error, traceback, delay],
        )
        return reply.decode() if reply else None

    def release(
        self, claim: Claim, reason: str, *, charge: bool = False, now: int | None = None
    ) -> bool:
        """Give a job back to the queue, by default without charging the attempt."""
        return bool(
            self._release(
                keys=[job_key(claim.job_id), history_key(claim.job_id)],
                args=[now or now_ms(), claim.token, reason, "1" if charge else "0"],
            )
        )

    # -- the owner's housekeeping -----------------------------------------------------

    def reap_running(
        self, reason: str, *, now: int | None = None, worker: str | None = None
    ) -> list[str]:
        """Return every running job to the queue (or dead as poison); with ``worker``,
        only that worker's (others share an external broker).

        Call this only when no worker can still be running them: the owner holds the
        worker lock, i.e. every local worker is dead (or ``worker`` is known dead).
        """
        ids = [_s(i) for i in self.client.zrange(RUNNING, 0, -1)]
        if worker is not None:
            holders = [self.client.hget(job_key(i), "worker") for i in ids]
            ids = [i for i, w in zip(ids, holders, strict=True) if _s(w or "") == worker]
        return self._reap_ids(ids, reason, now)

    def reap_expired(self, reason: str, *, now: int | None = None) -> list[str]:
        """Reap running jobs whose lease expired (for remote workers, fenced by token)."""
        stamp = now or server_ms(self.client)
        return self._reap_ids(self.client.zrangebyscore(RUNNING, "-inf", stamp), reason, stamp)

    def _reap_ids(self, ids: Any, reason: str, now: int | None) -> list[str]:
        reaped = []
        for raw in ids:
            job_id = _s(raw)
            if self._reap(
                keys=[job_key(job_id), history_key(job_id)],
                args=[now or now_ms(), self.policy.poison_crashes, reason],
            ):
                reaped.append(job_id)
        return reaped

    def refund_crash(self, job_id: str, reason: str, *, now: int | None = None) -> bool:
        """Take back the attempt and crash the last reap charged ``job_id`` (the
        extractor crashes on everything, so the entry is not to blame); it is queued."""
        return bool(
            self._refund(
                keys=[job_key(job_id), history_key(job_id)], args=[now or now_ms(), reason]
            )
        )

    def runnable(self, *, now: int | None = None) -> bool:
        """Whether a claim could find work: a queued job, or a retry whose time came."""
        if self.client.zcard(QUEUED):
            return True
        due = now or server_ms(self.client)
        return bool(self.client.zrangebyscore(RETRY, "-inf", due, start=0, num=1))

    # -- pausing -----------------------------------------------------------------------

    def pause(self, cause: str, reason: str) -> None:
        """Stop claims while ``cause`` holds (e.g. inference off, breaker open)."""
        self.client.hset(PAUSED, cause, reason)
        self.client.publish(EVENTS, json.dumps({"event": "paused", "cause": cause}))

    def resume(self, cause: str) -> None:
        self.client.hdel(PAUSED, cause)
        self.client.publish(EVENTS, json.dumps({"event": "resumed", "cause": cause}))

    def paused(self) -> dict[str, str]:
        return {_s(k): _s(v) for k, v in self.client.hgetall(PAUSED).items()}

    # -- user actions and views --------------------------------------------------------

    def retry_dead(self, job_id: str) -> bool:
        return bool(self._retry_dead(keys=[job_key(job_id), history_key(job_id)], args=[now_ms()]))

    def discard(self, job_id: str) -> bool:
        """Drop a dead job for good."""
        key = job_key(job_id)
        with self.client.pipeline() as pipe:
            try:
                pipe.watch(key)
                if pipe.hget(key, "state") != b"dead":
                    pipe.unwatch()
                    return False
                pipe.multi()
                self.forget(job_id, pipe)
                pipe.publish(EVENTS, json.dumps({"job": job_id, "event": "discarded"}))
                pipe.execute()
                return True
            except redis.WatchError:
                return False

    def get(self, job_id: str) -> JobRecord | None:
        raw = self.client.hgetall(job_key(job_id))
        if not raw:
            return None
        return JobRecord.from_hash(raw, self.client.lrange(history_key(job_id), 0, -1))

    def completed_total(self) -> int:
        """How many jobs were ever committed as done (never trimmed)."""
        return int(self.client.get(COMPLETED) or 0)

    def counts(self) -> dict[str, int]:
        """How many jobs are in each listed state (done counts the newest kept)."""
        with self.client.pipeline(transaction=False) as pipe:
            for zset in (QUEUED, RUNNING, RETRY, DEAD, DONE):
                pipe.zcard(zset)
            queued, running, retry, dead, done = pipe.execute()
        return {
            "queued": queued,
            "running": running,
            "retry_wait": retry,
            "dead": dead,
            "done": done,
        }

    def list(self, state: str, limit: int = 200) -> list[JobRecord]:
        """Jobs in one state, in the order they will run (or most recent first)."""
        zset = {
            "queued": QUEUED,
            "running": RUNNING,
            "retry_wait": RETRY,
            "dead": DEAD,
            "done": DONE,
        }[state]
        ids = (
            self.client.zrevrange(zset, 0, limit - 1)
            if state in ("dead", "done")
            else self.client.zrange(zset, 0, limit - 1)
        )
        records = [self.get(_s(raw)) for raw in ids]
        return [r for r in records if r is not None]
