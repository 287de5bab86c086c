"""Helpers for tests that run Charlie's command line in the test process."""

from __future__ import annotations

import pytest

import charlie


def run_model(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`charlie model ARGS` in this process: its exit status, stdout and stderr."""
    code = charlie.main(["model", *args])
    out, err = capsys.readouterr()
    return code, out, err
