"""Who owns the data directory: the lock's holder, its handoff, what a dead owner left.

Doctor looks at these before anything opens the database: opening it as owner (when
nothing runs) clears a dead owner's leftovers, which would hide exactly what the user
asked about. Looking never takes the lock either (see
:func:`backend.broker.paths.lock_holder`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.broker.handoff import HANDOFF_FORMAT, Handoff, read_handoff
from backend.broker.paths import Paths, lock_holder
from backend.broker.processes import find_servers, process_cmdline, process_start_ticks
from backend.doctor.report import Check
from backend.settings import Settings


@dataclass
class OwnerState:
    """What the lock check found, for the checks that follow it."""

    owner_pid: int | None = None
    """The live owner's pid, None when Charlie is not running here."""
    stale: bool = False
    """A dead owner left something behind (the next owner clears it)."""


def check_lock(settings: Settings) -> tuple[Check, OwnerState]:
    """Who owns the data directory, whether it is alive, and what a dead one left."""
    name = "lock and handoff"
    if settings.broker_url:
        summary = f"Charlie uses the server at {settings.broker_url} (no lock or handoff here)"
        return Check(name, True, summary), OwnerState()
    paths = Paths(settings.data_dir)
    holder = lock_holder(paths.lock)
    exists = paths.handoff.exists()
    handoff = read_handoff(paths.handoff) if exists else None
    details: dict[str, Any] = {
        "lock": str(paths.lock),
        "lock_holder_pid": holder,
        "handoff": str(paths.handoff) if exists else None,
        "handoff_owner_pid": handoff.owner_pid if handoff else None,
    }
    if holder is not None:
        return _check_live_owner(paths, holder, handoff, exists, details)
    problems: list[str] = []
    fixes: list[str] = []
    if exists:
        if handoff is not None:
            problems.append(
                f"a stale handoff from owner pid {handoff.owner_pid}, which is gone"
                if not _alive(handoff)
                else f"a handoff from pid {handoff.owner_pid}, which no longer holds the lock"
            )
        else:
            problems.append("an unreadable handoff (torn or not Charlie's)")
        fixes.append(f"remove {paths.handoff}")
    servers = find_servers(paths.conf)
    details["leftover_servers"] = servers
    if servers:
        pids = ", ".join(map(str, servers))
        problems.append(f"a database server left running by a dead owner (pid {pids})")
        fixes.append(f"`kill {servers[0]}` (it shuts down with its data flushed)")
    files = [p for p in (paths.socket, paths.pidfile) if p.exists()]
    if files and not servers:
        problems.append("a leftover " + " and ".join(p.name for p in files))
        fixes.append("remove " + " ".join(map(str, files)))
    details["leftover_files"] = [str(p) for p in files]
    if problems:
        flushed = " (it shuts a leftover server down with its data flushed)" if servers else ""
        fix = f"nothing to do by hand: the next Charlie start clears it{flushed}; or " + (
            "; ".join(fixes)
        )
        check = Check(
            name, False, "Charlie is not running, but found " + "; ".join(problems), fix, details
        )
        return check, OwnerState(stale=True)
    return Check(
        name, True, "Charlie is not running; no stale lock, handoff or server", details=details
    ), OwnerState()


def _check_live_owner(
    paths: Paths, holder: int, handoff: Handoff | None, exists: bool, details: dict[str, Any]
) -> tuple[Check, OwnerState]:
    name = "lock and handoff"
    who = _who(holder)
    state = OwnerState(owner_pid=holder)
    if handoff is None:
        if exists:
            summary = f"{who} holds the lock, but {paths.handoff} cannot be read"
            fix = f"quit that Charlie (`kill {holder}`) and start it again"
        else:
            summary = f"{who} holds the lock but has not published {paths.handoff.name}"
            fix = (
                "it may still be starting: run `charlie doctor` again in a few seconds; "
                f"if this stays, quit it (`kill {holder}`)"
            )
        return Check(name, False, summary, fix, details), state
    if handoff.format != HANDOFF_FORMAT:
        summary = (
            f"{who} wrote a format {handoff.format} handoff; this Charlie reads "
            f"format {HANDOFF_FORMAT}"
        )
        return Check(name, False, summary, "quit the other Charlie version first", details), state
    if not _alive(handoff):
        summary = (
            f"{who} holds the lock, but {paths.handoff.name} names owner pid "
            f"{handoff.owner_pid}, which is gone"
        )
        fix = f"quit that Charlie (`kill {holder}`) and start it again"
        return Check(name, False, summary, fix, details), state
    details["redis_pid"] = handoff.redis_pid
    if process_start_ticks(handoff.redis_pid) is None:
        summary = f"{who} owns the data, but its database server (pid {handoff.redis_pid}) is gone"
        fix = (
            "the owner restarts it within a second; if this stays, read "
            f"{paths.log} and restart Charlie"
        )
        return Check(name, False, summary, fix, details), state
    summary = f"Charlie is running: {who} owns the data; its server is pid {handoff.redis_pid}"
    return Check(name, True, summary, details=details), state


def _alive(handoff: Handoff) -> bool:
    return process_start_ticks(handoff.owner_pid) == handoff.owner_started


def _who(pid: int) -> str:
    """``pid 123 (charlie serve)``: a process as a person can find it in ``ps``."""
    if pid == os.getpid():
        return f"pid {pid} (this process)"
    cmd = process_cmdline(pid)
    if not cmd:
        return f"pid {pid}"
    # Drop the interpreter so "python charlie.py serve" reads "charlie.py serve".
    if len(cmd) > 1 and Path(cmd[0]).name.startswith("python"):
        cmd = cmd[1:]
    words = " ".join([Path(cmd[0]).name, *cmd[1:]])
    return f"pid {pid} ({words[:60]})"
