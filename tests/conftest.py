"""Shared fixtures: keep the host's config, time zone and data out of every test."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.api import CharlieAPI
from backend.jobs.supervisor import Supervisor
from backend.settings import Settings, load_settings
from tests.helpers.isolation import run_in_child
from tests.helpers.procs import wait_until

ROOT = Path(__file__).resolve().parent.parent


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Tests marked ``real_model`` run their body in a forked child (tests/helpers/isolation.py)."""
    if pyfuncitem.get_closest_marker("real_model") is None:
        return None
    test = pyfuncitem.obj
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    run_in_child(lambda: test(**args), what=pyfuncitem.nodeid)
    return True


@pytest.fixture(autouse=True)
def _isolated_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point config and data at tmp_path, pin the time zone and locale."""
    for var in list(os.environ):
        if var.startswith("CHARLIE_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("CHARLIE_CONFIG_FILE", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TZ", "UTC")
    # The steerable test extractor: entries can make it fail, hang, crash or sleep.
    monkeypatch.setenv("CHARLIE_EXTRACTOR", "scripted")
    monkeypatch.setenv("LANG", "C.UTF-8")
    time.tzset()
    yield
    time.tzset()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh data directory under tmp_path."""
    return load_settings()


@pytest.fixture
def api(settings: Settings) -> Iterator[CharlieAPI]:
    """A real API on a real embedded FalkorDB, owned by this test process."""
    instance = CharlieAPI.open(settings)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The scripted extractor's side-effect log (one line per start and finish)."""
    path = tmp_path / "extractor.log"
    monkeypatch.setenv("CHARLIE_SCRIPTED_LOG", str(path))
    return path


def events(log: Path, event: str) -> list[str]:
    if not log.exists():
        return []
    return [line.split("\t")[2] for line in log.read_text().splitlines() if f"\t{event}\t" in line]


@pytest.fixture
def owner(settings: Settings, log: Path) -> Iterator[tuple[CharlieAPI, Supervisor]]:
    api = CharlieAPI.open(settings.with_changes(job_time_limit_seconds=4.0))
    supervisor = Supervisor(api.settings, api.broker).start()
    try:
        yield api, supervisor
    finally:
        supervisor.stop()
        api.close()


def job_state(api: CharlieAPI, entry_id: str) -> str:
    record = api.jobs.get(f"enrich:{api.journal().id}:{entry_id}")
    return record.state if record else "missing"


def wait_state(api: CharlieAPI, entry_id: str, state: str, timeout: float = 30) -> None:
    wait_until(
        lambda: job_state(api, entry_id) == state,
        timeout=timeout,
        what=f"job of {entry_id} to be {state} (is {job_state(api, entry_id)})",
    )
