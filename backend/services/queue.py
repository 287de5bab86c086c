"""Background work as the screens and the CLI see it: jobs, switches, health, events."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

from backend.errors import NotFoundError, ValidationError
from backend.jobs.health import live_workers, supervisor_status
from backend.jobs.keys import BREAKER_KEY, EVENTS
from backend.jobs.records import JobRecord
from backend.jobs.switches import inference_enabled, set_editing, set_inference
from backend.services.friendly import friendly_errors
from backend.shared import Backend


@friendly_errors
class Queue:
    """The job records, the inference switch, and who is working on them."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def job_counts(self) -> dict[str, int]:
        """Jobs per state (done counts the newest kept)."""
        return self._backend.jobs.counts()

    def list_jobs(self, state: str, limit: int = 200) -> list[JobRecord]:
        if state not in ("queued", "running", "retry_wait", "dead", "done"):
            raise ValidationError(
                f"Unknown job state {state!r}: use queued, running, retry_wait, dead or done."
            )
        return self._backend.jobs.list(state, limit)

    def get_job(self, job_id: str) -> JobRecord:
        record = self._backend.jobs.get(job_id)
        if record is None:
            raise NotFoundError(f"There is no job {job_id!r}.")
        return record

    def retry_job(self, job_id: str) -> None:
        """Give a dead job a fresh set of attempts."""
        if not self._backend.jobs.retry_dead(job_id):
            raise ValidationError(f"Job {job_id!r} is not dead, so there is nothing to retry.")
        self._backend.wakeups.send(priority=10)

    def retry_all_dead(self) -> int:
        jobs = self._backend.jobs
        count = sum(jobs.retry_dead(r.id) for r in jobs.list("dead", 100_000))
        if count:  # One is enough: each claim wakes another worker while work is left.
            self._backend.wakeups.send(priority=10)
        return count

    def discard_job(self, job_id: str) -> None:
        """Drop a dead job for good (the entry stays; it is just not enriched)."""
        if not self._backend.jobs.discard(job_id):
            raise ValidationError(f"Job {job_id!r} is not dead; only dead jobs are discarded.")

    def paused_reasons(self) -> dict[str, str]:
        """Why the queue is paused (empty when it runs)."""
        return self._backend.jobs.paused()

    def inference_enabled(self) -> bool:
        return inference_enabled(self._backend.broker.client)

    def set_inference(self, enabled: bool) -> None:
        """Turn background inference on or off (persisted); off pauses the queue."""
        set_inference(self._backend.broker.client, self._backend.jobs, enabled)
        if enabled:
            self._backend.wakeups.send(priority=10)

    def set_editing(self, editing: bool) -> None:
        """The editor is open (refresh at least every 30 s) or closed."""
        set_editing(self._backend.broker.client, editing)

    def workers(self) -> list[dict[str, Any]]:
        """Health records of the workers seen in the last few seconds."""
        return live_workers(self._backend.broker.client)

    def supervisor(self) -> dict[str, Any] | None:
        """The owner's supervisor status (restarts, crash loop), None if none runs."""
        return supervisor_status(self._backend.broker.client)

    def breaker(self) -> dict[str, str]:
        raw: dict[Any, Any] = self._backend.broker.client.hgetall(BREAKER_KEY)
        return {k.decode(): v.decode() for k, v in raw.items()}

    def events(self, stop: threading.Event) -> Iterator[dict[str, Any]]:
        """Job transitions as they happen (Redis pub/sub), until ``stop`` is set.

        Yields ``{}`` about once a second with no event, so a screen can reconcile
        from the records: a missed event is harmless."""
        pubsub = self._backend.broker.client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(EVENTS)
        idle = 0
        try:
            while not stop.is_set():
                # Short waits, so a stop request is seen within a quarter second.
                message = pubsub.get_message(timeout=0.25)
                if message:
                    idle = 0
                    yield json.loads(message["data"])
                else:
                    idle += 1
                    if idle % 4 == 0:
                        yield {}
        finally:
            pubsub.close()
