"""This machine and the user's files: the Python running Charlie, the data directory and
the backups in it.

None of these needs the database, so they answer even when it cannot be opened.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.broker.paths import Paths
from backend.doctor.report import Check, human_age, human_size
from backend.settings import Settings

MIN_PYTHON = (3, 12)
MIN_FREE_BYTES = 256 * 1024**2
"""Below this much free disk, saving may soon fail (every write is fsynced to disk)."""
BACKUP_STALE_DAYS = 7
"""Charlie backs up at every start and daily while it runs; older than this is a gap."""


def check_python() -> Check:
    """The interpreter Charlie runs on is new enough."""
    version = ".".join(map(str, sys.version_info[:3]))
    details = {"version": version, "executable": sys.executable}
    if sys.version_info[:2] < MIN_PYTHON:
        need = ".".join(map(str, MIN_PYTHON))
        return Check(
            "python",
            False,
            f"{version} is too old; Charlie needs {need} or newer",
            f"install Python {need} or newer and run Charlie with `uv run charlie`, "
            f"or point uv at it: export UV_PYTHON=/path/to/python{need}",
            details,
        )
    return Check("python", True, f"{version} ({sys.executable})", details=details)


def _tree_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def check_data_dir(settings: Settings) -> Check:
    """The data directory exists, is the user's own, private (0700) and has room."""
    data = settings.data_dir
    details: dict[str, Any] = {"path": str(data)}
    try:
        info = data.stat()
    except FileNotFoundError:
        return Check(
            "data directory",
            False,
            f"{data} does not exist",
            "start Charlie once (`charlie`) and it creates it; if your journal lives "
            "elsewhere, set data_dir in the config file or CHARLIE_DATA_DIR",
            details,
        )
    except OSError as exc:
        return Check("data directory", False, f"cannot look at {data}: {exc.strerror}", "", details)
    mode = stat.S_IMODE(info.st_mode)
    details.update(mode=f"{mode:04o}", owner_uid=info.st_uid)
    problems: list[str] = []
    fixes: list[str] = []
    if not stat.S_ISDIR(info.st_mode):
        return Check(
            "data directory",
            False,
            f"{data} is not a directory",
            f"move {data} out of the way, or set data_dir to a directory",
            details,
        )
    if info.st_uid != os.getuid():
        problems.append(f"it belongs to uid {info.st_uid}, not to you (uid {os.getuid()})")
        fixes.append(f"run Charlie as the user who owns it, or `chown -R $USER {data}`")
    if mode & 0o077:
        problems.append(f"it is open to other users (mode {mode:04o}; it should be 0700)")
        fixes.append(f"chmod 700 {data}")
    if not os.access(data, os.W_OK | os.X_OK):
        problems.append("you cannot write to it")
        fixes.append(f"chmod u+rwx {data}")
    usage = shutil.disk_usage(data)
    db_bytes = _tree_bytes(Paths(data).db_dir)
    # Rewriting the append-only file writes a second copy of the database first.
    needed = max(MIN_FREE_BYTES, 2 * db_bytes)
    details.update(free_bytes=usage.free, database_bytes=db_bytes)
    if usage.free < needed:
        problems.append(
            f"only {human_size(usage.free)} free on its disk ({human_size(needed)} needed)"
        )
        fixes.append("free some space on that disk: when it is full Charlie cannot save entries")
    if problems:
        return Check(
            "data directory", False, f"{data}: " + "; ".join(problems), "; ".join(fixes), details
        )
    return Check(
        "data directory",
        True,
        f"{data}: yours, mode {mode:04o}, {human_size(usage.free)} free",
        details=details,
    )


def check_backups(settings: Settings, now: datetime | None = None) -> Check:
    """The newest usable backup and its age; unreadable backup files."""
    from backend.transfer import backup

    infos = backup.list_backups(settings)
    good = [i for i in infos if not i.problem and i.created is not None]
    bad = [i for i in infos if i.problem]
    details: dict[str, Any] = {
        "directory": str(backup.backup_dir(settings)),
        "count": len(good),
        "unreadable": [str(i.path) for i in bad],
    }
    take = "`charlie backup` takes one now (the app takes one at every start and daily)"
    if not good:
        return Check("backups", False, "there is no backup yet", take, details)
    newest = max(good, key=lambda i: i.created or datetime.min.replace(tzinfo=UTC))
    assert newest.created is not None
    age = ((now or datetime.now(UTC)) - newest.created).total_seconds()
    details.update(newest=str(newest.path), newest_age_seconds=round(age))
    summary = (
        f"{len(good)} backup(s); the newest is {human_age(age)} old ({newest.reason}, "
        f"{human_size(newest.size)})"
    )
    if bad:
        return Check(
            "backups",
            False,
            summary + f"; {len(bad)} cannot be read: {bad[-1].problem}",
            f"move the unreadable file(s) out of {details['directory']}; {take}",
            details,
        )
    if age > BACKUP_STALE_DAYS * 86400:
        return Check("backups", False, summary, take, details)
    return Check("backups", True, summary, details=details)
