"""Issue 14 item 5: workers on other machines, through a FalkorDB server on TCP.

A password-protected server on 127.0.0.1 stands for the shared server; three
`charlie worker` processes, each with a data directory of its own and
``CHARLIE_BROKER_URL``, stand for three machines; this test process is the owner that
writes entries. Workers are SIGKILLed mid-job and started again: every job must end
done exactly once, its lease reaped by a surviving worker, with nothing left running.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.graph.enrich import mentioned_names
from backend.jobs.records import JobRecord
from backend.jobs.supervisor import Supervisor
from backend.root import Charlie
from backend.settings import Settings
from tests.helpers.procs import wait_until
from tests.helpers.remote import RemoteWorker, TcpServer, processes_using, stop_all
from tests.helpers.scripted import events

pytestmark = pytest.mark.slow

LEASE_SECONDS = 2
"""Short, so a killed worker's lease expires (and is reaped) within seconds."""
KILLS = 3
PLACES = list(
    enumerate(
        "Lisbon Porto Oslo Berlin Madrid Paris Vienna Prague Dublin Warsaw Athens Rome "
        "Zurich Helsinki Tallinn".split()
    )
)
"""One place per entry, none alike (a near name would be resolved as the same place)."""
ENTRIES = len(PLACES)


def producer(tmp_path: Path, server: TcpServer) -> Charlie:
    """The owner: the app or a CLI command on the machine that writes the entries."""
    settings = Settings(
        data_dir=tmp_path / "owner",
        config_file=tmp_path / "owner.toml",
        broker_url=server.url(),
        extractor="scripted",
        job_lease_seconds=LEASE_SECONDS,
    )
    return Charlie.open(settings)


def worker_env(log: Path) -> dict[str, str]:
    return {"CHARLIE_JOB_LEASE_SECONDS": str(LEASE_SECONDS), "CHARLIE_SCRIPTED_LOG": str(log)}


def wait_ready(api: Charlie, workers: list[RemoteWorker]) -> None:
    """Until every live worker publishes its health (it is connected and consuming)."""

    def ready() -> bool:
        seen = {w["pid"] for w in api.queue.workers()}
        return all(w.pid in seen for w in workers if w.alive())

    wait_until(ready, timeout=60, what="every worker to report itself ready")


def job(api: Charlie, entry_id: str) -> JobRecord:
    return api.queue.get_job(f"enrich:{api.journals.get().id}:{entry_id}")


def starts_of(log: Path, first_line: str, pid: int | None = None) -> int:
    """How many times the extractor started on this entry (in process ``pid``)."""
    if not log.exists():
        return 0
    return sum(
        1
        for line in log.read_text().splitlines()
        if line.split("\t")[1:] == ["start", first_line]
        and (pid is None or line.split("\t")[0] == str(pid))
    )


def running_in(api: Charlie, workers: list[RemoteWorker], log: Path) -> tuple[int, str] | None:
    """(slot, job id) of a job a live worker is extracting right now, never one that
    crashed before (so no job comes near the poison limit), or None."""
    by_pid = {w.pid: slot for slot, w in enumerate(workers) if w.alive()}
    for record in api.queue.list_jobs("running"):
        pid = int(record.worker.rpartition(":")[2] or 0)
        if pid in by_pid and record.crashes == 0:
            first = api.journal().entries.get(record.entry_id).body.splitlines()[0]
            if starts_of(log, first, pid):
                return by_pid[pid], record.id
    return None


def wait_mid_job(api: Charlie, workers: list[RemoteWorker], log: Path) -> tuple[int, str]:
    found: list[tuple[int, str]] = []

    def mid_job() -> bool:
        hit = running_in(api, workers, log)
        if hit is not None:
            found.append(hit)
        return hit is not None

    wait_until(mid_job, timeout=60, what="a live worker to be in the middle of a job")
    return found[-1]


