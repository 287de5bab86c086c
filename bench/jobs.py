"""Charlie's job-queue benchmark: durable-layer overhead and crash recovery time.

Run ``.venv/bin/python bench/jobs.py [--jobs N] [--chaos N] [--quick]``. It prints figures;
it exits non-zero if a part fails or the chaos run lost, repeated or orphaned anything.
``--quick`` is the CI smoke test: tiny sizes, one recovery run and a short chaos run.

1. Throughput, no-op work, one consumer, on the same embedded broker:
   - raw Huey: enqueue N no-op tasks on a PriorityRedisHuey, then dequeue and execute
     them one by one;
   - durable: enqueue each job's record (what a save does: the same script wakes a
     worker unless a wake-up already waits), then consume wake-ups as the worker does:
     one claims a job, and each commit as the worker makes it (backend/jobs/commit.py:
     a round trip to WATCH and check the record, then the MULTI/EXEC, here with no
     result to write) marks it done and claims the next in the same transaction.
   Printed as jobs/s and the per-job time ratio durable / raw (target <= 1.3).
2. Recovery: a supervised worker runs a slow job; SIGKILL the worker and time until
   the job is running again (the supervisor notices the death, takes the worker lock,
   reaps the job, restarts the worker, which claims it). Median of 3.
3. Chaos (``--chaos N``, default 0): N jobs with random worker SIGKILLs; prints lost,
   duplicated commits and orphan processes (all should be 0).
4. Idle: server commands per second while the app idles with a paused backlog (owner,
   sweeper and worker alive, inference off). Target: <= 50/s with 10,000 jobs.

Parts 2 and 3 steer the worker with the ``scripted`` test extractor (``#sleep=S``, and
``CHARLIE_SCRIPTED_LOG`` to see each attempt start), so they set it in their settings:
the default extractor (``rules``) ignores those directives and logs nothing. It is not
installed with Charlie: the benchmark registers it (``register_test_plugins`` in
tests/helpers/scripted.py, as the tests' conftest does) for itself and its workers.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.broker.ownership import open_broker  # noqa: E402
from backend.jobs.commit import Commit  # noqa: E402
from backend.jobs.records import Jobs, NextClaim  # noqa: E402
from backend.jobs.supervisor import Supervisor  # noqa: E402
from backend.jobs.wakeups import consumer_huey, set_wake_handler  # noqa: E402
from backend.root import Charlie  # noqa: E402
from backend.settings import Settings  # noqa: E402
from tests.helpers.scripted import register_test_plugins  # noqa: E402

# Chaos figures that must be 0 (or False) whatever the machine's speed.
BROKEN = ("lost", "unfinished", "duplicated commits", "orphan processes", "supervisor gave up")


def raw_huey(settings: Settings, n: int) -> float:
    with open_broker(settings) as conn:
        conn.client.flushall()
        huey = consumer_huey(conn)  # The same Huey, storage and connection as a worker's.

        @huey.task(retries=0, name="bench.noop")
        def noop() -> None:
            return None

        start = time.perf_counter()
        for _ in range(n):
            huey.enqueue(noop.s())
        done = 0
        while done < n:
            task = huey.dequeue()
            if task is not None:
                huey.execute(task)
                done += 1
        return time.perf_counter() - start


def durable(settings: Settings, n: int) -> float:
    with open_broker(settings) as conn:
        conn.client.flushall()
        jobs = Jobs(conn.client)
        huey = consumer_huey(conn)
        committed = 0
        then = NextClaim("bench", 30_000)

        def drain() -> None:  # The worker's loop without the extractor.
            nonlocal committed
            claim = jobs.claim("bench", lease_ms=30_000)
            while claim is not None:
                with Commit(conn.client, claim, ()) as commit:
                    if commit.check([]) is None:
                        raise RuntimeError(f"job {claim.job_id} was taken from the bench")
                    commit.send(None, then)
                    applied, claims = commit.receive()
                committed += applied
                claim = claims[0] if claims else None

        set_wake_handler(drain)
        start = time.perf_counter()
        for i in range(n):
            jobs.enqueue("journal", f"entry{i}", "hash")
        while committed < n:
            task = huey.dequeue()
            if task is None:
                break
            huey.execute(task)
        elapsed = time.perf_counter() - start
        assert committed == n, f"only {committed} of {n} jobs committed"
        return elapsed


def scripted_settings(base: Path, name: str) -> Settings:
    # The supervisor hands the worker exactly these settings (CHARLIE_* variables that
    # override the environment), so the extractor must be chosen here, not inherited.
    return Settings(data_dir=base / name, config_file=base / "none.toml", extractor="scripted")


def recovery(base: Path, run: int) -> float:
    """One fresh owner (so deliberate kills never add up to a crash loop)."""
    log = base / f"recovery{run}.log"
    settings = scripted_settings(base, f"recovery{run}")
    charlie = Charlie.open(settings)
    extra_env = {"CHARLIE_SCRIPTED_LOG": str(log)}
    supervisor = Supervisor(settings, charlie.backend.broker, extra_env=extra_env).start()
    try:
        charlie.journal().entries.add(f"Recovery run {run} #sleep=30")
        _wait(lambda: log.exists() and _count(log, "start") == 1, "the job to start")
        pid = supervisor.status.worker_pid
        assert pid is not None
        killed = time.perf_counter()
        os.kill(pid, signal.SIGKILL)
        _wait(lambda: _count(log, "start") == 2, "the job to run again")
        return time.perf_counter() - killed
    finally:
        supervisor.stop()
        charlie.close()


def chaos(base: Path, n: int) -> dict[str, int]:
    settings = scripted_settings(base, "chaos")
    charlie = Charlie.open(settings)
    jobs = charlie.backend.jobs  # The records themselves: crash counts and history.
    supervisor = Supervisor(settings, charlie.backend.broker).start()
    rng = random.Random(1)
    kills = 0
    try:
        entries = charlie.journal().entries
        ids = [entries.add(f"Chaos {i} with Ada #sleep=0.05").id for i in range(n)]
        deadline = time.monotonic() + 60 + n
        # A job that crashed its worker poison_crashes times is dead by design (poison),
        # and a crashed job waits behind the others, so the last jobs would take every
        # kill: never kill a job on its last crash, so "unfinished" is a real failure.
        last_crash = jobs.policy.poison_crashes - 1
        while _settled(charlie) < n and time.monotonic() < deadline:
            # Kill a worker only after it got some work done, at a random moment: a
            # worker killed before it ever finishes a job is a crash loop, not chaos.
            target = min(n, charlie.queue.job_counts()["done"] + rng.randint(1, 6))
            while (
                charlie.queue.job_counts()["done"] < target
                and _settled(charlie) < n
                and time.monotonic() < deadline
            ):
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.1))
            pid = supervisor.status.worker_pid
            running = jobs.list("running")
            if (
                pid
                and supervisor.status.worker_alive
                and _settled(charlie) < n
                and all(r.crashes < last_crash for r in running)
            ):
                os.kill(pid, signal.SIGKILL)
                kills += 1
        journal = charlie.journals.get().id
        records = [jobs.get(f"enrich:{journal}:{entry_id}") for entry_id in ids]
        lost = sum(1 for r in records if r is None)
        unfinished = sum(1 for r in records if r is not None and r.state != "done")
        duplicated = sum(
            1 for r in records if r and [h["event"] for h in r.history].count("done") > 1
        )
        gave_up = supervisor.status.gave_up
    finally:
        supervisor.stop()
        charlie.close()
    orphans = len([p for p in Path("/proc").iterdir() if p.name.isdigit() and _is_orphan(p, base)])
    return {
        "jobs": n,
        "worker kills": kills,
        "lost": lost,
        "unfinished": unfinished,
        "duplicated commits": duplicated,
        "orphan processes": orphans,
        "supervisor gave up": bool(gave_up),
    }


def _is_orphan(proc: Path, base: Path) -> bool:
    """A process still using a data dir under ``base``: a redis-server runs in its db
    directory; a worker runs in the repository, so it is known by its CHARLIE_DATA_DIR."""
    try:
        if os.readlink(proc / "cwd").startswith(str(base)):
            return True
        environ = (proc / "environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(v.startswith(f"CHARLIE_DATA_DIR={base}".encode()) for v in environ)


def _settled(charlie: Charlie) -> int:
    """Jobs that reached a final state (done or dead): the chaos run waits for all."""
    counts = charlie.queue.job_counts()
    return counts["done"] + counts["dead"]


def _count(log: Path, event: str) -> int:
    return sum(1 for line in log.read_text().splitlines() if f"\t{event}\t" in line)


def _wait(predicate: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.005)


def idle(base: Path, backlog: int, seconds: float) -> float:
    """Commands per second the server handles while the app idles with a paused
    backlog: the owner's supervisor and sweeper and a live worker, inference off."""
    settings = scripted_settings(base, "idle")
    charlie = Charlie.open(settings)
    backend = charlie.backend
    supervisor = Supervisor(settings, backend.broker).start()
    try:
        charlie.queue.set_inference(False)
        entries = charlie.journal().entries
        for n in range(backlog):
            entries.add(f"Imported {n} with Ada", source="import")
        _wait(lambda: supervisor.status.worker_alive, "the worker to start")
        _wait(lambda: backend.wakeups.pending() == 0, "the producers' wake-ups to be consumed")
        stats = backend.broker.client.info("stats")
        before, started = stats["total_commands_processed"], time.monotonic()
        time.sleep(seconds)  # A benchmark measures over time; tests never do this.
        after = backend.broker.client.info("stats")["total_commands_processed"]
        return (after - before) / (time.monotonic() - started)
    finally:
        supervisor.stop()
        charlie.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--recoveries", type=int, default=3, help="recovery runs (median)")
    parser.add_argument("--chaos", type=int, default=0)
    parser.add_argument("--idle-backlog", type=int, default=10_000, help="paused jobs when idle")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        parser.set_defaults(jobs=50, recoveries=1, chaos=8, idle_backlog=200, idle_seconds=2.0)
        args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="cbj-", dir="/tmp"))
    try:
        register_test_plugins(base / "plugins")
        settings = Settings(data_dir=base / "tp", config_file=base / "none.toml")
        raw = statistics.median(raw_huey(settings, args.jobs) for _ in range(3))
        ours = statistics.median(durable(settings, args.jobs) for _ in range(3))
        print(f"1. Throughput, {args.jobs:,} no-op jobs, one consumer, median of 3")
        print(f"   raw Huey   {args.jobs / raw:8.0f} jobs/s  ({raw / args.jobs * 1e6:.0f} us/job)")
        print(
            f"   durable    {args.jobs / ours:8.0f} jobs/s  ({ours / args.jobs * 1e6:.0f} us/job)"
        )
        print(f"   per-job overhead ratio durable/raw: {ours / raw:.2f}x (target <= 1.3x)\n")
        times = [recovery(base, run) for run in range(args.recoveries)]
        print(f"2. Worker SIGKILL to the same job running again, {args.recoveries} runs")
        print(
            f"   {', '.join(f'{t * 1000:.0f} ms' for t in times)}; "
            f"median {statistics.median(times) * 1000:.0f} ms\n"
        )
        if args.chaos:
            result = chaos(base, args.chaos)
            print(f"3. Chaos: {result}")
            # These are guarantees, not speeds: any of them is a failed run.
            broken = [k for k in BROKEN if result[k]]
            if broken:
                print(f"   FAILED: {', '.join(broken)}", file=sys.stderr)
                return 1
        rate = idle(base, args.idle_backlog, args.idle_seconds)
        print(f"4. Idle app, {args.idle_backlog:,} jobs paused (inference off)")
        print(f"   {rate:.1f} server commands/s over {args.idle_seconds:g} s (target <= 50)\n")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
