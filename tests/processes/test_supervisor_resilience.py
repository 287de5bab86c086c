"""Issue 10 D2 (in part): an error in a supervisor tick never ends the supervisor.

Its thread is the parent of the worker (PDEATHSIG), so its end would take the worker
down and leave the owner holding the lock with nothing running. A full disk is injected
as ENOSPC into a tick; the real worker must stay alive and keep working.
"""

from __future__ import annotations

import errno
import os
import signal
import time
from pathlib import Path

import pytest

from backend.jobs.supervisor import Supervisor
from backend.root import Charlie
from backend.settings import Settings
from tests.helpers.jobs import wait_state
from tests.helpers.procs import wait_until
from tests.helpers.scripted import events

pytestmark = pytest.mark.slow


def test_a_full_disk_in_a_tick_is_shown_and_survived(
    owner: tuple[Charlie, Supervisor],
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
    entry = api.journal().entries.add("Written after the disk filled, Kai.")
    wait_state(api, entry.id, "done")
    assert supervisor._thread is not None and supervisor._thread.is_alive()
    assert supervisor.status.worker_pid == worker and supervisor.status.worker_alive
    wait_until(lambda: supervisor.status.problem == "", timeout=10, what="the problem to clear")


@pytest.mark.parametrize("step_seconds", [45.0, 400.0, -400.0])
def test_a_wall_clock_step_kills_no_healthy_worker_and_fails_no_job(
    settings: Settings, log: Path, monkeypatch: pytest.MonkeyPatch, step_seconds: float
) -> None:
    """Issue 10 D6: the owner's wall clock jumps (suspend/resume, NTP) mid-job."""
    api = Charlie.open(settings.with_changes(job_lease_seconds=1.0, job_time_limit_seconds=30))
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    try:
        entry = api.journal().entries.add("Slow and healthy, Uma #sleep=3")
        wait_until(lambda: events(log, "start"), timeout=30, what="the job to start")
        worker = supervisor.status.worker_pid
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + step_seconds)
        wait_state(api, entry.id, "done")
        record = api.queue.get_job(f"enrich:{api.journals.get().id}:{entry.id}")
        assert record.attempts == 1 and not record.last_error, record.history
        assert supervisor.status.worker_pid == worker and supervisor.status.restarts == 0
    finally:
        supervisor.stop()
        api.close()


def test_a_server_killed_just_before_the_supervisor_starts_is_restarted_then_reaped(
    api: Charlie, settings: Settings
) -> None:
    # Found by bench/chaos.py: an owner whose server died between taking over and
    # starting its supervisor exited with a ConnectionError traceback from the start-up
    # reap. Now the first tick restarts the server, reaps, and only then starts a worker.
    entry = api.journal().entries.add("Left running by a worker that died.")
    claim = api.backend.jobs.claim("dead-worker", lease_ms=600_000)
    assert claim is not None and claim.entry_id == entry.id
    server = api.backend.broker.handoff.redis_pid if api.backend.broker.handoff else None
    assert server is not None
    os.kill(server, signal.SIGKILL)
    wait_until(lambda: not api.backend.broker.server_alive(), timeout=10, what="the server to die")
    supervisor = Supervisor(api.settings, api.backend.broker).start()  # Must not raise.
    try:
        wait_state(api, entry.id, "done", timeout=60)
    finally:
        supervisor.stop()
    assert api.backend.broker.server_alive()
