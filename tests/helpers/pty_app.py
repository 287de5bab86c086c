"""The real app (`python charlie.py`) in a real pseudo-terminal, for tests that type into
it and then close its terminal or kill it.

Python's ``os.openpty`` needs nothing installed (no tmux). The app runs as the leader of
its own session with the pty as its controlling terminal, as in a terminal window: so
closing the pty's master side is a real hangup (the kernel sends SIGHUP), and every
process the app started is in its process group, for cleanup.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time

from tests.helpers import ROOT

# Runs in the child: take the pty (stdin) as the controlling terminal, then become the
# app. ``start_new_session`` made the child a session leader, which this needs.
_WITH_TTY = (
    "import fcntl, os, sys, termios; "
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)
_ANSI = re.compile(
    r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-B]"
)
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"


class PtyApp:
    """One run of the app in a pty of ``size`` (columns, rows)."""

    def __init__(self, env: dict[str, str], size: tuple[int, int] = (100, 32)) -> None:
        master, slave = os.openpty()
        columns, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WITH_TTY, str(ROOT / "charlie.py")],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env={**env, "TERM": "xterm-256color"},
            start_new_session=True,
        )
        os.close(slave)
        self.master: int | None = master
        self._output = bytearray()
        self._lock = threading.Lock()
        # The app blocks on writes once the pty's buffer is full: always read.
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        master = self.master
        assert master is not None
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return  # The app is gone (EIO) or the master was closed.
            if not chunk:
                return
            with self._lock:
                self._output += chunk

    def text(self) -> str:
        """Everything the app wrote, escape sequences removed."""
        with self._lock:
            raw = self._output.decode("utf-8", errors="replace")
        return _ANSI.sub("", raw)

    def clear(self) -> None:
        """Forget the output so far (to wait for something to appear anew)."""
        with self._lock:
            self._output.clear()

    def wait_for_text(self, needle: str, *, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if self.proc.poll() is not None:
                raise AssertionError(f"the app exited ({self.proc.returncode}): {self.tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {needle!r}: {self.tail()}")
            time.sleep(0.02)

    def tail(self, chars: int = 2000) -> str:
        return self.text()[-chars:]

    def write(self, data: str) -> None:
        """Send keys (or any bytes) as the terminal would."""
        assert self.master is not None
        os.write(self.master, data.encode())

    def type(self, text: str) -> None:
        """Type plain text: each character arrives as a key press."""
        self.write(text)

    def paste(self, text: str) -> None:
        """Paste text (bracketed paste: tabs and all arrive as they are)."""
        self.write(PASTE_START + text + PASTE_END)

    def hang_up(self) -> None:
        """Close the terminal window: the kernel sends the app SIGHUP."""
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def send(self, signum: int) -> None:
        os.kill(self.proc.pid, signum)

    def wait(self, timeout: float = 30.0) -> int:
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        """Make sure nothing of this run is left (after a failed test too)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)
        self.hang_up()
