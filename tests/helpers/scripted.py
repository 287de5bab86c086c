"""A deterministic extractor that tests (and demos) can steer from the entry text.

Capitalised words are people. ``[[Place:Jordan]]`` is an entity of that type, written as
is; ``[[Person:Sarah -KNOWS-> Place:Lisbon]]`` is a relationship (and both entities).
Directives in the text make it misbehave on purpose:
``#fail`` raises, ``#hang`` blocks until killed, ``#crash`` kills the worker process
(SIGKILL), ``#segv`` makes it die of a segmentation fault (SIGSEGV, as a crashing native
model would), ``#sleep=SECONDS`` takes its time, and ``#unavailable`` reports that it
cannot work. While ``CHARLIE_SCRIPTED_SEGV`` names an existing file, every call dies of
a segmentation fault (a model that crashes on everything).
When ``CHARLIE_SCRIPTED_UNAVAILABLE`` names a file that exists, every call reports
"unavailable" (tests create and remove it to open and close the breaker); while
``CHARLIE_SCRIPTED_FAIL`` names an existing file, every call raises. Each call
appends a line to ``CHARLIE_SCRIPTED_LOG`` if set, so tests can count side effects.

It is a test double, not a plugin users can choose: it is registered as the
``scripted`` entry point by :func:`register_test_plugins`, which the tests' conftest
and the benchmarks that steer the worker call, never by the project's metadata.
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from backend.graph.extractor import (
    Entity,
    Extraction,
    Extractor,
    ExtractorUnavailable,
    Relationship,
)
from backend.settings import Settings
from tests.helpers import ROOT

DISTRIBUTION = "charlie_test_plugins-0.dist-info"
"""The distribution that declares the test-only entry points."""
ENTRY_POINTS = """\
[charlie.extractors]
scripted = tests.helpers.scripted:ScriptedExtractor
"""


def register_test_plugins(folder: Path) -> dict[str, str]:
    """Install the ``scripted`` extractor for this process and every process it starts.

    Writes a distribution that holds nothing but the entry point into ``folder``, puts
    ``folder`` and the checkout (where ``tests.helpers.scripted`` is imported from) first
    on ``sys.path`` and on ``PYTHONPATH`` in ``os.environ``, and forgets what
    importlib.metadata had cached. Returns the variables a child started with an
    environment of its own needs.
    """
    dist = folder / DISTRIBUTION
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: charlie_test_plugins\nVersion: 0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    paths = [str(folder), str(ROOT)]
    sys.path[:0] = [p for p in paths if p not in sys.path]
    inherited = os.environ.get("PYTHONPATH")
    env = {"PYTHONPATH": os.pathsep.join([*paths, *([inherited] if inherited else [])])}
    os.environ.update(env)
    importlib.invalidate_caches()
    return env


def without_test_plugins(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with the folders :func:`register_test_plugins` made taken off ``PYTHONPATH``,
    for a child that must find only what is installed."""
    kept = [
        p
        for p in env.get("PYTHONPATH", "").split(os.pathsep)
        if p and not (Path(p) / DISTRIBUTION).is_dir()
    ]
    rest = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    return {**rest, "PYTHONPATH": os.pathsep.join(kept)} if kept else rest


def events(log: Path, event: str) -> list[str]:
    """The first lines of the texts the extractor logged ``event`` for ("load", "start",
    "finish", "unload") in ``CHARLIE_SCRIPTED_LOG``, in order."""
    if not log.exists():
        return []
    return [line.split("\t")[2] for line in log.read_text().splitlines() if f"\t{event}\t" in line]


_NAME = re.compile(r"\b[A-Z][a-z]+\b")
_SLEEP = re.compile(r"#sleep=(\d+(?:\.\d+)?)")
_MARKUP = re.compile(r"\[\[(.+?)\]\]")
_TYPED = re.compile(r"^\s*(\w+):(.+?)\s*$")
_RELATION = re.compile(r"^(.+?)\s+-(\w+)->\s+(.+)$")


class ScriptedExtractor(Extractor):
    name = "scripted"
    uses_model = True  # It pretends to load one, so tests can watch load and unload.

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        if not self._loaded:
            self._log("load", "")
            self._loaded = True

    def unload(self) -> None:
        if self._loaded:
            self._log("unload", "")
            self._loaded = False

    def _log(self, event: str, text: str) -> None:
        log = os.environ.get("CHARLIE_SCRIPTED_LOG")
        if log:
            first = text.splitlines()[0] if text else ""
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()}\t{event}\t{first}\n")
                handle.flush()
                os.fsync(handle.fileno())

    def extract(self, text: str) -> Extraction:
        switch = os.environ.get("CHARLIE_SCRIPTED_UNAVAILABLE")
        if "#unavailable" in text or (switch and Path(switch).exists()):
            raise ExtractorUnavailable("The scripted model is switched off.")
        self._log("start", text)
        if "#crash" in text:
            os.kill(os.getpid(), signal.SIGKILL)
        segv_switch = os.environ.get("CHARLIE_SCRIPTED_SEGV")
        if "#segv" in text or (segv_switch and Path(segv_switch).exists()):
            os.kill(os.getpid(), signal.SIGSEGV)
        if "#hang" in text:
            threading.Event().wait()
        match = _SLEEP.search(text)
        if match:
            time.sleep(float(match.group(1)))
        fail_switch = os.environ.get("CHARLIE_SCRIPTED_FAIL")
        if "#fail" in text or (fail_switch and Path(fail_switch).exists()):
            raise RuntimeError("The scripted extractor failed on purpose.")
        entities, relationships = _markup(text)
        names = sorted(set(_NAME.findall(_MARKUP.sub(" ", text))))
        entities += [Entity(name=n, type="Person") for n in names]
        self._log("finish", text)
        return Extraction(entities=entities, relationships=relationships)


def _typed(text: str) -> Entity:
    match = _TYPED.match(text)
    if match is None:
        raise ValueError(f"scripted markup {text!r} is not Type:Name")
    return Entity(name=match.group(2), type=match.group(1))


def _markup(text: str) -> tuple[list[Entity], list[Relationship]]:
    entities: list[Entity] = []
    relationships: list[Relationship] = []
    for inner in _MARKUP.findall(text):
        relation = _RELATION.match(inner)
        if relation:
            source, target = _typed(relation.group(1)), _typed(relation.group(3))
            entities += [source, target]
            relationships.append(Relationship(source, relation.group(2), target))
        else:
            entities.append(_typed(inner))
    return entities, relationships
