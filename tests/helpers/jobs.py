"""Helpers for tests that watch an entry's enrichment job move through its states."""

from __future__ import annotations

from backend.root import Charlie
from tests.helpers.procs import wait_until


def job_state(api: Charlie, entry_id: str) -> str:
    """The state of the default journal's job for ``entry_id`` ("missing" if none)."""
    record = api.backend.jobs.get(f"enrich:{api.journals.get().id}:{entry_id}")
    return record.state if record else "missing"


def wait_state(api: Charlie, entry_id: str, state: str, timeout: float = 30) -> None:
    """Wait until the job for ``entry_id`` is in ``state``, or fail saying what it is in."""
    wait_until(
        lambda: job_state(api, entry_id) == state,
        timeout=timeout,
        what=f"job of {entry_id} to be {state} (is {job_state(api, entry_id)})",
    )
