"""Run a test's body in a forked child, so a crash in native code fails only that test.

A model runs llama.cpp in the test process itself; if it dies by a signal (SIGSEGV), a
plain test run would die with it, taking every later test and the summary along. Tests
marked ``real_model`` run their body through :func:`run_in_child` (see conftest): a
failure comes back with its traceback, a death by a signal fails the test naming it.
Fixtures are set up in the parent, so what they start (servers, owners) outlives a crash.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable

import pytest

from backend.broker.exits import signal_words

_SKIPPED = 3


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def run_in_child(body: Callable[[], object], *, what: str) -> None:
    """Run ``body`` in a forked child and report its outcome here, as pytest expects."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # The child: run, say how it went, and leave without any clean-up.
        os.close(read_end)
        code, message = 0, ""
        try:
            body()
        except pytest.skip.Exception as exc:
            code, message = _SKIPPED, str(exc)
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the parent
            code, message = 1, "".join(traceback.format_exception(exc))
        with os.fdopen(write_end, "wb") as out:
            out.write(message.encode("utf-8", "replace"))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as source:
        message = _read_all(source.fileno()).decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status))
        pytest.fail(
            f"{what}: the process running the model was killed by {signal_words(sig)} "
            "(a crash in native code, e.g. llama.cpp)",
            pytrace=False,
        )
    code = os.WEXITSTATUS(status)
    if code == _SKIPPED:
        pytest.skip(message)
    if code != 0:
        pytest.fail(message or f"{what}: the child exited with code {code}", pytrace=False)