def test_sigkilled_remote_workers_lose_nothing_and_run_nothing_twice(tmp_path: Path) -> None:
    log = tmp_path / "extractor.log"
    with TcpServer(tmp_path / "server") as server:
        workers = [
            RemoteWorker(tmp_path / f"worker{slot}", server.url(), worker_env(log)).start()
            for slot in range(3)
        ]
        retired: list[RemoteWorker] = []
        api = producer(tmp_path, server)
        try:
            wait_ready(api, workers)
            texts = [f"Entry {n}: [[Place:{place}]] with Ada #sleep=0.8" for n, place in PLACES]
            entries = [api.journal().entries.add(text) for text in texts]

            killed: list[str] = []
            for _ in range(KILLS):
                slot, job_id = wait_mid_job(api, workers, log)
                workers[slot].kill()
                killed.append(job_id)
                retired.append(workers[slot])
                # The same machine starts its worker again, in the same data directory.
                workers[slot] = RemoteWorker(
                    tmp_path / f"worker{slot}", server.url(), worker_env(log)
                ).start()

            def settled() -> bool:
                return api.queue.job_counts()["done"] == ENTRIES

            wait_until(settled, timeout=120, what=f"all jobs done ({api.queue.job_counts()})")
            counts = api.queue.job_counts()
            assert counts == {
                "queued": 0,
                "running": 0,
                "retry_wait": 0,
                "dead": 0,
                "done": ENTRIES,
            }

            graph = api.backend.store.graph(api.journals.get())
            for n, entry in enumerate(entries):
                record = job(api, entry.id)
                history = [h["event"] for h in record.history]
                assert record.state == "done", (entry.id, history)
                assert history.count("done") == 1, (entry.id, history)
                # Every attempt the record counts ran the extractor once, and none other.
                assert history.count("started") == record.attempts, history
                assert starts_of(log, texts[n]) == record.attempts, (texts[n], history)
                # The commit wrote each mention once.
                assert mentioned_names(graph, entry.id) == sorted(["Ada", "Entry", PLACES[n][1]])
            for job_id in killed:
                record = api.queue.get_job(job_id)
                # A surviving worker reaped the killed worker's lease; the job ran again.
                assert record.crashes == 1 and record.attempts == 2, record.history
                crashed = [h for h in record.history if h["event"] == "crashed"]
                assert len(crashed) == 1 and "lease expired" in crashed[0]["reason"]
            assert len(set(killed)) == KILLS

            # The safe stop: SIGTERM, and each worker exits cleanly.
            assert [w.stop() for w in workers] == [0, 0, 0]
        finally:
            stop_all(workers + retired)
            api.close()
    assert processes_using(tmp_path) == []
    assert "Traceback" not in "".join(w.stderr() for w in workers)


def test_sigterm_gives_a_remote_workers_job_back_uncharged(tmp_path: Path) -> None:
    log = tmp_path / "extractor.log"
    with TcpServer(tmp_path / "server") as server:
        api = producer(tmp_path, server)
        first = RemoteWorker(tmp_path / "worker", server.url(), worker_env(log)).start()
        second: RemoteWorker | None = None
        try:
            entry = api.journal().entries.add("Long read with Kim #sleep=3")
            wait_until(
                lambda: events(log, "start") == ["Long read with Kim #sleep=3"],
                timeout=60,
                what="the worker to start the job",
            )
            assert first.stop() == 0
            record = job(api, entry.id)
            assert record.state == "queued" and record.attempts == 0, record.history
            assert record.history[-1]["event"] == "released"

            second = RemoteWorker(tmp_path / "worker", server.url(), worker_env(log)).start()
            wait_until(
                lambda: job(api, entry.id).state == "done", timeout=60, what="the job to be done"
            )
            record = job(api, entry.id)
            assert record.crashes == 0 and record.attempts == 1, record.history
            assert len(events(log, "start")) == 2 and len(events(log, "finish")) == 1
        finally:
            stop_all([first] + ([second] if second else []))
            api.close()
    assert processes_using(tmp_path) == []


@pytest.mark.parametrize("password", ["wrong", ""])
def test_a_wrong_password_fails_the_worker_at_once_in_one_line(
    tmp_path: Path, password: str
) -> None:
    with TcpServer(tmp_path / "server", password="right-one") as server:
        url = server.url(password) if password else f"redis://127.0.0.1:{server.port}/0"
        worker = RemoteWorker(tmp_path / "worker", url).start()
        assert worker.process is not None
        assert worker.process.wait(timeout=60) == 1
        lines = worker.stderr().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("charlie: Cannot reach the FalkorDB server at redis://")
        assert "right-one" not in lines[0] and "wants a password" in lines[0]
        if password:
            assert ":***@127.0.0.1" in lines[0] and "wrong" not in lines[0]


def test_an_owner_starting_beside_a_busy_remote_worker_leaves_its_job_alone(
    tmp_path: Path,
) -> None:
    log = tmp_path / "extractor.log"
    with TcpServer(tmp_path / "server") as server:
        api = producer(tmp_path, server)
        worker = RemoteWorker(tmp_path / "worker", server.url(), worker_env(log)).start()
        supervisor: Supervisor | None = None
        try:
            entry = api.journal().entries.add("Long read with Kim #sleep=4")
            wait_until(
                lambda: events(log, "start") == ["Long read with Kim #sleep=4"],
                timeout=60,
                what="the remote worker to start the job",
            )
            # The app (or `charlie serve`) with the same broker_url starts on this machine:
            # it supervises a worker of its own, beside the busy one.
            supervisor = Supervisor(
                api.settings, api.backend.broker, extra_env={"CHARLIE_SCRIPTED_LOG": str(log)}
            ).start()
            wait_until(
                lambda: job(api, entry.id).state == "done", timeout=60, what="the job to be done"
            )
            record = job(api, entry.id)
            assert [h["event"] for h in record.history] == ["queued", "started", "done"]
            assert len(events(log, "start")) == 1, "the job ran twice at once"
        finally:
            if supervisor is not None:
                supervisor.stop()
            stop_all([worker])
            api.close()
    assert processes_using(tmp_path) == []
