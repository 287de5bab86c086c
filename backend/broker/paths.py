"""Where Charlie keeps its files in a data directory, and the locks on them.

Two ``flock`` locks decide who may do what: ``<data>/charlie.lock`` is held by the owner
(the one process that runs the server) for its whole life, and ``<data>/worker.lock`` by
a worker for its whole life, so whoever takes it knows no worker is alive.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from backend.broker.private import private_dir
from backend.errors import BrokerError
from backend.settings import Settings

# Unix socket paths are limited to 108 bytes including the terminating NUL.
_MAX_SOCKET_PATH = 100
WORKER_LOCK = "worker.lock"


@dataclass(frozen=True)
class Paths:
    """Where the broker keeps its files inside a data directory."""

    data_dir: Path
    run_override: Path | None = None
    """A fresh private run directory used instead of the usual one (see run_dir)."""

    @property
    def lock(self) -> Path:
        return self.data_dir / "charlie.lock"

    @property
    def worker_lock(self) -> Path:
        return self.data_dir / WORKER_LOCK

    @property
    def handoff(self) -> Path:
        return self.data_dir / "broker.json"

    @property
    def db_dir(self) -> Path:
        return self.data_dir / "db"

    @property
    def conf(self) -> Path:
        return self.db_dir / "redis.conf"

    @property
    def log(self) -> Path:
        return self.data_dir / "logs" / "redis.log"

    @property
    def run_dir(self) -> Path:
        """The 0700 directory holding the socket and pid file.

        It lives inside the data directory unless that path is too long for a unix
        socket; then it is a private directory under the runtime dir named after a hash
        of the data directory, so one data directory always maps to one place.
        """
        if self.run_override is not None:
            return self.run_override
        inside = self.data_dir / "run"
        if len(str(inside / "redis.sock")) <= _MAX_SOCKET_PATH:
            return inside
        digest = hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:16]
        base = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
        return base / f"charlie-{os.getuid()}-{digest}"

    @property
    def socket(self) -> Path:
        return self.run_dir / "redis.sock"

    @property
    def pidfile(self) -> Path:
        return self.run_dir / "redis.pid"


def prepare_data_dir(paths: Paths) -> None:
    """Make the data directory (0700, ours) and check it can be written in."""
    try:
        private_dir(paths.data_dir)
        if not os.access(paths.data_dir, os.W_OK | os.X_OK):
            raise BrokerError(f"The data directory {paths.data_dir} is not writable.")
    except OSError as exc:
        raise BrokerError(f"Cannot use the data directory {paths.data_dir}: {exc}") from exc


def private_run_dir(usual: Path) -> Path:
    """``usual`` if it is (or can be made) a directory of ours, 0700, not a link; else a
    fresh private directory beside it. Outside the data directory (a long path), the
    usual name is predictable, and another user may have made it first."""
    usual.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(usual, 0o700)
        return usual
    except FileExistsError:
        pass
    info = os.lstat(usual)
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
        os.chmod(usual, 0o700)
        return usual
    return Path(tempfile.mkdtemp(prefix=f"charlie-{os.getuid()}-", dir=usual.parent))


# -- locks -----------------------------------------------------------------------------


def try_lock(path: Path) -> int | None:
    """Take an exclusive ``flock`` on ``path`` (created 0600) without waiting: an fd to
    keep for as long as the lock is held, or None if another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def worker_lock_path(settings: Settings) -> Path:
    return Paths(settings.data_dir).worker_lock


def try_worker_lock(settings: Settings) -> int | None:
    """Take the worker lock without waiting: an fd to keep, or None if a worker holds it."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return try_lock(worker_lock_path(settings))


def lock_holder(path: Path) -> int | None:
    """The pid holding the ``flock`` on ``path``, or None if nobody does.

    Read from /proc/locks, so looking never takes the lock: a Charlie starting at that
    moment would otherwise find it taken and wait for a handoff nobody publishes.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        return _peek_lock(path)
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    by_inode = None
    for line in table.splitlines():
        parts = line.split()
        # "1: FLOCK ADVISORY WRITE 123 fe:00:456 0 EOF"; "->" lines are waiters.
        if len(parts) < 6 or parts[1] != "FLOCK":
            continue
        pid, where = int(parts[4]), parts[5]
        if where == device:
            return pid
        if os.major(info.st_dev) == 0 and where.rsplit(":", 1)[-1] == str(info.st_ino):
            # An overlay file system shows its own device number to stat() but the
            # lower file system's in /proc/locks; the inode number is the same.
            by_inode = pid
    return by_inode


def _peek_lock(path: Path) -> int | None:
    """Without /proc/locks: take and drop the lock at once (a moment's conflict)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        text = path.read_text().strip()
        return int(text) if text.isdigit() else -1
    finally:
        os.close(fd)
    return None
