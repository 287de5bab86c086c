"""Other processes as Linux shows them in /proc, and children that die with their parent."""

from __future__ import annotations

import contextlib
import ctypes
import os
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def process_start_ticks(pid: int) -> int | None:
    """The start time of a live process (from /proc), or None if it does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may contain spaces and parentheses; split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # A zombie has exited; it only waits for its parent to reap it.
        return None
    return int(fields[19])


def process_cmdline(pid: int) -> list[str]:
    """The command line of a live process, or [] if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def find_servers(conf_path: Path) -> list[int]:
    """Pids of every live redis-server started with this config file.

    A server is ours if its command line names our config file or its working
    directory is the config's directory (redis chdirs to its ``dir``), so a server
    that rewrote its process title is still found.
    """
    found = []
    conf = str(conf_path)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        cmd = process_cmdline(pid)
        if not cmd or "redis-server" not in cmd[0]:
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        if (conf in cmd[1:] or cwd == str(conf_path.parent)) and process_start_ticks(pid):
            found.append(pid)
    # A server forks a child, with its command line, to write a snapshot (a backup, an
    # append-only file rewrite): that child is part of its server, not a second one.
    return [pid for pid in found if _parent(pid) not in found]


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def wait_gone(pid: int, seconds: float) -> bool:
    """Wait up to ``seconds`` for process ``pid`` to exit; whether it did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # Reap it if it is our child; otherwise just look for it in /proc.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if process_start_ticks(pid) is None:
            return True
        time.sleep(0.02)
    return process_start_ticks(pid) is None


def die_with_parent(sig: int) -> Callable[[], None]:
    """A ``preexec_fn`` that makes the child receive ``sig`` when its parent exits.

    Linux ties this to the thread that forked, so spawn long-lived children from a
    long-lived thread (the main thread, or the supervisor's).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def arrange() -> None:
        if libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
            os._exit(127)
        if os.getppid() != parent:  # The parent died before prctl took effect.
            os._exit(0)

    return arrange
