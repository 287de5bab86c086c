"""Backup benchmark: how long the live server stops answering while a backup runs.

Run ``.venv/bin/python bench/backup.py [--entries 20000] [--entities 5000] [--rounds 3]``
(``--entries 100000`` measures a 100,000-entry journal).
It builds a journal in a fresh data directory under /tmp (removed at the end) the way
``bench/graph.py`` does (N entries over ~3 years, each mentioning 3-8 of E entities,
written through the worker's enrichment write, so the graph has its real shape and
indexes) plus a job record per entry, with ``appendfsync everysec`` so seeding is quick,
and compacts the append-only file (so no rewrite runs during the measurements). Then,
on that same journal, each round takes one backup each way:

- one-step dump (the old way): ``_DUMP_ALL`` on the live server, then the file written;
- snapshot (the new way): ``read_live`` (BGSAVE, a private scratch server loads the
  file, the same script runs there), then the file written.

Meanwhile a separate process (so the benchmark's own Python work cannot hold it up)
sends PING on its own connection in a loop and stamps each round trip; the longest
round trip overlapping a backup is the pause the user's typing and saving would see.
Baseline: the same loop with no backup running. Printed: the longest pause each way
(over all rounds), the ratio, the server's own fork time (``latest_fork_usec``) and each
way's total time (median). Nothing is asserted. ``--quick`` is the CI smoke test: 200
entries, 100 entities, one round.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.jobs.records import BACKLOG  # noqa: E402
from backend.root import Charlie  # noqa: E402
from backend.settings import Settings  # noqa: E402
from backend.transfer.backup import backup_dir, dump_all, read_live, write_backup  # noqa: E402
from bench.graph import build, server_rss  # noqa: E402

# Pings until its stdin closes, then prints [start, seconds] of every round trip. Both
# processes read CLOCK_MONOTONIC (perf_counter), so the stamps compare across them.
PINGER = r"""
import json, sys, threading, time
import redis
client = redis.Redis(unix_socket_path=sys.argv[1])
client.ping()
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
samples = []
print("ready", flush=True)
while not stop.is_set():
    started = time.perf_counter()
    client.ping()
    samples.append((started, time.perf_counter() - started))
json.dump(samples, sys.stdout)
"""


def add_jobs(charlie: Charlie) -> int:
    """A job record per entry, as saving each one would have queued."""
    backend = charlie.backend
    journal = charlie.journals.get()
    rows = backend.store.graph(journal).read("MATCH (e:Episode) RETURN e.id, e.content_hash")
    for at in range(0, len(rows), 500):
        with backend.broker.client.pipeline(transaction=False) as pipe:
            for entry_id, content_hash in rows[at : at + 500]:
                backend.jobs.enqueue(
                    journal.id, entry_id, content_hash, priority=BACKLOG, pipe=pipe
                )
            pipe.execute()
    return len(rows)


def settle(charlie: Charlie) -> None:
    """Compact the append-only file now and wait for it, so no rewrite (whose fsync can
    stop the server for a while) starts during the measurements."""
    client = charlie.backend.broker.client

    def wait_for_rewrites() -> None:
        deadline = time.monotonic() + 300
        while True:
            info = client.info("persistence")
            if not (info["aof_rewrite_in_progress"] or info["aof_rewrite_scheduled"]):
                return
            if time.monotonic() > deadline:
                raise SystemExit("The append-only file rewrite did not finish within 300 s.")
            time.sleep(0.05)

    wait_for_rewrites()  # Seeding may have started one; a second request would fail.
    client.bgrewriteaof()
    wait_for_rewrites()


def longest(samples: list[list[float]], window: tuple[float, float]) -> float:
    """The longest round trip that overlapped ``window`` (seconds)."""
    start, end = window
    return max((s for t, s in samples if t <= end and t + s >= start), default=0.0)


def timed(call: Callable[[], object]) -> tuple[float, float]:
    started = time.perf_counter()
    call()
    return started, time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--entities", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        parser.set_defaults(entries=200, entities=100, rounds=1)
        args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="charlie-bench-backup-"))
    settings = Settings(data_dir=data, config_file=data / "none.toml", appendfsync="everysec")
    charlie = Charlie.open(settings)
    pinger = None
    try:
        client = charlie.backend.broker.client
        started = time.perf_counter()
        build(charlie, args.entries, args.entities, random.Random(7))
        jobs = add_jobs(charlie)
        print(
            f"1. Seeding: {args.entries:,} entries, {args.entities:,} entities, {jobs:,} job "
            f"records, {client.dbsize():,} keys in {time.perf_counter() - started:.1f} s"
        )
        settle(charlie)
        memory = client.info("memory")
        print(
            f"   redis-server RSS {server_rss(charlie):.1f} MB, dataset (used_memory) "
            f"{memory['used_memory'] / 1e6:.1f} MB\n"
        )

        directory = backup_dir(settings)
        ways: dict[str, Callable[[], object]] = {
            "one-step dump (old)": lambda: write_backup(directory, dump_all(client), "bench"),
            "snapshot (new)": lambda: write_backup(directory, read_live(client, settings), "bench"),
        }
        socket = client.connection_pool.connection_kwargs["path"]
        pinger = subprocess.Popen(
            [sys.executable, "-c", PINGER, socket],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert pinger.stdout is not None and pinger.stdin is not None
        assert pinger.stdout.readline().strip() == "ready"
        idle = timed(lambda: time.sleep(1.0 if not args.quick else 0.2))
        windows: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
        fork_ms = []
        for _ in range(args.rounds):
            for name, way in ways.items():
                time.sleep(0.05)  # A gap, so no round trip overlaps two windows.
                windows[name].append(timed(way))
            fork_ms.append(int(client.info("stats")["latest_fork_usec"]) / 1000)
        pinger.stdin.close()
        samples = json.loads(pinger.stdout.read())
        pinger.wait()
        pinger = None

        pauses = {name: max(longest(samples, w) for w in windows[name]) for name in ways}
        size = sum(p.stat().st_size for p in directory.iterdir()) / len(ways) / args.rounds
        print(
            "2. Longest pause of the live server while a backup runs "
            f"({len(samples):,} PINGs from another process, {args.rounds} round(s), "
            f"backup files ~{size / 1e6:.1f} MB)"
        )
        print(f"   no backup (baseline)     max {longest(samples, idle) * 1000:8.2f} ms")
        for name, pause in pauses.items():
            print(f"   {name:<24} max {pause * 1000:8.2f} ms")
        old_pause, new_pause = pauses.values()
        print(f"   ratio old / new          {old_pause / new_pause:8.1f}x")
        print(f"   fork (latest_fork_usec)  max {max(fork_ms):8.2f} ms\n")

        print(f"3. Backup total time (median of {args.rounds})")
        totals = {name: statistics.median(e - s for s, e in windows[name]) for name in ways}
        for name, total in totals.items():
            print(f"   {name:<24} {total:8.3f} s")
        old_total, new_total = totals.values()
        print(f"   ratio new / old          {new_total / old_total:8.1f}x")
    finally:
        if pinger is not None:
            pinger.kill()
            pinger.wait()
        charlie.close()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
