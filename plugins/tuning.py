"""`charlie model tune`: compile the extraction program for the model in use.

The optimiser is DSPy's ``LabeledFewShot``: each candidate program is the hand-written
one with ``demos`` hand-marked entries from the train split of a gold folder put before
its own demos, drawn from a seeded shuffle of the train entries, so a run can be
repeated. Every candidate is judged on the dev split (or its first N entries) by the
project's own scorer, :func:`backend.graph.evaluation.evaluate`, run through the very
extractor the worker uses: the F1 of (normalised name, type). The hand-written program
is measured the same way in the same run, and the best candidate is saved only if it
beats it; then it is the program the extractor loads for this model from now on
(beside the .gguf file, or for a server in ``<data>/programs``).

Why labeled demos and not bootstrapped ones: bootstrapping runs the model over the
train entries to make its own demos, which costs many more model calls than a two-core
machine can give a small model, and a weak model makes weak demos. Gold entries mark
entities but no relationships, so their demos show the entities only (DSPy presents
them as partial examples); the hand-written demos, which show relationships too, stay.
The score sees entities only: a tuned program is checked on nothing else.

The test split is never read here: it is for reporting, and nobody tunes on it.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from backend.broker.atomic import atomic_file
from backend.errors import CharlieError, ValidationError
from backend.graph.extractor import Extraction, Extractor, ExtractorUnavailable, entry_text
from backend.settings import Settings

if TYPE_CHECKING:
    # Imported where used: the scorer brings the graph store along, and the CLI that
    # reads this module's defaults must start fast.
    from backend.graph.evaluation import GoldEntry, Report

TUNABLE = ("llama_cpp", "openai_compat")
"""The extractors that run the DSPy program, so have a program to tune."""
DEFAULT_DEV = 8
"""Dev entries each candidate is judged on: small enough for a CPU model to finish."""
DEFAULT_CANDIDATES = 4
DEFAULT_DEMOS = 3


@runtime_checkable
class ProgramRunner(Protocol):
    """What the tuner needs of an extractor that runs the DSPy program."""

    def compiled_program_path(self) -> Path:
        """Where the program compiled for this extractor's model lives."""

    def use_program(self, program: Any) -> None:
        """Run ``program`` from now on; ExtractorUnavailable if it does not fit."""


@dataclass
class Candidate:
    """One program tried, and how it did on the dev entries."""

    number: int
    program: Any
    report: Report | None = None
    failures: int = 0
    """Entries whose reply could not be read (scored as finding nothing)."""
    skipped: str = ""
    """Why it was not judged (its prompt does not fit the context)."""

    @property
    def f1(self) -> float:
        return self.report.overall.f1 if self.report is not None else -1.0


@dataclass
class TuneResult:
    """What a tuning run measured and did."""

    model: str
    """The model tuned for, as people read it."""
    path: Path
    """Where this model's compiled program lives (written or not)."""
    train_entries: int
    dev_entries: int
    baseline: Candidate
    candidates: list[Candidate] = field(default_factory=list)
    best: Candidate | None = None
    """The best candidate, when it beat the hand-written program (and was saved)."""
    seconds: float = 0.0

    @property
    def saved(self) -> bool:
        return self.best is not None


class _Judged(Extractor):
    """The extractor under test, counting entries as they are read. A reply that cannot
    be read scores as finding nothing (a candidate that confuses the model should lose,
    not stop the run); an extractor that cannot work at all still stops it."""

    def __init__(self, inner: Extractor, on_entry: Callable[[], None]) -> None:
        super().__init__(inner.settings)
        self.inner = inner
        self.name = inner.name
        self.on_entry = on_entry
        self.failures = 0

    def load(self) -> None:
        self.inner.load()

    def extract(self, text: str) -> Extraction:
        try:
            return self.inner.extract(text)
        except ExtractorUnavailable:
            raise
        except Exception:  # noqa: BLE001 - counted and reported; see the class docstring
            self.failures += 1
            return Extraction()
        finally:
            self.on_entry()


