"""Snapshots of the background-work screens: queue, dead jobs, one dead job, settings.

Everything random is kept off screen or pinned: job times come from a ticking fake
clock (``backend.jobs.records.now_ms``) and the app's clock is NOW; retries wait a fixed time
instead of a jittered one; the worker and the supervisor are published under fixed
names (no host names, no pids), and the UI never shows entry or job ids. Update with
``pytest tests/ui/test_ui_snapshots_queue.py --snapshot-update`` and look at every SVG.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from backend.models import Entry
from backend.root import Charlie
from tests.helpers.seeds import seed_journal
from tests.helpers.ui import (
    NOW,
    NOW_MS,
    SIZE,
    FixedDelay,
    JobClock,
    claim,
    keys,
    kill_job,
    make_app,
    publish_health,
    seed,
)

TRACEBACK = """\
Traceback (most recent call last):
  File "/app/backend/worker.py", line 141, in run
    extraction = self.extractor.extract(f"{title}\\n\\n{body}" if title else body)
  File "/app/plugins/scripted.py", line 70, in extract
    raise RuntimeError("The scripted extractor failed on purpose.")
RuntimeError: The scripted extractor failed on purpose.
"""


@pytest.fixture(autouse=True)
def _job_clock(monkeypatch: pytest.MonkeyPatch) -> JobClock:
    clock = JobClock()
    monkeypatch.setattr("backend.jobs.records.now_ms", clock)
    return clock


def entries(api: Charlie) -> dict[str, Entry]:
    """The standard journal, by title."""
    seed_journal(api)
    return {
        entry.title: api.journal().entries.get(entry.id)
        for entry in api.journal().entries.list().entries
    }


def test_queue_idle(snap_compare: Any, api: Charlie) -> None:
    publish_health(api, worker={}, supervisor={})
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("w"))


def test_queue_busy(snap_compare: Any, api: Charlie) -> None:
    api.backend.jobs.policy = FixedDelay(max_attempts=3, seconds=30)
    by_title = entries(api)
    running = claim(api, by_title["Morning run"], now=NOW_MS - 42_000)
    retrying = claim(api, by_title["Dinner at Luigi's"], now=NOW_MS - 20_000)
    api.backend.jobs.fail(retrying, "TimeoutError: the model took too long", now=NOW_MS - 10_000)
    publish_health(
        api,
        worker={"model_loaded": True, "job": running.job_id, "entry_id": running.entry_id},
        supervisor={"restarts": 1, "last_exit": "exited with code -9"},
    )
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("w"))


def test_queue_paused_inference_off(snap_compare: Any, api: Charlie) -> None:
    seed_journal(api)
    api.queue.set_inference(False)
    publish_health(api, worker={}, supervisor={})
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("w"))


def test_queue_breaker_open(snap_compare: Any, api: Charlie) -> None:
    seed_journal(api)
    api.backend.jobs.pause("breaker", "Model file not found: /models/x.gguf")
    publish_health(api, worker={}, supervisor={})
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("w"))


def test_queue_worker_stopped(snap_compare: Any, api: Charlie) -> None:
    seed(api, (NOW, "Crashes the worker", "#crash"))
    publish_health(
        api,
        supervisor={
            "worker_alive": False,
            "restarts": 4,
            "last_exit": "exited with code -9",
            "gave_up": "The worker died 5 times within 60 s (last: exited with code -9); "
            "not restarting it. See /data/logs/worker.log.",
        },
    )
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("w"))


def _dead_jobs(api: Charlie) -> None:
    api.backend.jobs.policy = FixedDelay(max_attempts=3, seconds=30)
    # The newest entry is at the head of the queue, so each is claimed straight away.
    failing, slow = seed(
        api,
        (NOW - timedelta(hours=2), "Morning run", "Ran 5k along the river with Sam. #fail"),
        (NOW - timedelta(days=1), "Dinner at Luigi's", "Met Ana and Tom. #hang"),
    )
    kill_job(api, slow, "Timed out after 300 s (the worker was killed).", kind="timeout")
    kill_job(api, failing, "RuntimeError: The scripted extractor failed on purpose.", TRACEBACK)


def test_dead_jobs(snap_compare: Any, api: Charlie) -> None:
    _dead_jobs(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("exclamation_mark"))


def test_dead_job_detail(snap_compare: Any, api: Charlie) -> None:
    _dead_jobs(api)
    run = keys("exclamation_mark", "enter")
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=run)


def test_retry_all_confirmation(snap_compare: Any, api: Charlie) -> None:
    _dead_jobs(api)
    run = keys("exclamation_mark", "R")
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=run)


def test_settings(snap_compare: Any, api: Charlie) -> None:
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("comma"))
