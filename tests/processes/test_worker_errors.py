"""Issue 10 D11: no exception in a job's body escapes the worker and leaves it 'running'.

The worker's Runner runs in this process on the real broker; a fault is injected into
the planning step (after the extractor), where nothing caught it before.
"""

from __future__ import annotations

import pytest
import redis

import backend.jobs.enricher
from backend.jobs.records import enrich_job_id
from backend.jobs.worker import Runner
from backend.root import Charlie
from tests.helpers.scripted import ScriptedExtractor

pytestmark = pytest.mark.slow


def runner(api: Charlie) -> Runner:
    return Runner(
        jobs=api.backend.jobs,
        client=api.backend.broker.client,
        extractor=ScriptedExtractor(api.settings),
        worker_id="test:1",
        lease_ms=30_000,
    )


def test_a_bug_after_the_extractor_fails_the_attempt_with_its_traceback(
    api: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = api.journal().entries.add("Tea with Ida.")

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a bug in planning")

    monkeypatch.setattr(backend.jobs.enricher, "plan_entry", broken)
    runner(api).drain()
    record = api.queue.get_job(enrich_job_id(api.journals.get().id, entry.id))
    assert record.state == "retry_wait" and record.attempts == 1
    assert record.last_error == "ValueError: a bug in planning"
    assert "plan_enrichment" in record.last_traceback or "broken" in record.last_traceback


def test_a_database_error_in_the_job_gives_it_back_uncharged(
    api: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = api.journal().entries.add("Walk with Bo.")

    def loading(*args: object, **kwargs: object) -> None:
        raise redis.BusyLoadingError("Redis is loading the dataset in memory")

    monkeypatch.setattr(backend.jobs.enricher, "plan_entry", loading)
    runner(api).drain()
    record = api.queue.get_job(enrich_job_id(api.journals.get().id, entry.id))
    assert (record.state, record.attempts) == ("queued", 0)
    assert record.history[-1]["event"] == "released"
    assert "database error" in record.history[-1]["reason"]