def gold_demos(path: Path) -> list[dict[str, Any]]:
    """The entries of a gold file as program demos: the entry as the worker reads it
    (title, then text) and its entities as they are written."""
    from backend.graph.evaluation import load_gold

    load_gold(path)  # Checks the file, with messages that say which entry is wrong.
    entries = json.loads(path.read_text(encoding="utf-8"))["entries"]
    return [
        {
            "entry": entry_text(item.get("title", ""), item["text"]),
            "entities": [{"name": e["name"], "type": e["type"]} for e in item.get("entities", [])],
        }
        for item in entries
    ]


def candidate_programs(
    base: Any, train: list[dict[str, Any]], candidates: int, demos: int, seed: int
) -> list[Any]:
    """Up to ``candidates`` distinct programs: ``base`` with ``demos`` train entries
    (LabeledFewShot over a shuffle seeded by ``seed + i``) before its own demos."""
    from plugins.llm_program import import_dspy

    dspy = import_dspy()
    own = [dict(demo) for demo in base.extract.demos]
    programs, seen = [], set()
    for i in range(candidates):
        pool = list(train)
        random.Random(seed + i).shuffle(pool)
        examples = [dspy.Example(**demo).with_inputs("entry") for demo in pool]
        program = dspy.LabeledFewShot(k=demos).compile(base, trainset=examples, sample=False)
        picked = [dict(example.toDict()) for example in program.extract.demos]
        key = frozenset(demo["entry"] for demo in picked)
        if key in seen:
            continue  # Few train entries: shuffles repeat a set already tried.
        seen.add(key)
        program.extract.demos = picked + own
        programs.append(program)
    return programs


