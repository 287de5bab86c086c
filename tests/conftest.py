"""Shared fixtures: keep the host's config, time zone and data out of every test."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.jobs.supervisor import Supervisor
from backend.root import Charlie
from backend.settings import Settings, load_settings
from tests.helpers.isolation import run_in_child
from tests.helpers.scripted import register_test_plugins

_PLUGINS = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Install the test-only ``scripted`` extractor for this run and the processes it starts
    (worker subprocesses find it through PYTHONPATH); users never see it."""
    folder = Path(tempfile.mkdtemp(prefix="charlie-test-plugins-"))
    config.stash[_PLUGINS] = folder
    register_test_plugins(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _PLUGINS in config.stash:
        shutil.rmtree(config.stash[_PLUGINS], ignore_errors=True)


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
def api(settings: Settings) -> Iterator[Charlie]:
    """A real API on a real embedded FalkorDB, owned by this test process."""
    instance = Charlie.open(settings)
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


@pytest.fixture
def owner(settings: Settings, log: Path) -> Iterator[tuple[Charlie, Supervisor]]:
    api = Charlie.open(settings.with_changes(job_time_limit_seconds=4.0))
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    try:
        yield api, supervisor
    finally:
        supervisor.stop()
        api.close()
