"""How the UI words background work (pure functions, no app needed)."""

from __future__ import annotations

from datetime import timedelta, timezone

from tests.helpers.ui import NOW, NOW_MS
from ui import queue_text


def test_durations_and_relative_times() -> None:
    assert [queue_text.duration(ms) for ms in (0, 999, 42_000, 185_000, 3_600_000, 7_620_000)] == [
        "0 s",
        "0 s",
        "42 s",
        "3 min 5 s",
        "1 h",
        "2 h 7 min",
    ]
    assert queue_text.duration(-5) == "0 s"
    assert queue_text.until(NOW_MS + 12_000, NOW_MS) == "in 12 s"
    assert queue_text.until(NOW_MS - 1, NOW_MS) == "now"
    assert queue_text.ago(NOW_MS - 90_000, NOW_MS) == "1 min 30 s ago"


def test_clock_time_shows_the_date_only_when_not_today() -> None:
    assert queue_text.clock_time(NOW_MS + 5_000, NOW) == "10:00:05"
    assert queue_text.clock_time(NOW_MS - 86_400_000, NOW) == "17 Mar 10:00:00"
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    assert queue_text.clock_time(NOW_MS, paris) == "11:00:00"


def test_failures_attempts_and_clipping() -> None:
    assert queue_text.failure("timeout") == "timed out"
    assert queue_text.failure("poison", crashes=3) == "crashed the worker 3×"
    assert queue_text.failure("") == "unknown"
    assert queue_text.attempts(2, 5) == "2 of 5"
    assert queue_text.first_line("\n  RuntimeError: boom\nmore") == "RuntimeError: boom"
    assert queue_text.first_line("x" * 50, 10) == "xxxxxxxxx…"


def test_history_lines() -> None:
    at = NOW_MS + 1_000
    lines = [
        queue_text.history_line({"event": "queued", "at": at, "priority": "backlog"}, NOW),
        queue_text.history_line({"event": "started", "at": at, "attempt": 2}, NOW),
        queue_text.history_line(
            {"event": "crashed", "at": at, "attempt": 2, "reason": "worker died (code -9)"}, NOW
        ),
        queue_text.history_line({"event": "error", "at": at, "error": "boom\ntrace"}, NOW),
    ]
    assert lines == [
        "10:00:01  queued · backlog",
        "10:00:01  started · attempt 2",
        "10:00:01  worker crashed · attempt 2: worker died (code -9)",
        "10:00:01  error: boom",
    ]


def test_paused_lines_explain_each_cause() -> None:
    paused = {"inference": "Inference is turned off in Settings.", "breaker": "No model."}
    breaker = {"reason": "No model.", "retry_at": str(NOW_MS + 8_000)}
    assert queue_text.paused_lines(paused, breaker, NOW_MS) == [
        "The extractor cannot work:\nNo model.\n"
        "Charlie tries it again in 8 s; waiting uses up no attempts.",
        "Inference is turned off in Settings.",
    ]
    assert queue_text.paused_lines({}, {}, NOW_MS) == []


def test_worker_lines() -> None:
    now = NOW.timestamp()
    worker = {"id": "w1", "extractor": "llama", "model_loaded": True, "job": "j", "at": now}
    assert queue_text.worker_lines([worker], {"restarts": 2, "last_exit": "code -9"}, now) == [
        ("w1 · llama · model loaded · busy", ""),
        ("Restarts: worker 2 (last exit: code -9)", "muted"),
    ]
    rules = {"id": "w2", "extractor": "rules", "uses_model": False, "at": now}
    assert queue_text.worker_lines([rules], None, now) == [
        ("w2 · rules · no model needed · idle", "")
    ]
    assert queue_text.worker_lines([], None, now) == [("No worker running", "warning")]
    starting = queue_text.worker_lines([], {"worker_alive": True}, now)
    assert starting == [("Worker starting…", "muted")]
    assert queue_text.worker_lines([], {"worker_alive": False, "last_exit": "code 1"}, now) == [
        ("Worker restarting (last exit: code 1)", "warning")
    ]
    stopped = queue_text.worker_lines([], {"gave_up": "Died 5 times."}, now)
    assert stopped == [("stopped after a crash loop; not restarting", "error")]


def test_a_worker_that_stopped_publishing_is_gone() -> None:
    # Health records outlive a killed worker by a few seconds; it must not count.
    now = NOW.timestamp()
    gone = {"id": "old", "at": now - 3}
    here = {"id": "new", "at": now - 1}
    assert queue_text.live_workers([gone, here], now) == [here]
    assert queue_text.worker_lines([gone], None, now) == [("No worker running", "warning")]
    assert queue_text.indicator({"queued": 1}, {}, [gone], None, now)[0] == (
        "no worker",
        "warning",
    )


def test_indicator_puts_problems_first() -> None:
    now = NOW.timestamp()
    counts = {"queued": 5, "running": 2, "retry_wait": 1, "dead": 3, "done": 9}
    worker = [{"id": "w1", "at": now}]
    assert queue_text.indicator(counts, {}, worker, None, now) == [
        ("⟳ 2 running", "busy"),
        ("5 queued", ""),
        ("1 retrying", ""),
        ("3 dead", "error"),
    ]
    paused = {"inference": "Inference is off.", "breaker": "Model file not found."}
    assert queue_text.indicator({"queued": 1}, paused, worker, None, now) == [
        ("paused: Model file not found.", "warning"),
        ("1 queued", ""),
    ]
    assert queue_text.indicator({"queued": 1}, {}, [], None, now)[0] == ("no worker", "warning")
    stopped = queue_text.indicator({}, {}, [], {"gave_up": "x"}, now)
    assert stopped == [("worker stopped", "error")]
    assert queue_text.indicator({"done": 4}, {}, [], None, now) == [("idle", "muted")]
