"""The benchmarks as smoke tests: each ``bench/*.py --quick`` must finish and print its figures.

Only that a benchmark runs, and which figures it prints, is checked: never their values
(tests never time). Each runs as a child process, so a native crash (the real model in
``extraction.py``) fails its own test, named by signal, instead of the test run.

The child gets a clean environment: none of the ``CHARLIE_*`` variables conftest sets
here (``CHARLIE_EXTRACTOR=scripted`` would hide a benchmark that forgets to choose the
extractor it needs), nor the test-only ``scripted`` extractor conftest registers (a
benchmark that steers the worker with it registers it itself, as a run from the command
line must), only ``CHARLIE_CONFIG_FILE`` and ``CHARLIE_DATA_DIR`` pointed into
tmp_path, so a benchmark that fell back to the configured settings would write there,
never into the user's data, and the test sees it. ``bench/gold_sample.py`` is left out:
it rewrites ``bench/gold_sample.json`` in the repository; the README's benchmark that
reads that file (``charlie eval``) is run instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.helpers.scripted import without_test_plugins

pytestmark = pytest.mark.slow


# Labels each benchmark prints next to its figures (one or more per part).
FIGURES = {
    "journal.py": [
        "1. Server start",
        "2. Seeding",
        "add_entry",
        "3. Paging",
        "pages 51-",
        "4. Start-up to interactive home",
        "home, no cache",
        "home from cache",
        "live list",
        "5. Memory",
        "app RSS after paging",
        "redis-server RSS",
    ],
    "jobs.py": [
        "1. Throughput",
        "raw Huey",
        "durable",
        "2. Worker SIGKILL to the same job running again",
        "median",
        "3. Chaos",
        "duplicated commits",
        "orphan processes",
        "4. Idle app",
        "server commands/s",
    ],
    "graph.py": [
        "built",
        "baseline",
        "entity page, random entity",
        "entity page, the most mentioned",
        "entity page, most mentioned, after a write",
        "top-10 entities",
        "search as you type",
        "search, words and a filter",
        "search, filters alone",
        "reader sidebar",
        "period view",
        "period view, query before",
        "period view, a 10,000-journal month",
        "word counts filled once",
        "calendar (all days",
        "on this day",
        "stats (totals",
        "Summary (p95)",
        "redis-server RSS",
    ],
    "import_export.py": [
        "1. Generated",
        "2. Import",
        "add_entry one by one",
        "3. Re-import",
        "4. Export",
        "export_markdown",
        "export_json",
    ],
    "extraction.py": [
        "model load",
        "1. overhead",
        "ratio extractor / raw",
        "2. constrained decoding",
        "identical replies",
        "3. prefix reuse",
        "LlamaRAMCache",
        "4. llama.cpp builds",
        "portable (this project)",
        "decode",
        "built for:",
    ],
    "llama_builds.py": ["portable (this project)", "decode", "built for:"],
    "import_memory.py": [
        "0. baseline",
        "1. Hostile inputs",
        "zip bomb",
        "2. Large ordinary inputs",
        "Day One Journal.json",
        "jrnl export",
        "charlie export",
        "peak RSS",
    ],
    "backup.py": [
        "1. Seeding",
        "redis-server RSS",
        "2. Longest pause of the live server while a backup runs",
        "no backup (baseline)",
        "one-step dump (old)",
        "snapshot (new)",
        "ratio old / new",
        "fork (latest_fork_usec)",
        "3. Backup total time",
        "ratio new / old",
    ],
    "typing_latency.py": [
        "1. Seeding",
        "2. Typing",
        "drafts on",
        "drafts off",
        "draft writes",
        "process RSS",
        "first key after a pause",
        "ratio on/off",
    ],
    "backlog.py": [
        "1. Generated",
        "2. Drain",
        "end to end",
        "CPU per entry",
        "3. Steps",
        "check",
        "extraction",
        "of which ahead",
        "planning",
        "commit wait",
        "server CPU",
        "ratio in turn / worker",
        "ratio worker / floor",
    ],
    "chaos.py": [
        "kills:",
        "owner by time",
        "writer commands",
        "writer latency",
        "acknowledged:",
        "acknowledged-lost:",
        "duplicated:",
        "stranded clients:",
        "orphan processes:",
        "most servers at once:",
        "jobs not done:",
        "elapsed:",
    ],
    "scale.py": [
        "1. Throughput",
        "1 worker (baseline)",
        "2 workers",
        "3 workers",
        "ratio to 3 x one worker",
        "2. One worker against the sleep alone",
        "orphan processes 0",
    ],
    "cli.py": [
        "1. Seeding",
        "2. charlie list --limit 10",
        "jrnl -n 10",
        "nothing running",
        "app running",
        "ratio charlie / jrnl",
        "3. charlie new TEXT",
        "jrnl <text>",
        "new, nothing running",
        "new, app running",
        "floor: python -c pass",
    ],
}


def run_child(args: list[str], tmp_path: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARLIE_")}
    env = without_test_plugins(env)
    env["CHARLIE_CONFIG_FILE"] = str(tmp_path / "config.toml")
    env["CHARLIE_DATA_DIR"] = str(tmp_path / "data")
    try:
        return subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(args)} did not finish in {timeout:g} s\n{_output(exc)}")


def _output(done: subprocess.CompletedProcess[str] | subprocess.TimeoutExpired) -> str:
    def text(value: str | bytes | None) -> str:
        return value.decode(errors="replace") if isinstance(value, bytes) else value or ""

    return f"stdout:\n{text(done.stdout)[-3000:]}\nstderr:\n{text(done.stderr)[-3000:]}"


def check_ran(done: subprocess.CompletedProcess[str], tmp_path: Path) -> None:
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        pytest.fail(f"{' '.join(done.args[1:])} was killed by {name}\n{_output(done)}")
    assert done.returncode == 0, f"exit code {done.returncode}\n{_output(done)}"
    assert not (tmp_path / "data").exists(), "it used the configured data dir, not its own"


@pytest.mark.parametrize("script", list(FIGURES))
def test_benchmark_runs_quick_and_prints_its_figures(script: str, tmp_path: Path) -> None:
    # Generous: the quick runs take seconds (extraction about a minute) on an idle machine,
    # and CI's two cores may be busy.
    timeout = 900 if script in ("extraction.py", "llama_builds.py") else 300
    done = run_child([f"bench/{script}", "--quick"], tmp_path, timeout)
    check_ran(done, tmp_path)
    missing = [label for label in FIGURES[script] if label not in done.stdout]
    assert not missing, f"figures missing: {missing}\n{_output(done)}"


def test_rules_extractor_scores_the_gold_sample(tmp_path: Path) -> None:
    """The README's F1 benchmark: ``charlie eval bench/gold_sample.json --extractor rules``."""
    done = run_child(
        ["charlie.py", "eval", "bench/gold_sample.json", "--extractor", "rules"], tmp_path, 120
    )
    check_ran(done, tmp_path)
    assert done.stdout.startswith("rules on "), _output(done)
    for label in ("precision", "recall", "F1", "overall"):
        assert label in done.stdout, _output(done)
