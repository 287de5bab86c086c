"""A deterministic extractor that tests (and demos) can steer from the entry text.

Capitalised words are people. Directives in the text make it misbehave on purpose:
``#fail`` raises, ``#hang`` blocks until killed, ``#crash`` kills the worker process,
``#sleep=SECONDS`` takes its time, and ``#unavailable`` reports that it cannot work.
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

from backend.extractor import Entity, Extraction, Extractor, ExtractorUnavailable
from backend.settings import Settings

_NAME = re.compile(r"\b[A-Z][a-z]+\b")
_SLEEP = re.compile(r"#sleep=(\d+(?:\.\d+)?)")


class ScriptedExtractor(Extractor):
    name = "scripted"

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
        if "#hang" in text:
            threading.Event().wait()
        match = _SLEEP.search(text)
        if match:
            time.sleep(float(match.group(1)))
        fail_switch = os.environ.get("CHARLIE_SCRIPTED_FAIL")
        if "#fail" in text or (fail_switch and Path(fail_switch).exists()):
            raise RuntimeError("The scripted extractor failed on purpose.")
        names = sorted(set(_NAME.findall(text)))
        self._log("finish", text)
        return Extraction(entities=[Entity(name=n, type="Person") for n in names])
