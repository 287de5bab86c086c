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
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path

from backend.graph.extractor import (
    Entity,
    Extraction,
    Extractor,
    ExtractorUnavailable,
    Relationship,
)
from backend.settings import Settings

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
