"""Charlie's command-line benchmark: `charlie list` and `charlie new` against jrnl.

Run ``.venv/bin/python bench/cli.py [--entries N] [--runs R]`` (default 10,000 entries,
median of 7 runs). Targets: every ratio charlie / jrnl <= 1.0. Everything happens in a
fresh directory under /tmp, removed at the end; Charlie uses default settings (every save
fsynced, ``appendfsync always``). It only prints figures; nothing is asserted.

1. Seeding: N entries (~3 years, bodies of 20-2,000 characters, half titled) written
   twice: as a jrnl plain-text journal (``[YYYY-MM-DD HH:MM] title`` then the body, a
   blank line between entries) with a jrnl config file pointing at it, and as a jrnl
   JSON export that Charlie imports through its own jrnl importer, so both tools hold
   the same entries. Inference is switched off in Charlie's data directory, so the
   worker of the "app running" case does not spend a core on the 10,000-entry backlog
   while commands are timed. jrnl is installed into a scratch venv here with
   ``uv venv`` + ``uv pip install jrnl==4.6``.
2. ``charlie list --limit 10`` as a fresh process, each run timed from spawn to exit:
   with nothing running (the command becomes the owner: it starts the database server,
   which loads the journal, and shuts it down before it exits) and with the app
   running (``charlie serve`` owns the data directory; the command attaches through
   the handoff as a client). Baseline: ``jrnl -n 10`` on the same entries.
3. ``charlie new TEXT``, the same two ways. Baseline: ``jrnl TEXT`` (jrnl reads the
   whole journal, adds the entry and writes the file back). Both journals grow by one
   entry a run.

Charlie and jrnl runs alternate (jrnl's in both phases, its median over all of them),
so a busy moment on the machine hits both; one untimed run of each command comes first
(page cache, .pyc files). Each figure also shows the median CPU time the command used,
its database server's included: less swayed by a busy machine than the wall time (on
two idle cores the server's load overlaps the command's imports; on a busy machine
they compete). The floor shows what any Python command costs here: ``python -c pass``.

``--quick`` is the CI smoke test: 40 entries, 2 runs each. It never touches the
network: jrnl is installed from uv's cache only (``--offline``), and if it is not
there its figures are printed as unavailable. A full run without jrnl is a failure.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.root import Charlie  # noqa: E402
from backend.settings import Settings  # noqa: E402

JRNL = "jrnl==4.6"
WORDS = (
    "morning coffee walked lake Sam rain office meeting call mother garden book read "
    "train late tired happy dinner Lisbon project deadline ran park dog music quiet "
    "talked about plans weekend slept badly cooked soup friends laughed market bought"
).split()
TIME_FORMAT = "%Y-%m-%d %H:%M"


class Entry:
    def __init__(self, title: str, body: str, when: datetime) -> None:
        self.title, self.body, self.when = title, body, when


def fake_entries(n: int, rng: random.Random) -> list[Entry]:
    """Oldest first over ~3 years, to the minute (jrnl's resolution); body lengths
    log-uniform. A title is one sentence ending in a full stop, as jrnl reads one."""
    end = datetime.now().replace(second=0, microsecond=0) - timedelta(days=1)
    minutes = sorted(rng.sample(range(3 * 365 * 24 * 60), n))
    entries = []
    for offset in minutes:
        size = int(math.exp(rng.uniform(math.log(20), math.log(2000))))
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < size:
            words.append(rng.choice(WORDS))
        body = " ".join(words).capitalize() + "."
        title = ""
        if rng.random() < 0.5:
            title = " ".join(rng.choices(WORDS, k=rng.randint(1, 5))).capitalize() + "."
        entries.append(Entry(title, body, end - timedelta(minutes=3 * 365 * 24 * 60 - offset)))
    return entries


def write_jrnl_journal(path: Path, entries: list[Entry]) -> None:
    """jrnl's plain-text format, as its ``Journal._to_text`` writes it."""
    blocks = []
    for e in entries:
        first = e.title or e.body
        rest = e.body if e.title else ""
        blocks.append(f"[{e.when:{TIME_FORMAT}}] {first}" + (f"\n{rest}" if rest else "") + "\n")
    path.write_text("\n".join(blocks), encoding="utf-8")


def write_jrnl_config(path: Path, journal: Path, version: str) -> None:
    """jrnl's YAML config with every key jrnl 4 expects (a missing key or another version
    makes jrnl rewrite the file and say so; a JSON file it takes for jrnl 1's)."""
    q = json.dumps  # A JSON string is a YAML double-quoted scalar.
    path.write_text(
        f"""version: {q(version)}
journals:
  default:
    journal: {q(str(journal))}
editor: ""
encrypt: false
template: false
default_hour: 9
default_minute: 0
timeformat: {q(TIME_FORMAT)}
tagsymbols: "#@"
highlight: false
linewrap: 79
indent_character: "|"
colors:
  body: none
  date: none
  tags: none
  title: none
""",
        encoding="utf-8",
    )


def write_jrnl_export(path: Path, entries: list[Entry]) -> None:
    """The same entries as ``jrnl --export json`` writes them, for Charlie's importer."""
    rows = [
        {
            "date": f"{e.when:%Y-%m-%d}",
            "time": f"{e.when:%H:%M}",
            "title": e.title or e.body,
            "body": e.body if e.title else "",
            "tags": [],
            "starred": False,
        }
        for e in entries
    ]
    path.write_text(json.dumps({"tags": {}, "entries": rows}), encoding="utf-8")


def install_jrnl(root: Path, offline: bool) -> tuple[Path | None, str]:
    """(the jrnl executable, its version) from a scratch venv; (None, why) if it cannot
    be installed."""
    uv = shutil.which("uv")
    if uv is None:
        return None, "uv is not on PATH"
    venv = root / "jrnl-venv"
    steps = [
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), JRNL],
    ]
    if offline:
        steps[1].insert(3, "--offline")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, env=env, timeout=600)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            return None, f"`{' '.join(step[1:3])}` failed: {last}"
    jrnl = venv / "bin" / "jrnl"
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import jrnl; print(jrnl.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return jrnl, version


class Runner:
    """Runs commands as fresh processes and keeps each one's wall times."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.times: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}

    def run(self, label: str | None, command: list[str]) -> float:
        used = _children_cpu()
        start = time.perf_counter()
        done = subprocess.run(
            command,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
        )
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(
                f"{' '.join(command)} failed (exit {done.returncode}):\n"
                f"{done.stderr.decode(errors='replace')[-2000:]}"
            )
        if label is not None:
            self.times.setdefault(label, []).append(elapsed)
            self.cpu.setdefault(label, []).append(_children_cpu() - used)
        return elapsed

    def median(self, label: str) -> float:
        return statistics.median(self.times[label])


def _children_cpu() -> float:
    """CPU seconds of every process this one waited for, and of theirs: a command's own
    and its database server's (which it waits for as it shuts it down)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def charlie_command() -> list[str]:
    """``charlie`` from this checkout (what the console script runs, in this tree)."""
    return [sys.executable, str(ROOT / "charlie.py")]


def alternate(runner: Runner, runs: int, commands: dict[str, list[str] | None]) -> None:
    """One untimed run of each command, then ``runs`` timed rounds, in turn."""
    present = {label: cmd for label, cmd in commands.items() if cmd is not None}
    for cmd in present.values():
        runner.run(None, cmd)
    for _ in range(runs):
        for label, cmd in present.items():
            runner.run(label, cmd)


def start_owner(charlie: list[str], env: dict[str, str], data_dir: Path) -> subprocess.Popen[str]:
    """``charlie serve``, once it serves and its start-up backup is written (so neither
    is timed in the figures)."""
    owner = subprocess.Popen(
        [*charlie, "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert owner.stdout is not None
    line = owner.stdout.readline()
    if not line.startswith("charlie serving"):
        owner.kill()
        raise SystemExit(f"charlie serve did not start: {line}{owner.communicate()[1][-2000:]}")
    deadline = time.monotonic() + 60
    while not any((data_dir / "backups").glob("*-startup.backup")):
        if time.monotonic() > deadline:
            stop_owner(owner)
            raise SystemExit("charlie serve wrote no start-up backup within 60 s")
        time.sleep(0.05)
    return owner


def stop_owner(owner: subprocess.Popen[str]) -> None:
    owner.send_signal(signal.SIGTERM)
    try:
        owner.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(owner.pid, signal.SIGKILL)
        owner.wait()
        raise SystemExit("charlie serve did not stop within 60 s of SIGTERM") from None


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f} ms"


def report(runner: Runner, label: str, baseline: str | None = None) -> None:
    """A median and its runs; with ``baseline``, the ratio to that label's median (or
    "unavailable" if it was not measured)."""
    if label not in runner.times:
        print(f"   {label:<24} unavailable")
        return
    every = ", ".join(f"{t * 1000:.0f}" for t in runner.times[label])
    cpu = ms(statistics.median(runner.cpu[label])).strip()
    line = f"   {label:<24} {ms(runner.median(label))}   (cpu {cpu}; runs: {every} ms)"
    if baseline is not None and baseline not in runner.times:
        line += "\n   ratio charlie / jrnl: unavailable"
    elif baseline is not None:
        ratio = runner.median(label) / runner.median(baseline)
        line += f"\n   ratio charlie / jrnl {ratio:.2f}   (target <= 1.0)"
    print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no network")
    args = parser.parse_args()
    if args.quick:
        args.entries, args.runs = 40, 2

    root = Path(tempfile.mkdtemp(prefix="charlie-bench-cli-"))
    try:
        return bench(root, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def bench(root: Path, args: argparse.Namespace) -> int:
    data_dir, config_file = root / "data", root / "config.toml"  # no config file: defaults
    jrnl, jrnl_version = install_jrnl(root, offline=args.quick)
    if jrnl is None:
        if not args.quick:
            print(f"jrnl could not be installed ({jrnl_version}); it is the baseline.")
            return 1
        print(
            "jrnl: unavailable (--quick installs it from uv's cache only, never the network: "
            f"{jrnl_version}); its figures are skipped.\n"
        )

    entries = fake_entries(args.entries, random.Random(42))
    start = time.perf_counter()
    journal, jrnl_config, export = root / "journal.txt", root / "jrnl.yaml", root / "jrnl.json"
    write_jrnl_journal(journal, entries)
    write_jrnl_config(jrnl_config, journal, jrnl_version if jrnl else "4.6")
    write_jrnl_export(export, entries)
    with Charlie.open(Settings(data_dir=data_dir, config_file=config_file)) as charlie:
        charlie.queue.set_inference(False)
        summary = charlie.transfer.import_entries("jrnl", export)
    seeded = time.perf_counter() - start
    print(f"1. Seeding: {summary.added:,} entries in Charlie (jrnl importer) and in a jrnl")
    print(f"   journal of {journal.stat().st_size / 1024:,.0f} KiB, {seeded:.1f} s")
    if summary.added != len(entries):
        raise SystemExit(f"Charlie imported {summary.added} of {len(entries)} entries")
    print(f"   median of {args.runs} runs each, charlie and jrnl in turn\n")

    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARLIE_")}
    env.update(CHARLIE_DATA_DIR=str(data_dir), CHARLIE_CONFIG_FILE=str(config_file))
    runner = Runner(env, root)
    charlie = charlie_command()
    jrnl_cmd = [str(jrnl), "--config-file", str(jrnl_config)] if jrnl else None
    text = "Walked to the lake with Sam, then coffee."

    alternate(runner, args.runs, {"python -c pass": [sys.executable, "-c", "pass"]})
    alternate(
        runner,
        args.runs,
        {
            "nothing running": [*charlie, "list", "--limit", "10"],
            "jrnl -n 10": [*jrnl_cmd, "-n", "10"] if jrnl_cmd else None,
            "new, nothing running": [*charlie, "new", text],
            "jrnl <text>": [*jrnl_cmd, text] if jrnl_cmd else None,
        },
    )
    owner = start_owner(charlie, env, data_dir)
    try:
        alternate(
            runner,
            args.runs,
            {
                "app running": [*charlie, "list", "--limit", "10"],
                "jrnl -n 10": [*jrnl_cmd, "-n", "10"] if jrnl_cmd else None,
                "new, app running": [*charlie, "new", text],
                "jrnl <text>": [*jrnl_cmd, text] if jrnl_cmd else None,
            },
        )
    finally:
        stop_owner(owner)

    print("2. charlie list --limit 10 (spawn to exit)")
    report(runner, "jrnl -n 10")
    report(runner, "nothing running", "jrnl -n 10")
    report(runner, "app running", "jrnl -n 10")
    print("\n3. charlie new TEXT (spawn to exit)")
    report(runner, "jrnl <text>")
    report(runner, "new, nothing running", "jrnl <text>")
    report(runner, "new, app running", "jrnl <text>")
    print(f"\n   floor: python -c pass {ms(runner.median('python -c pass'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
