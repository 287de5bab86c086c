"""Files and folders only their owner can read: a journal is private on a shared machine.

The data directory is 0700 and everything Charlie (or its server and worker, which run
with umask 077) writes in it is 0600. An existing data directory that is looser, from an
older Charlie, is tightened when an owner starts; one that belongs to another user is
refused rather than used.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from backend.errors import BrokerError

PRIVATE_UMASK = 0o077
OPEN_TO_OTHERS = 0o077


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) 0700, or tighten it if it is ours and looser."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid != os.getuid():
        raise BrokerError(
            f"{path} belongs to another user (uid {info.st_uid}); Charlie keeps a journal "
            "only in a folder of your own. Choose another data_dir."
        )
    if info.st_mode & OPEN_TO_OTHERS:
        os.chmod(path, 0o700)
    return path


def tighten_tree(root: Path) -> int:
    """Remove group and other permissions from everything of ours under ``root`` (not
    following symbolic links). Returns how many paths were changed."""
    changed = 0
    uid = os.getuid()
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in (*dirs, *files):
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue  # Removed meanwhile (a temp file, a socket).
            if stat.S_ISLNK(info.st_mode) or info.st_uid != uid:
                continue
            if info.st_mode & OPEN_TO_OTHERS:
                os.chmod(path, stat.S_IMODE(info.st_mode) & ~OPEN_TO_OTHERS)
                changed += 1
    return changed


def append_private(path: Path) -> int:
    """An fd for appending to ``path``, created 0600 (an older, looser file is tightened)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    os.fchmod(fd, 0o600)
    return fd
