"""Issue 10 D5: wake-ups bounded by what can run; an idle app stays idle."""

from __future__ import annotations

from backend.api import CharlieAPI
from backend.jobs.state import Sweeper


def sweeper(api: CharlieAPI) -> Sweeper:
    return Sweeper(api.jobs, api.broker.client, api.wakeups, interval=0.0, max_pending=2)


def pending_after_drain(api: CharlieAPI) -> None:
    # No worker here: take the producers' wake-ups out of the Huey queue.
    while api.wakeups.pending():
        api.wakeups.huey.dequeue()


def test_nothing_to_run_sends_nothing_and_writes_nothing(api: CharlieAPI) -> None:
    s = sweeper(api)
    before = api.broker.client.info("persistence")["aof_current_size"]
    for _ in range(20):
        s.tick()
    assert s.sent == 0 and api.wakeups.pending() == 0
    # Reads only: nothing reached the append-only file.
    assert api.broker.client.info("persistence")["aof_current_size"] == before


def test_a_paused_backlog_gets_no_wake_ups(api: CharlieAPI) -> None:
    api.set_inference(False)
    for n in range(300):
        api.add_entry(f"Backlog {n}", source="import")
    pending_after_drain(api)
    s = sweeper(api)
    for _ in range(20):
        s.tick()
    assert s.sent == 0 and api.wakeups.pending() == 0


def test_queued_work_gets_at_most_max_pending_wake_ups(api: CharlieAPI) -> None:
    for n in range(300):
        api.add_entry(f"Queued {n}")
    pending_after_drain(api)
    s = sweeper(api)
    for _ in range(50):  # A busy worker consumes none of them.
        s.tick()
    assert s.sent == 2 and api.wakeups.pending() == 2


def test_at_most_one_wake_up_per_interval(api: CharlieAPI) -> None:
    api.add_entry("One job")
    pending_after_drain(api)
    s = Sweeper(api.jobs, api.broker.client, api.wakeups, interval=3600.0, max_pending=10)
    for _ in range(10):
        s.tick()
    assert s.sent == 1
