"""Helpers for tests that run real Charlie processes and kill them with real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from backend.broker.handoff import read_handoff
from backend.broker.paths import Paths
from backend.broker.processes import find_servers, process_start_ticks
from tests.helpers import ROOT


class OwnerProc:
    """A `tests.helpers.owner_proc` subprocess that answers JSON commands."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.owner_proc"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"owner process ended without answering:\n{err}")
        return json.loads(line)  # type: ignore[no-any-return]

    def wait_ready(self) -> dict[str, Any]:
        reply = self.read()
        assert reply.get("ready"), reply
        return reply

    def call(self, **cmd: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def quit(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
        self.proc.stdin.flush()
        assert self.read().get("closed")
        self.proc.wait(timeout=30)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


def wait_until(predicate: Any, *, timeout: float, what: str) -> None:
    """Poll ``predicate`` until it is true, or fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def servers_for(data_dir: Path) -> list[int]:
    """Live redis-server pids started on this data directory."""
    return find_servers(Paths(data_dir).conf)


def workers_for(data_dir: Path) -> list[int]:
    """Live worker pids (``python -m backend.jobs.worker``) whose data directory is this
    one: other test runs on the machine have workers of their own."""
    wanted = f"CHARLIE_DATA_DIR={data_dir}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            if b"backend.jobs.worker" not in cmdline:
                continue
            if wanted in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue  # Gone meanwhile, or not a process.
    return found


def watch_servers(data_dir: Path, stop: threading.Event, most: list[int]) -> None:
    """Sample the data directory's live servers every few ms; keep the most seen."""
    while not stop.is_set():
        most[0] = max(most[0], len(servers_for(data_dir)))
        stop.wait(0.003)


def charlie(
    *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run this checkout's ``charlie.py ARGS`` in a child, as a user would, and wait."""
    return subprocess.run(
        [sys.executable, "charlie.py", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def kill_server(data_dir: Path) -> int:
    """SIGKILL the data directory's redis-server (from the handoff) and wait for it."""
    handoff = read_handoff(Paths(data_dir).handoff)
    assert handoff is not None, "no handoff to find the server by"
    os.kill(handoff.redis_pid, signal.SIGKILL)
    wait_until(
        lambda: process_start_ticks(handoff.redis_pid) is None,
        timeout=10,
        what=f"redis-server {handoff.redis_pid} to die",
    )
    return handoff.redis_pid
