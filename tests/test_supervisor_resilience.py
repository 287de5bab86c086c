"""Issue 10 D2 (in part): an error in a supervisor tick never ends the supervisor.

Its thread is the parent of the worker (PDEATHSIG), so its end would take the worker
down and leave the owner holding the lock with nothing running. A full disk is injected
as ENOSPC into a tick; the real worker must stay alive and keep working.
"""

from __future__ import annotations

import errno
import time
from pathlib import Path

import pytest

from backend.api import CharlieAPI
from backend.settings import Settings
from backend.supervisor import Supervisor
from tests.conftest import events, wait_state
from tests.procs import wait_until


def test_a_full_disk_in_a_tick_is_shown_and_survived(
    owner: tuple[CharlieAPI, Supervisor],
) -> None:
    api, supervisor = owner
    wait_until(lambda: supervisor.status.worker_alive, timeout=30, what="the worker to start")
    worker = supervisor.status.worker_pid
    real_sweep = supervisor._sweep
    failures = {"left": 3}

    def full_disk() -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        real_sweep()

    supervisor._sweep = full_disk  # type: ignore[method-assign]
    wait_until(
        lambda: "No space left" in supervisor.status.problem,
        timeout=10,
        what="the supervisor to show the error",
    )
    wait_until(lambda: failures["left"] == 0, timeout=30, what="three failed ticks")
    entry = api.add_entry("Written after the disk filled, Kai.")
    wait_state(api, entry.id, "done")
    assert supervisor._thread is not None and supervisor._thread.is_alive()
    assert supervisor.status.worker_pid == worker and supervisor.status.worker_alive
    wait_until(lambda: supervisor.status.problem == "", timeout=10, what="the problem to clear")


@pytest.mark.parametrize("step_seconds", [45.0, 400.0, -400.0])
def test_a_wall_clock_step_kills_no_healthy_worker_and_fails_no_job(
    settings: Settings, log: Path, monkeypatch: pytest.MonkeyPatch, step_seconds: float
) -> None:
    """Issue 10 D6: the owner's wall clock jumps (suspend/resume, NTP) mid-job."""
    api = CharlieAPI.open(settings.with_changes(job_lease_seconds=1.0, job_time_limit_seconds=30))
    supervisor = Supervisor(api.settings, api.broker).start()
    try:
        entry = api.add_entry("Slow and healthy, Uma #sleep=3")
        wait_until(lambda: events(log, "start"), timeout=30, what="the job to start")
        worker = supervisor.status.worker_pid
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + step_seconds)
        wait_state(api, entry.id, "done")
        record = api.get_job(f"enrich:{api.journal().id}:{entry.id}")
        assert record.attempts == 1 and not record.last_error, record.history
        assert supervisor.status.worker_pid == worker and supervisor.status.restarts == 0
    finally:
        supervisor.stop()
        api.close()
