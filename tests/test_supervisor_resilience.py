"""Issue 10 D2 (in part): an error in a supervisor tick never ends the supervisor.

Its thread is the parent of the worker (PDEATHSIG), so its end would take the worker
down and leave the owner holding the lock with nothing running. A full disk is injected
as ENOSPC into a tick; the real worker must stay alive and keep working.
"""

from __future__ import annotations

import errno

from backend.api import CharlieAPI
from backend.supervisor import Supervisor
from tests.conftest import wait_state
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
