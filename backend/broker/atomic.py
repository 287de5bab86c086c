"""Files that appear whole or not at all: readers see the old content or the new, never a
torn file, and a crash leaves nothing half-written under the final name."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_file(path: Path, *, sync: bool = True, exclusive: bool = False) -> Iterator[IO[bytes]]:
    """Write ``path`` so it appears whole or not at all: a temp file in the same folder,
    fsynced, then renamed over the final name (and the folder fsynced).

    ``sync=False`` skips both fsyncs, for callers writing many files that flush them all
    at the end instead (a crash still never leaves a torn file under the final name).
    ``exclusive=True`` raises FileExistsError instead of replacing a file of that name
    that appeared meanwhile."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, path)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if sync:
        fsync_dir(path.parent)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` with :func:`atomic_file`."""
    with atomic_file(path) as handle:
        handle.write(text.encode("utf-8"))


def fsync_dir(directory: Path) -> None:
    """Make the names in ``directory`` (renames, new files) durable."""
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
