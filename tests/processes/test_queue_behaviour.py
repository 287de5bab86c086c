"""Queue behaviour with a real supervised worker: pausing, priority, duplicates,
poison, hung workers, several workers, and the server dying under it all."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from backend.graph.enrich import mentioned_names
from backend.jobs.supervisor import Supervisor
from backend.root import Charlie
from backend.settings import Settings
from tests.helpers import ROOT
from tests.helpers.jobs import job_state, wait_state
from tests.helpers.procs import kill_server, servers_for, wait_until
from tests.helpers.scripted import events

pytestmark = pytest.mark.slow


def start_owner(settings: Settings, **changes: object) -> tuple[Charlie, Supervisor]:
    api = Charlie.open(settings.with_changes(**changes))
    return api, Supervisor(api.settings, api.backend.broker).start()


def test_inference_off_holds_every_job_and_on_runs_them_all(
    owner: tuple[Charlie, Supervisor], log: Path
) -> None:
    api, _ = owner
    api.queue.set_inference(False)
    ids = [api.journal().entries.add(f"Note {n} about Kai").id for n in range(10)]
    assert api.queue.job_counts()["queued"] == 10
    assert "inference" in api.queue.paused_reasons()
    # A wake-up while paused claims nothing.
    api.backend.wakeups.send(5)
    wait_until(lambda: api.backend.wakeups.pending() == 0, timeout=30, what="wake-ups consumed")
    assert events(log, "start") == []
    api.queue.set_inference(True)
    for entry_id in ids:
        wait_state(api, entry_id, "done")
    assert len(events(log, "finish")) == 10


def test_inference_off_mid_job_lets_that_job_finish_and_holds_the_rest(
    owner: tuple[Charlie, Supervisor], log: Path
) -> None:
    api, _ = owner
    first = api.journal().entries.add("Slow one #sleep=1.5")
    wait_until(lambda: events(log, "start"), timeout=30, what="the first job to start")
    api.queue.set_inference(False)
    later = api.journal().entries.add("Waits for inference")
    wait_state(api, first.id, "done")
    assert job_state(api, later.id) == "queued"
    api.queue.set_inference(True)
    wait_state(api, later.id, "done")


def test_fifty_duplicate_wakeups_run_the_extractor_once(
    owner: tuple[Charlie, Supervisor], log: Path
) -> None:
    api, _ = owner
    api.queue.set_inference(False)
    entry = api.journal().entries.add("Only once, Ida")
    api.backend.wakeups.send(50)
    api.queue.set_inference(True)
    wait_state(api, entry.id, "done")
    wait_until(lambda: api.backend.wakeups.pending() == 0, timeout=30, what="all wake-ups consumed")
    assert events(log, "finish") == ["Only once, Ida"]


def test_a_saved_entry_runs_before_a_large_backlog(
    owner: tuple[Charlie, Supervisor], log: Path
) -> None:
    api, _ = owner
    api.queue.set_inference(False)
    for n in range(200):
        api.journal().entries.add(f"imported {n}", source="import")
    urgent = api.journal().entries.add("just written")
    api.queue.set_inference(True)
    wait_state(api, urgent.id, "done")
    assert events(log, "start")[0] == "just written"


def test_a_job_that_crashes_the_worker_ends_dead_as_poison(
    owner: tuple[Charlie, Supervisor],
) -> None:
    api, supervisor = owner
    poison = api.journal().entries.add("Boom #crash")
    behind = api.journal().entries.add("Noa after the poison")
    wait_state(api, poison.id, "dead", timeout=60)
    record = api.queue.get_job(f"enrich:{api.journals.get().id}:{poison.id}")
    assert record.last_failure == "poison"
    assert [h["event"] for h in record.history].count("crashed") == 3
    wait_state(api, behind.id, "done")
    assert supervisor.status.restarts >= 3 and not supervisor.status.gave_up


def test_a_frozen_worker_is_killed_before_its_job_is_reaped(settings: Settings, log: Path) -> None:
    api, supervisor = start_owner(settings, job_lease_seconds=1.0)
    try:
        entry = api.journal().entries.add("Freeze, Uma #sleep=1")
        wait_until(lambda: events(log, "start"), timeout=30, what="the job to start")
        frozen = supervisor.status.worker_pid
        assert frozen is not None
        os.kill(frozen, signal.SIGSTOP)
        wait_state(api, entry.id, "done")
        # The frozen worker was killed (never resumed), so it never finished anything.
        assert subprocess.run(["kill", "-0", str(frozen)], capture_output=True).returncode != 0
        finishes = [line for line in log.read_text().splitlines() if "\tfinish\t" in line]
        assert len(finishes) == 1 and str(frozen) not in finishes[0]
    finally:
        supervisor.stop()
        api.close()


def spawn_worker(url: str, extra: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CHARLIE_BROKER_URL": url, **extra}
    return subprocess.Popen(
        [sys.executable, "charlie.py", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_three_workers_on_one_broker_run_every_job_exactly_once(api: Charlie, log: Path) -> None:
    url = api.backend.broker.url
    workers = [spawn_worker(url, {"CHARLIE_JOB_LEASE_SECONDS": "5"}) for _ in range(3)]
    try:
        wait_until(lambda: len(api.queue.workers()) == 3, timeout=30, what="three workers")
        ids = [api.journal().entries.add(f"Job {n} for Max #sleep=0.05").id for n in range(30)]
        for entry_id in ids:
            wait_state(api, entry_id, "done")
        finishes = events(log, "finish")
        assert sorted(finishes) == sorted(f"Job {n} for Max #sleep=0.05" for n in range(30))
        pids = {line.split("\t")[0] for line in log.read_text().splitlines()}
        assert len(pids) >= 2  # The work really was shared.
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=10)


def test_a_late_result_from_a_worker_whose_lease_expired_is_rejected(
    api: Charlie, log: Path
) -> None:
    url = api.backend.broker.url
    slow = spawn_worker(url, {"CHARLIE_JOB_LEASE_SECONDS": "1"})
    helper = None
    try:
        wait_until(lambda: len(api.queue.workers()) == 1, timeout=30, what="the first worker")
        entry = api.journal().entries.add("Late Leo #sleep=1")
        wait_until(lambda: events(log, "start"), timeout=30, what="the first start")
        os.kill(slow.pid, signal.SIGSTOP)
        helper = spawn_worker(url, {"CHARLIE_JOB_LEASE_SECONDS": "1"})
        wait_state(api, entry.id, "done")
        record = api.queue.get_job(f"enrich:{api.journals.get().id}:{entry.id}")
        assert [h["event"] for h in record.history].count("done") == 1
        os.kill(slow.pid, signal.SIGCONT)
        wait_until(lambda: len(events(log, "finish")) == 2, timeout=30, what="the late finish")
        record = api.queue.get_job(f"enrich:{api.journals.get().id}:{entry.id}")
        assert [h["event"] for h in record.history].count("done") == 1
        assert mentioned_names(api.backend.store.graph(api.journals.get()), entry.id) == [
            "Late",
            "Leo",
        ]
    finally:
        for worker in (slow, helper):
            if worker is not None:
                os.kill(worker.pid, signal.SIGCONT)
                worker.terminate()
                worker.wait(timeout=10)


def test_the_server_killed_mid_run_is_restarted_and_nothing_is_lost(
    owner: tuple[Charlie, Supervisor], log: Path, settings: Settings
) -> None:
    api, supervisor = owner
    ids = [api.journal().entries.add(f"Before the crash, Pia {n}").id for n in range(5)]
    running = api.journal().entries.add("During the crash, Rob #sleep=1")
    wait_until(
        lambda: "During the crash, Rob #sleep=1" in events(log, "start"), timeout=30, what="run"
    )
    kill_server(settings.data_dir)
    wait_until(lambda: supervisor.status.server_restarts == 1, timeout=30, what="a restart")
    assert len(servers_for(settings.data_dir)) == 1
    after = api.journal().entries.add("After the crash, Sue")
    for entry_id in [*ids, running.id, after.id]:
        wait_state(api, entry_id, "done", timeout=60)
    assert api.journal().entries.count() == 7


@pytest.mark.parametrize("jobs", [40])
def test_chaos_random_worker_kills_lose_and_duplicate_nothing(
    owner: tuple[Charlie, Supervisor], jobs: int
) -> None:
    api, supervisor = owner
    rng = random.Random(7)
    ids = [api.journal().entries.add(f"Chaos {n} with Ada #sleep=0.1").id for n in range(jobs)]
    kills = 0
    while api.queue.job_counts()["done"] < jobs and kills < 6:
        wait_until(
            lambda: (
                supervisor.status.worker_alive
                or api.queue.job_counts()["done"] >= jobs
                or bool(supervisor.status.gave_up)
            ),
            timeout=30,
            what="a live worker",
        )
        done_before = api.queue.job_counts()["done"]
        step = rng.randint(1, 4)
        wait_until(
            lambda d=done_before, s=step: (
                api.queue.job_counts()["done"] >= min(jobs, d + s)
                or bool(supervisor.status.gave_up)
            ),
            timeout=60,
            what="some progress",
        )
        pid = supervisor.status.worker_pid
        if pid and supervisor.status.worker_alive and api.queue.job_counts()["done"] < jobs:
            os.kill(pid, signal.SIGKILL)
            kills += 1
    for entry_id in ids:
        wait_state(api, entry_id, "done", timeout=60)
        record = api.queue.get_job(f"enrich:{api.journals.get().id}:{entry_id}")
        assert [h["event"] for h in record.history].count("done") == 1
        assert mentioned_names(api.backend.store.graph(api.journals.get()), entry_id) == [
            "Ada",
            "Chaos",
        ]
    assert kills >= 3
    assert not supervisor.status.gave_up


def test_model_unloads_after_the_linger_time(settings: Settings, log: Path) -> None:
    api, supervisor = start_owner(settings, model_linger_seconds=0.5)
    try:
        entry = api.journal().entries.add("Warm up, Vic")
        wait_state(api, entry.id, "done")
        assert events(log, "load") == [""]
        wait_until(lambda: events(log, "unload"), timeout=30, what="the model to unload")
        wait_until(
            lambda: not any(w["model_loaded"] for w in api.queue.workers()),
            timeout=10,
            what="the worker's health record to show the model unloaded",
        )
    finally:
        supervisor.stop()
        api.close()


def test_inference_off_unloads_the_model_at_once(
    owner: tuple[Charlie, Supervisor], log: Path
) -> None:
    api, _ = owner
    entry = api.journal().entries.add("Load it, Wes")
    wait_state(api, entry.id, "done")
    assert events(log, "unload") == []
    api.queue.set_inference(False)
    wait_until(lambda: events(log, "unload"), timeout=30, what="the model to unload")


def test_the_model_is_not_loaded_while_the_user_is_typing(
    owner: tuple[Charlie, Supervisor], log: Path
) -> None:
    api, supervisor = owner
    api.queue.set_editing(True)
    entry = api.journal().entries.add("Saved while the editor is open, Xia")
    job_id = f"enrich:{api.journals.get().id}:{entry.id}"
    # The sweeper wakes the worker again and again; each time it declines to load.
    sent = supervisor.sweeper.sent
    wait_until(
        lambda: (
            supervisor.sweeper.sent >= sent + 2
            and api.backend.wakeups.pending() == 0
            and api.queue.get_job(job_id).state == "queued"
        ),
        timeout=30,
        what="two sweeps consumed with the job still queued",
    )
    assert events(log, "load") == []
    api.queue.set_editing(False)
    wait_state(api, entry.id, "done")
    assert events(log, "load") == [""]
