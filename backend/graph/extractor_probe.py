"""Run the configured extractor on some text in a child process.

A model runs native code (llama.cpp) that can die by a signal, and Python cannot catch
that. ``charlie model test``, ``charlie doctor`` and the tests therefore load and run the
extractor in a child (``python -m backend.graph.extractor_probe``) with a time limit: a crash
becomes a :class:`ProbeResult` that names the signal, never the death of the caller.

The child reads ``{"text": …}`` on stdin, takes its settings from ``CHARLIE_*``
variables (:func:`backend.settings.settings_env`) and prints one JSON line as the last
line of its stdout.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from backend.broker.exits import describe_exit, signal_of
from backend.settings import Settings, settings_env

ROOT = Path(__file__).resolve().parents[2]
PROBE_TEXT = (
    "Saturday: coffee with Sarah at Blue Bottle in Oakland, then choir practice with the "
    "Harbor Singers. Her brother Tom drove us home."
)
"""A plain entry any working extractor reads without trouble."""
PROBE_TIMEOUT_SECONDS = 300.0
RESULT_MARK = "charlie-probe-result "


@dataclass
class ProbeResult:
    """What happened when the extractor read the text in a child process."""

    extractor: str
    model: str | None
    ok: bool
    error: str = ""
    """One line in words when not ok (unavailable, failed, crashed, timed out)."""
    outcome: str = "ok"
    """ok, unavailable, failed, crashed or timeout."""
    signal: str | None = None
    """The signal's name (``SIGSEGV``) when the child died by one."""
    load_seconds: float = 0.0
    extract_seconds: float = 0.0
    entities: list[dict[str, str]] = field(default_factory=list)
    relationships: list[dict[str, str]] = field(default_factory=list)
    runtime: dict[str, Any] = field(default_factory=dict)
    """What the extractor says about its runtime (for llama.cpp: the build's CPU features)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def no_core_dumps() -> None:
    """A crashing model's core file would hold the journal's text: never write one."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


CRASH_ADVICE = "run `charlie doctor`, or switch with `charlie model use rules`"
"""What to do when the extractor crashes the process that runs it."""


def probe_extractor(
    settings: Settings, text: str = PROBE_TEXT, *, timeout: float = PROBE_TIMEOUT_SECONDS
) -> ProbeResult:
    """Load ``settings.extractor`` in a child process and extract from ``text``."""
    model = settings.model if settings.extractor == "llama_cpp" else None
    env = {**os.environ, **settings_env(settings)}
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "backend.graph.extractor_probe"],
            cwd=ROOT,
            env=env,
            input=json.dumps({"text": text}),
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=no_core_dumps,
        )
    except subprocess.TimeoutExpired:
        return ProbeResult(
            settings.extractor,
            model,
            ok=False,
            outcome="timeout",
            error=f"it did not finish within {timeout:g} s (the test process was killed)",
        )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return ProbeResult(**json.loads(line[len(RESULT_MARK) :]))
    sig = signal_of(done.returncode)
    last = done.stderr.strip().splitlines()[-1:] if done.stderr.strip() else []
    if sig is not None:
        error = (
            f"crashed the process that ran it ({describe_exit(done.returncode)}) after "
            f"{time.monotonic() - started:.1f} s; {CRASH_ADVICE}"
        )
        return ProbeResult(
            settings.extractor, model, ok=False, outcome="crashed", signal=sig.name, error=error
        )
    detail = f": {last[0]}" if last else ""
    return ProbeResult(
        settings.extractor,
        model,
        ok=False,
        outcome="failed",
        error=f"the process that ran it {describe_exit(done.returncode)}{detail}",
    )


def _run_here(text: str) -> ProbeResult:
    """The child's side: load, extract, and say what happened."""
    from backend.errors import CharlieError
    from backend.graph.extractor import ExtractorUnavailable, load_extractor
    from backend.settings import load_settings

    settings = load_settings()
    model = settings.model if settings.extractor == "llama_cpp" else None
    result = ProbeResult(settings.extractor, model, ok=False)
    try:
        extractor = load_extractor(settings.extractor, settings)
    except CharlieError as exc:
        result.outcome, result.error = "unavailable", str(exc)
        return result
    started = time.perf_counter()
    try:
        extractor.load()
        result.runtime = extractor.runtime_info()
        loaded = time.perf_counter()
        extraction = extractor.extract(text)
        finished = time.perf_counter()
    except ExtractorUnavailable as exc:
        result.outcome, result.error = "unavailable", exc.reason
        result.runtime = result.runtime or extractor.runtime_info()
        return result
    except Exception as exc:  # noqa: BLE001 - reported in words, as the worker records it
        result.outcome, result.error = "failed", f"{type(exc).__name__}: {exc}"
        return result
    finally:
        extractor.unload()
    result.ok = True
    result.load_seconds = round(loaded - started, 3)
    result.extract_seconds = round(finished - loaded, 3)
    result.entities = [{"name": e.name, "type": e.type} for e in extraction.entities]
    result.relationships = [
        {"source": r.source.name, "kind": r.kind, "target": r.target.name, "evidence": r.evidence}
        for r in extraction.relationships
    ]
    return result


def main() -> int:
    text = json.loads(sys.stdin.read() or "{}").get("text", PROBE_TEXT)
    result = _run_here(text)
    print(RESULT_MARK + json.dumps(result.as_dict(), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