def tune(
    settings: Settings,
    *,
    extractor_name: str,
    gold: Path,
    train: int = 0,
    dev: int = DEFAULT_DEV,
    candidates: int = DEFAULT_CANDIDATES,
    demos: int = DEFAULT_DEMOS,
    seed: int = 0,
    say: Callable[[str], None] = print,
    tick: Callable[[int, int], None] | None = None,
) -> TuneResult:
    """Tune the program for the model ``extractor_name`` runs, and save the best
    candidate if it beats the hand-written program on the dev entries.

    ``train``/``dev``: use only the first N entries of that split (0: all of it).
    ``say`` gets one line per step; ``tick(done, total)`` after each entry read.
    """
    from backend.graph.evaluation import gold_path, load_gold
    from backend.graph.extractor import load_extractor
    from plugins import llm_program

    if extractor_name not in TUNABLE:
        raise CharlieError(
            f"The {extractor_name} extractor runs no model program, so there is nothing to "
            f"tune. Tune {' or '.join(TUNABLE)} (--extractor NAME, or `charlie model use`)."
        )
    if train < 0 or dev < 0 or candidates < 1 or demos < 1:
        raise ValidationError("--train and --dev are 0 or more; candidates and demos 1 or more.")
    if not gold.is_dir():
        raise ValidationError(f"{gold} is not a gold folder (one holding train.json and dev.json).")
    # Only these two splits are ever opened: test is for reporting, never for tuning.
    train_demos = gold_demos(gold_path(gold, "train"))
    dev_gold: list[GoldEntry] = load_gold(gold_path(gold, "dev"))
    if train:
        train_demos = train_demos[:train]
    if dev:
        dev_gold = dev_gold[:dev]

    extractor = load_extractor(extractor_name, settings)
    if not isinstance(extractor, ProgramRunner):
        raise CharlieError(f"The {extractor_name} extractor cannot run a tuned program.")
    started = time.perf_counter()
    try:
        try:
            extractor.load()
        except ExtractorUnavailable as exc:
            raise CharlieError(f"The {extractor_name} extractor cannot run: {exc.reason}") from None
        path = extractor.compiled_program_path()
        model = _model_label(extractor)
        base = llm_program.load_program(llm_program.PROGRAM_STATE)
        programs = candidate_programs(base, train_demos, candidates, demos, seed)
        say(
            f"Tuning the program for {model}: {len(programs)} candidate(s) of "
            f"{min(demos, len(train_demos))} train demos each (from {len(train_demos)} train "
            f"entries), judged on {len(dev_gold)} dev entries."
        )
        result = TuneResult(model, path, len(train_demos), len(dev_gold), Candidate(0, base))
        _judge(extractor, result.baseline, dev_gold, tick)
        say(f"hand-written program: {_line(result.baseline)}")
        for candidate in (Candidate(i, p) for i, p in enumerate(programs, 1)):
            result.candidates.append(candidate)
            _judge(extractor, candidate, dev_gold, tick)
            say(f"candidate {candidate.number}/{len(programs)}: {_line(candidate)}")
        best = max(result.candidates, key=lambda c: c.f1, default=None)
        if best is not None and best.f1 > result.baseline.f1:
            result.best = best
            tuning = llm_program.Tuning(
                dev_f1=best.f1,
                baseline_dev_f1=result.baseline.f1,
                dev_entries=len(dev_gold),
                train_entries=len(train_demos),
                model=model,
                tuned_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
            save_program(path, llm_program.program_state(best.program, tuning))
        result.seconds = time.perf_counter() - started
        return result
    finally:
        extractor.unload()


def _judge(
    extractor: Any,
    candidate: Candidate,
    gold: list[GoldEntry],
    tick: Callable[[int, int], None] | None,
) -> None:
    """Score ``candidate`` on ``gold`` with the project's scorer, through ``extractor``."""
    from backend.graph.evaluation import evaluate

    try:
        extractor.use_program(candidate.program)
    except ExtractorUnavailable as exc:
        candidate.skipped = exc.reason
        return
    done = 0

    def entry_read() -> None:
        nonlocal done
        done += 1
        if tick is not None:
            tick(done, len(gold))

    judged = _Judged(extractor, entry_read)
    try:
        candidate.report = evaluate(judged, gold)
    except ExtractorUnavailable as exc:
        raise CharlieError(
            f"The {extractor.name} extractor stopped working: {exc.reason}"
        ) from None
    candidate.failures = judged.failures


def _line(candidate: Candidate) -> str:
    if candidate.report is None:
        return f"skipped ({candidate.skipped})"
    score = candidate.report.overall
    line = (
        f"dev F1 {score.f1:.3f} (precision {score.precision:.3f}, recall {score.recall:.3f}, "
        f"{candidate.report.seconds:.0f} s)"
    )
    if candidate.failures:
        line += f"; {candidate.failures} unreadable replies counted as finding nothing"
    return line


def _model_label(extractor: Extractor) -> str:
    label = getattr(extractor, "model_label", None)
    if isinstance(label, str):
        return label
    path = getattr(extractor, "model_path", None)
    return path.name if isinstance(path, Path) else extractor.name


def save_program(path: Path, state: dict[str, Any]) -> None:
    """Write a compiled program whole or not at all, readable by its owner only."""
    try:
        with atomic_file(path) as out:  # A temp file from mkstemp: 0600.
            out.write(json.dumps(state, ensure_ascii=False, indent=1).encode() + b"\n")
    except OSError as exc:
        raise CharlieError(f"Cannot write the tuned program to {path}: {exc}") from None


def reset(settings: Settings, extractor_name: str) -> Path | None:
    """Remove the compiled program for the model ``extractor_name`` runs; the path
    removed, or None if there was none."""
    from backend.graph.extractor import load_extractor

    if extractor_name not in TUNABLE:
        raise CharlieError(f"The {extractor_name} extractor has no tuned program.")
    extractor = load_extractor(extractor_name, settings)
    if not isinstance(extractor, ProgramRunner):
        raise CharlieError(f"The {extractor_name} extractor has no tuned program.")
    try:
        path = extractor.compiled_program_path()
    except ExtractorUnavailable as exc:
        raise CharlieError(exc.reason) from None
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CharlieError(f"Cannot remove {path}: {exc}") from None
    return path
