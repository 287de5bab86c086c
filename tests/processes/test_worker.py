"""The supervised worker, with real subprocesses, real signals and a real broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from backend.broker.handoff import read_handoff
from backend.broker.paths import Paths
from backend.broker.processes import process_start_ticks
from backend.graph.enrich import mentioned_names
from backend.jobs.supervisor import Supervisor
from backend.root import Charlie
from backend.settings import Settings
from tests.helpers import ROOT
from tests.helpers.jobs import wait_state
from tests.helpers.procs import servers_for, wait_until, workers_for
from tests.helpers.scripted import events

pytestmark = pytest.mark.slow


def test_saved_entry_is_enriched_by_the_worker(owner: tuple[Charlie, Supervisor]) -> None:
    api, _ = owner
    entry = api.journal().entries.add("Sam and Ann walked.")
    wait_state(api, entry.id, "done")
    assert mentioned_names(api.backend.store.graph(api.journals.get()), entry.id) == ["Ann", "Sam"]


def test_worker_sigkilled_mid_job_completes_exactly_once(
    owner: tuple[Charlie, Supervisor], log: Path
) -> None:
    api, supervisor = owner
    entry = api.journal().entries.add("Kim waits here #sleep=2")
    wait_until(lambda: events(log, "start"), timeout=30, what="the extractor to start")
    first_worker = supervisor.status.worker_pid
    assert first_worker is not None and first_worker > 0
    os.kill(first_worker, signal.SIGKILL)
    wait_state(api, entry.id, "done")
    assert len(events(log, "finish")) == 1
    record = api.backend.jobs.get(f"enrich:{api.journals.get().id}:{entry.id}")
    assert record is not None
    assert "crashed" in [h["event"] for h in record.history]
    assert supervisor.status.worker_pid != first_worker
    assert mentioned_names(api.backend.store.graph(api.journals.get()), entry.id) == ["Kim"]


def test_the_standby_takes_over_a_killed_workers_job_and_leaves_with_its_owner(
    settings: Settings, log: Path
) -> None:
    api = Charlie.open(settings)
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    try:
        entry = api.journal().entries.add("Noor waits here #sleep=2")
        wait_until(lambda: events(log, "start"), timeout=30, what="the extractor to start")
        working = supervisor.status.worker_pid
        standby = supervisor.spawner.standby
        assert working is not None and standby is not None
        assert sorted(workers_for(settings.data_dir)) == sorted([working, standby.pid])
        os.kill(working, signal.SIGKILL)
        wait_state(api, entry.id, "done")
        # The warm standby ran the job again (no cold start), and a new one waits behind it.
        assert supervisor.status.worker_pid == standby.pid
        assert len(events(log, "start")) == 2 and len(events(log, "finish")) == 1
        replacement = supervisor.spawner.standby
        assert replacement is not None and replacement.pid != standby.pid
    finally:
        supervisor.stop()
        api.close()
    wait_until(
        lambda: workers_for(settings.data_dir) == [],
        timeout=10,
        what="the worker and its standby to exit with the supervisor",
    )


def test_hung_job_is_killed_at_its_limit_retried_later_and_dies_as_timeout(
    settings: Settings,
) -> None:
    api = Charlie.open(
        settings.with_changes(job_time_limit_seconds=2.0, job_max_attempts=2, retry_base_seconds=1)
    )
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    try:
        hung = api.journal().entries.add("Stuck #hang")
        wait_state(api, hung.id, "retry_wait", timeout=30)
        other = api.journal().entries.add("Lee is fine")
        wait_state(api, other.id, "done")  # Other work flows while the hung job waits.
        wait_state(api, hung.id, "dead", timeout=60)
        record = api.queue.get_job(f"enrich:{api.journals.get().id}:{hung.id}")
        assert record.last_failure == "timeout"
        assert "Timed out after 2 s" in record.last_error
        timeouts = [h for h in record.history if h["event"] == "timeout"]
        starts = [h["at"] for h in record.history if h["event"] == "started"]
        assert len(timeouts) == 2 and len(starts) == 2
        # The retry waited at least half the base delay after the first kill.
        assert starts[1] - timeouts[0]["at"] >= 500
    finally:
        supervisor.stop()
        api.close()


def test_failing_job_backs_off_dies_with_traceback_and_retry_completes_it(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    switch = tmp_path / "fail"
    switch.touch()
    monkeypatch.setenv("CHARLIE_SCRIPTED_FAIL", str(switch))
    api = Charlie.open(settings.with_changes(job_max_attempts=3, retry_base_seconds=0.4))
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    try:
        entry = api.journal().entries.add("Broken for now, Quinn")
        job_id = f"enrich:{api.journals.get().id}:{entry.id}"
        wait_state(api, entry.id, "dead", timeout=60)
        record = api.queue.get_job(job_id)
        assert "failed on purpose" in record.last_error
        assert record.last_traceback.startswith("Traceback (most recent call last)")
        fails = [h["at"] for h in record.history if h["event"] == "error"]
        starts = [h["at"] for h in record.history if h["event"] == "started"]
        assert len(fails) == 3
        waits = [starts[i + 1] - fails[i] for i in range(2)]
        # Backoff with jitter: attempt n waits between half and all of base * 2**(n-1).
        assert waits[0] >= 200 and waits[1] >= 400
        switch.unlink()
        api.queue.retry_job(job_id)
        wait_state(api, entry.id, "done")
        assert mentioned_names(api.backend.store.graph(api.journals.get()), entry.id) == [
            "Broken",
            "Quinn",
        ]
    finally:
        supervisor.stop()
        api.close()


def test_unavailable_extractor_charges_nothing_and_pauses(
    owner: tuple[Charlie, Supervisor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api, supervisor = owner
    switch = tmp_path / "model-missing"
    switch.touch()
    supervisor.extra_env["CHARLIE_SCRIPTED_UNAVAILABLE"] = str(switch)
    wait_until(lambda: supervisor.status.worker_alive, timeout=30, what="the first worker")
    first = supervisor.status.worker_pid
    assert first is not None
    os.kill(first, signal.SIGTERM)  # Restart it with the switch in its environment.
    wait_until(
        lambda: supervisor.status.restarts >= 1 and supervisor.status.worker_alive,
        timeout=30,
        what="the worker to restart",
    )
    entry = api.journal().entries.add("Nobody can read this yet")
    wait_until(
        lambda: "breaker" in api.backend.jobs.paused(), timeout=30, what="the breaker to open"
    )
    record = api.backend.jobs.get(f"enrich:{api.journals.get().id}:{entry.id}")
    assert record is not None and record.attempts == 0
    switch.unlink()
    wait_state(api, entry.id, "done")
    assert "breaker" not in api.backend.jobs.paused()


def test_delete_during_a_running_job_leaves_nothing(
    owner: tuple[Charlie, Supervisor], log: Path
) -> None:
    api, _ = owner
    keep = api.journal().entries.add("Ann stays")
    wait_state(api, keep.id, "done")
    doomed = api.journal().entries.add("Ann and Bob #sleep=1.5")
    wait_until(lambda: "Ann and Bob #sleep=1.5" in events(log, "start"), timeout=30, what="start")
    api.journal().entries.delete(doomed.id)
    wait_until(lambda: "Ann and Bob #sleep=1.5" in events(log, "finish"), timeout=30, what="finish")
    graph = api.backend.store.graph(api.journals.get())
    names = [r[0] for r in graph.read("MATCH (n:Person) RETURN n.name ORDER BY n.name")]
    assert names == ["Ann"]
    assert not [k for k in api.backend.broker.client.keys("*") if doomed.id.encode() in k]


def test_edit_during_a_running_job_discards_the_stale_result(
    owner: tuple[Charlie, Supervisor], log: Path
) -> None:
    api, _ = owner
    entry = api.journal().entries.add("Old Name #sleep=1.5")
    wait_until(lambda: events(log, "start"), timeout=30, what="the first run to start")
    api.journal().entries.edit(entry.id, body="New Person")
    wait_until(lambda: "New Person" in events(log, "finish"), timeout=30, what="the rerun")
    wait_state(api, entry.id, "done")
    assert mentioned_names(api.backend.store.graph(api.journals.get()), entry.id) == [
        "New",
        "Person",
    ]


def test_owner_sigkill_mid_job_leaves_no_orphans_and_the_job_completes(
    settings: Settings, log: Path
) -> None:
    serve = subprocess.Popen(
        [sys.executable, "charlie.py", "serve"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert serve.stdout is not None and "serving" in serve.stdout.readline()
    handoff = read_handoff(Paths(settings.data_dir).handoff)
    assert handoff is not None
    made = subprocess.run(
        [sys.executable, "charlie.py", "new", "Zoe slow #sleep=3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    entry_id = made.stdout.strip()
    wait_until(lambda: events(log, "start"), timeout=30, what="the job to start")
    worker_pids = workers_for(settings.data_dir)
    assert worker_pids, "no worker of this data directory found"
    serve.kill()
    serve.wait()
    for pid in [handoff.redis_pid, *worker_pids]:
        wait_until(
            lambda pid=pid: process_start_ticks(pid) is None,
            timeout=10,
            what=f"process {pid} to exit with its owner",
        )
    assert servers_for(settings.data_dir) == []
    api = Charlie.open(settings)
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    try:
        wait_state(api, entry_id, "done")
        assert len(events(log, "finish")) == 1
    finally:
        supervisor.stop()
        api.close()


def test_a_lost_wakeup_is_resent_by_the_sweeper(owner: tuple[Charlie, Supervisor]) -> None:
    api, _ = owner
    entry = api.journal().entries.add("Sent normally, Yan")
    wait_state(api, entry.id, "done")
    # A slow machine may have had the sweeper send a spare wake-up; let it be consumed.
    wait_until(lambda: api.backend.wakeups.pending() == 0, timeout=10, what="no wake-up pending")
    # Queue work with no Huey message at all, as if the message had been lost.
    journal = api.journals.get()
    api.backend.jobs.enqueue(journal.id, entry.id, api.journal().entries.get(entry.id).content_hash)
    wait_state(api, entry.id, "done")
    record = api.queue.get_job(f"enrich:{journal.id}:{entry.id}")
    assert [h["event"] for h in record.history].count("done") == 2


def test_stopping_the_worker_returns_its_job_without_charging_an_attempt(
    settings: Settings, log: Path
) -> None:
    api = Charlie.open(settings)
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    try:
        entry = api.journal().entries.add("Interrupted, Ava #sleep=30")
        wait_until(lambda: events(log, "start"), timeout=30, what="the job to start")
        supervisor.stop()  # SIGTERM, as when the app quits.
        record = api.queue.get_job(f"enrich:{api.journals.get().id}:{entry.id}")
        assert (record.state, record.attempts) == ("queued", 0)
        assert record.history[-1]["event"] == "released"
        assert "crashed" not in [h["event"] for h in record.history]
    finally:
        supervisor.stop()
        api.close()
