"""A test whose model crashes in native code fails alone; the run goes on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.helpers.isolation import run_in_child

pytestmark = pytest.mark.slow


def test_a_death_by_signal_fails_naming_the_signal() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"killed by SIGSEGV \(segmentation fault\)"):
        run_in_child(lambda: os.kill(os.getpid(), signal.SIGSEGV), what="crashing body")


def test_a_failure_in_the_child_comes_back_with_its_message() -> None:
    def body() -> None:
        raise AssertionError("the reply did not fit the schema")

    with pytest.raises(pytest.fail.Exception, match="did not fit the schema"):
        run_in_child(body, what="failing body")
    run_in_child(lambda: None, what="passing body")


def test_a_real_pytest_run_survives_a_segfaulting_model_test(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            from tests.conftest import pytest_pyfunc_call  # noqa: F401

            def pytest_configure(config):
                config.addinivalue_line("markers", "real_model: runs in a forked child")
            """
        )
    )
    (tmp_path / "test_crash.py").write_text(
        textwrap.dedent(
            """
            import os, signal
            import pytest

            @pytest.mark.real_model
            def test_model_segfaults():
                os.kill(os.getpid(), signal.SIGSEGV)

            def test_after_it():
                assert True
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "killed by SIGSEGV" in done.stdout, done.stdout
    assert "1 failed, 1 passed" in done.stdout, done.stdout
