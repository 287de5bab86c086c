"""Starting worker processes, with one kept warm on standby.

A worker spends most of its start-up importing (redis, Huey, the graph code, the
extractor's plugin) before it can claim a job. So the supervisor keeps a second worker
process started ahead of need: it imports everything, then waits on its stdin without
taking the worker lock or touching the database. When the working worker dies, the
standby is told to go (one line on its stdin) and claims the job the owner has just
reaped at once; a fresh standby is started behind it. A standby whose settings are no
longer the supervisor's (the extractor was switched) is stopped and replaced, and one
whose stdin closes (the owner left) exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from backend.broker.private import PRIVATE_UMASK, append_private
from backend.broker.processes import die_with_parent
from backend.graph.extractor_probe import no_core_dumps

STANDBY_ENV = "CHARLIE_WORKER_STANDBY"
"""Set to "1" for a worker that waits on its stdin before it starts working."""
ROOT = Path(__file__).resolve().parents[2]
WORKER_COMMAND = (sys.executable, "-m", "backend.jobs.worker")
"""How a worker is started (from ROOT, so the package is found as the owner found it)."""


class Spawner:
    """Starts the supervisor's workers: the standby if it fits, else a fresh one."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.standby: subprocess.Popen[bytes] | None = None
        self._standby_env: dict[str, str] = {}

    def start(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """A working worker with ``env``, and a fresh standby behind it."""
        standby, self.standby = self.standby, None
        if standby is not None and standby.poll() is None and self._standby_env == env:
            try:
                assert standby.stdin is not None
                standby.stdin.write(b"go\n")
                standby.stdin.close()
                worker = standby
            except OSError:  # It died just now: start one the slow way.
                _stop(standby)
                worker = self._popen(env, standby=False)
        else:
            if standby is not None:
                _stop(standby)
            worker = self._popen(env, standby=False)
        self.standby, self._standby_env = self._popen(env, standby=True), env
        return worker

    def close(self) -> None:
        """Stop the standby (the working worker is the supervisor's to stop)."""
        standby, self.standby = self.standby, None
        if standby is not None:
            _stop(standby)

    def _popen(self, env: dict[str, str], *, standby: bool) -> subprocess.Popen[bytes]:
        with os.fdopen(append_private(self.log), "ab") as log:
            return subprocess.Popen(
                WORKER_COMMAND,
                cwd=ROOT,
                env={**env, STANDBY_ENV: "1" if standby else ""},
                stdin=subprocess.PIPE if standby else subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=_worker_preexec(),
            )


def _worker_preexec() -> Callable[[], None]:
    """What the worker child runs before it starts: die with the owner (arranged here, in
    the parent), never write a core file (a crashing model's would hold journal text),
    and write every file 0600."""
    die_with_owner = die_with_parent(signal.SIGTERM)

    def arrange() -> None:
        die_with_owner()
        no_core_dumps()
        os.umask(PRIVATE_UMASK)

    return arrange


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill a standby: it holds no lock and has not touched the database."""
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait()
    with contextlib.suppress(OSError):
        if process.stdin is not None:
            process.stdin.close()


def wait_for_go() -> bool:
    """In a standby worker: wait for the supervisor's word. False: it will never come
    (the owner left or replaced this standby), so exit without working."""
    return sys.stdin.buffer.readline() == b"go\n"
