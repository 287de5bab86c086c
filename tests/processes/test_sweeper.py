"""Issue 10 D5: wake-ups bounded by what can run; an idle app stays idle."""

from __future__ import annotations

import pytest

from backend.jobs.keys import WAKE_QUEUE
from backend.jobs.sweeper import Sweeper
from backend.root import Charlie

pytestmark = pytest.mark.slow


def sweeper(api: Charlie) -> Sweeper:
    return Sweeper(
        api.backend.jobs,
        api.backend.broker.client,
        api.backend.wakeups,
        interval=0.0,
        max_pending=2,
    )


def pending_after_drain(api: Charlie) -> None:
    # No worker here: take the producers' wake-ups out of the Huey queue.
    api.backend.broker.client.delete(WAKE_QUEUE)


def test_nothing_to_run_sends_nothing_and_writes_nothing(api: Charlie) -> None:
    s = sweeper(api)
    before = api.backend.broker.client.info("persistence")["aof_current_size"]
    for _ in range(20):
        s.tick()
    assert s.sent == 0 and api.backend.wakeups.pending() == 0
    # Reads only: nothing reached the append-only file.
    assert api.backend.broker.client.info("persistence")["aof_current_size"] == before


def test_a_paused_backlog_gets_no_wake_ups(api: Charlie) -> None:
    api.queue.set_inference(False)
    for n in range(300):
        api.journal().entries.add(f"Backlog {n}", source="import")
    pending_after_drain(api)
    s = sweeper(api)
    for _ in range(20):
        s.tick()
    assert s.sent == 0 and api.backend.wakeups.pending() == 0


def test_queued_work_gets_at_most_max_pending_wake_ups(api: Charlie) -> None:
    for n in range(300):
        api.journal().entries.add(f"Queued {n}")
    pending_after_drain(api)
    s = sweeper(api)
    for _ in range(50):  # A busy worker consumes none of them.
        s.tick()
    assert s.sent == 2 and api.backend.wakeups.pending() == 2


def test_at_most_one_wake_up_per_interval(api: Charlie) -> None:
    api.journal().entries.add("One job")
    pending_after_drain(api)
    s = Sweeper(
        api.backend.jobs,
        api.backend.broker.client,
        api.backend.wakeups,
        interval=3600.0,
        max_pending=10,
    )
    for _ in range(10):
        s.tick()
    assert s.sent == 1
