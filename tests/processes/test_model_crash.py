"""A model that crashes the worker pauses the queue instead of killing every job.

Real owner, real supervised worker subprocess, real SIGSEGV: the scripted extractor
kills its own process with it, as a crashing llama.cpp would. The extractor comes from
the config file here (not the conftest's variable), so switching it is what a user does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import charlie
from backend.jobs.records import JobRecord
from backend.jobs.supervisor import Supervisor
from backend.root import Charlie
from backend.settings import Settings, load_settings, save_settings
from tests.helpers.jobs import wait_state
from tests.helpers.procs import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def crashing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """While this file exists, every call of the scripted extractor dies by SIGSEGV."""
    switch = tmp_path / "segv"
    monkeypatch.setenv("CHARLIE_SCRIPTED_SEGV", str(switch))
    return switch


@pytest.fixture
def owner_from_config(
    monkeypatch: pytest.MonkeyPatch, log: Path
) -> Iterator[tuple[Charlie, Supervisor]]:
    monkeypatch.delenv("CHARLIE_EXTRACTOR")
    save_settings(load_settings(), extractor="scripted")
    settings: Settings = load_settings().with_changes(retry_base_seconds=0.2)
    api = Charlie.open(settings)
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    try:
        yield api, supervisor
    finally:
        supervisor.stop()
        api.close()


def records(api: Charlie, ids: list[str]) -> list[JobRecord]:
    journal = api.journals.get().id
    return [api.queue.get_job(f"enrich:{journal}:{entry_id}") for entry_id in ids]


def wait_paused_by_crash(api: Charlie) -> str:
    wait_until(
        lambda: "crashed the worker" in api.queue.paused_reasons().get("breaker", ""),
        timeout=60,
        what=f"the queue to pause for the crash (paused: {api.queue.paused_reasons()})",
    )
    return api.queue.paused_reasons()["breaker"]


def assert_nothing_charged(api: Charlie, ids: list[str]) -> None:
    for record in records(api, ids):
        assert record.state == "queued", (record.id, record.state, record.history)
        assert (record.attempts, record.crashes) == (0, 0), (record.id, record.history)
    assert api.queue.job_counts()["dead"] == 0


def test_a_model_that_crashes_on_everything_pauses_the_queue_and_charges_nothing(
    owner_from_config: tuple[Charlie, Supervisor],
    crashing: Path,
    log: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api, supervisor = owner_from_config
    crashing.touch()
    ids = [api.journal().entries.add(f"Lunch with Maria, day {n}").id for n in range(3)]
    reason = wait_paused_by_crash(api)
    # One entry crashed the worker, then the plain test sentence did too: the model.
    assert "SIGSEGV (segmentation fault)" in reason
    assert "charlie doctor" in reason and "charlie model use rules" in reason
    assert_nothing_charged(api, ids)
    assert not supervisor.status.gave_up
    assert "SIGSEGV" in supervisor.status.last_exit
    # `charlie status` names the signal too (the paused line may show a later probe's).
    assert charlie.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "last exit: killed by SIGSEGV (segmentation fault)" in out, out
    assert "code -11" not in out and "signal 11" not in out  # Never a bare number.

    # The user switches to a model that works: the queue resumes and every job is done.
    save_settings(load_settings(), extractor="rules")
    for entry_id in ids:
        wait_state(api, entry_id, "done")
    assert "breaker" not in api.queue.paused_reasons()
    assert [r.attempts for r in records(api, ids)] == [1, 1, 1]


def test_entries_that_all_crash_the_model_pause_after_the_second(
    owner_from_config: tuple[Charlie, Supervisor], log: Path
) -> None:
    # The test sentence reads fine, but every entry crashes the model.
    api, _ = owner_from_config
    ids = [api.journal().entries.add(f"Crash on me #segv {n}").id for n in range(4)]
    reason = wait_paused_by_crash(api)
    assert "while reading 2 entries in a row" in reason
    assert_nothing_charged(api, ids)

    save_settings(load_settings(), extractor="rules")
    for entry_id in ids:
        wait_state(api, entry_id, "done")


def test_one_entry_that_crashes_the_model_is_poison_and_the_rest_run(
    owner_from_config: tuple[Charlie, Supervisor], log: Path
) -> None:
    api, supervisor = owner_from_config
    poison = api.journal().entries.add("Boom #segv")
    fine = [api.journal().entries.add(f"Noa and Ida, {n}").id for n in range(3)]
    wait_state(api, poison.id, "dead", timeout=90)
    for entry_id in fine:
        wait_state(api, entry_id, "done")
    [record] = records(api, [poison.id])
    assert record.last_failure == "poison" and record.crashes == 3
    crashes = [h for h in record.history if h["event"] == "crashed"]
    assert all("SIGSEGV" in h["reason"] for h in crashes), crashes
    assert "breaker" not in api.queue.paused_reasons()
    assert not supervisor.status.gave_up
