"""Job record transitions on a real broker: atomic, checked, fenced by lease tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.broker.ownership import BrokerConnection, open_broker
from backend.jobs.commit import complete
from backend.jobs.records import BACKLOG, Claim, Jobs, enrich_job_id
from backend.jobs.retry import RetryPolicy
from backend.settings import Settings

LEASE = 30_000


@pytest.fixture
def broker(settings: Settings) -> Iterator[BrokerConnection]:
    with open_broker(settings) as conn:
        yield conn


@pytest.fixture
def jobs(broker: BrokerConnection) -> Jobs:
    return Jobs(broker.client, RetryPolicy(max_attempts=3, base_seconds=1, poison_crashes=2))


def claim(jobs: Jobs, worker: str = "w1") -> Claim:
    got = jobs.claim(worker, lease_ms=LEASE)
    assert got is not None, "expected a job to claim"
    return got


def test_enqueue_claim_complete(jobs: Jobs) -> None:
    assert jobs.enqueue("j", "e1", "h1") == 1
    assert jobs.enqueue("j", "e1", "h1") == 0  # Same content already queued.
    c = claim(jobs)
    assert (c.entry_id, c.content_hash, c.attempt) == ("e1", "h1", 1)
    assert jobs.claim("w2", lease_ms=LEASE) is None
    written = []
    assert complete(jobs.client, c, lambda pipe: written.append(pipe.set("result:e1", "ok")))
    record = jobs.get(c.job_id)
    assert record is not None and record.state == "done"
    assert jobs.client.get("result:e1") == b"ok"
    assert [h["event"] for h in record.history] == ["queued", "started", "done"]
    assert jobs.counts() == {"queued": 0, "running": 0, "retry_wait": 0, "dead": 0, "done": 1}


def test_stale_token_cannot_complete_fail_or_heartbeat(jobs: Jobs) -> None:
    jobs.enqueue("j", "e1", "h1")
    c = claim(jobs)
    forged = Claim(**{**c.__dict__, "token": "not-the-token"})
    assert not complete(jobs.client, forged, lambda pipe: pipe.set("result", "bad"))
    assert jobs.fail(forged, "boom") is None
    assert not jobs.heartbeat(forged, lease_ms=LEASE)
    assert jobs.client.get("result") is None
    assert jobs.heartbeat(c, lease_ms=LEASE)


def test_edit_supersedes_running_work_and_discards_its_result(jobs: Jobs) -> None:
    jobs.enqueue("j", "e1", "old")
    stale = claim(jobs)
    assert jobs.enqueue("j", "e1", "new") == 1  # The entry was edited mid-run.
    assert not complete(jobs.client, stale, lambda pipe: pipe.set("result", "from old text"))
    assert jobs.client.get("result") is None
    fresh = claim(jobs)
    assert fresh.content_hash == "new" and fresh.attempt == 1
    assert complete(jobs.client, fresh, lambda pipe: pipe.set("result", "from new text"))
    assert jobs.client.get("result") == b"from new text"


def test_failures_back_off_then_die_with_error_and_history(jobs: Jobs) -> None:
    jobs.enqueue("j", "e1", "h")
    now = 1_000_000
    for attempt in (1, 2):
        c = jobs.claim("w", lease_ms=LEASE, now=now)
        assert c is not None and c.attempt == attempt
        assert jobs.fail(c, f"boom {attempt}", "Traceback...", now=now) == "retry_wait"
        record = jobs.get(c.job_id)
        assert record is not None
        delay = record.run_after - now
        assert 500 * 2 ** (attempt - 1) <= delay <= 1000 * 2 ** (attempt - 1)
        assert jobs.claim("w", lease_ms=LEASE, now=now + delay - 1) is None  # Not yet due.
        now += delay
    c = jobs.claim("w", lease_ms=LEASE, now=now)
    assert c is not None and c.attempt == 3
    assert jobs.fail(c, "boom 3", "Traceback (most recent call last): ...", now=now) == "dead"
    record = jobs.get(c.job_id)
    assert record is not None
    assert (record.state, record.last_error) == ("dead", "boom 3")
    assert record.last_traceback.startswith("Traceback")
    assert [h["event"] for h in record.history].count("error") == 3
    assert jobs.retry_dead(c.job_id)
    again = claim(jobs)
    assert again.attempt == 1


def test_release_does_not_charge_an_attempt(jobs: Jobs) -> None:
    jobs.enqueue("j", "e1", "h")
    c = claim(jobs)
    assert jobs.release(c, "worker stopping")
    assert claim(jobs).attempt == 1


def test_a_crashed_job_waits_behind_the_others_then_turns_poison(jobs: Jobs) -> None:
    jobs.enqueue("j", "bad", "h")
    jobs.enqueue("j", "good", "h", now=1)  # Older, so it runs after "bad".
    assert claim(jobs).entry_id == "bad"
    assert jobs.reap_running("worker died") == [enrich_job_id("j", "bad")]
    # After a crash another entry runs first: that tells a poison entry from a model
    # that crashes on everything.
    good = claim(jobs)
    assert good.entry_id == "good"
    assert complete(jobs.client, good)
    assert claim(jobs).entry_id == "bad"
    jobs.reap_running("worker died")
    record = jobs.get(enrich_job_id("j", "bad"))
    assert record is not None
    assert (record.state, record.last_failure, record.crashes) == ("dead", "poison", 2)
    assert jobs.claim("w1", lease_ms=LEASE) is None


def test_a_refund_takes_back_the_crash_and_the_attempt_even_from_dead(jobs: Jobs) -> None:
    job_id = enrich_job_id("j", "e")
    jobs.enqueue("j", "e", "h")
    claim(jobs)
    jobs.reap_running("worker died: killed by SIGSEGV")
    assert jobs.refund_crash(job_id, "the model crashes on everything")
    record = jobs.get(job_id)
    assert record is not None
    assert (record.state, record.attempts, record.crashes) == ("queued", 0, 0)
    assert record.history[-1]["event"] == "refunded"
    assert not jobs.refund_crash(job_id, "again")  # Nothing is left to take back.
    for _ in range(2):  # poison_crashes=2: dead.
        claim(jobs)
        jobs.reap_running("worker died")
    assert jobs.refund_crash(job_id, "the model crashes on everything")
    record = jobs.get(job_id)
    assert record is not None
    assert (record.state, record.attempts, record.crashes) == ("queued", 1, 1)
    assert jobs.counts()["dead"] == 0 and claim(jobs).entry_id == "e"


def test_priority_interactive_newest_first_before_backlog(jobs: Jobs) -> None:
    for n in range(200):
        jobs.enqueue("j", f"import{n}", "h", priority=BACKLOG, now=1000 + n)
    jobs.enqueue("j", "older-note", "h", now=5000)
    jobs.enqueue("j", "just-saved", "h", now=6000)
    assert [claim(jobs).entry_id for _ in range(3)] == ["just-saved", "older-note", "import199"]


def test_pause_stops_claims_until_every_cause_clears(jobs: Jobs) -> None:
    jobs.enqueue("j", "e1", "h")
    jobs.pause("inference", "Inference is off")
    jobs.pause("breaker", "Model missing")
    assert jobs.claim("w", lease_ms=LEASE) is None
    jobs.resume("inference")
    assert jobs.claim("w", lease_ms=LEASE) is None
    assert jobs.paused() == {"breaker": "Model missing"}
    jobs.resume("breaker")
    assert claim(jobs).entry_id == "e1"


def test_cancel_then_forget_leaves_no_key(jobs: Jobs) -> None:
    jobs.enqueue("j", "e1", "h")
    c = claim(jobs)
    with jobs.client.pipeline() as pipe:
        jobs.cancel(c.job_id, pipe=pipe)
        jobs.forget(c.job_id, pipe)
        pipe.execute()
    assert not complete(jobs.client, c, lambda pipe: pipe.set("result", "late"))
    assert jobs.client.get("result") is None
    assert not [k for k in jobs.client.keys("charlie:jobs:*") if b"e1" in k]
    assert sum(jobs.counts().values()) == 0


def test_expired_leases_are_reaped_and_the_late_result_rejected(jobs: Jobs) -> None:
    jobs.enqueue("j", "e1", "h")
    frozen = jobs.claim("w1", lease_ms=1000, now=10_000)
    assert frozen is not None
    assert jobs.reap_expired("lease expired", now=10_500) == []
    assert jobs.reap_expired("lease expired", now=11_001) == [frozen.job_id]
    second = claim(jobs, "w2")
    assert not jobs.heartbeat(frozen, lease_ms=1000)
    assert not complete(jobs.client, frozen, lambda pipe: pipe.set("result", "late"))
    assert complete(jobs.client, second, lambda pipe: pipe.set("result", "w2"))
    assert jobs.client.get("result") == b"w2"


def test_runnable_means_queued_work_or_a_retry_whose_time_came(jobs: Jobs) -> None:
    assert not jobs.runnable()
    jobs.enqueue("j", "e1", "h")
    assert jobs.runnable()
    c = claim(jobs)
    assert not jobs.runnable()
    jobs.fail(c, "boom", now=1_000)  # Retry after 1.5-2 s (base 1 s, attempt 1).
    assert not jobs.runnable(now=1_100)
    assert jobs.runnable(now=10_000)
