"""Shared fixtures: keep the host's config, time zone and data out of every test."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.api import CharlieAPI
from backend.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _isolated_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point config and data at tmp_path, pin the time zone and locale."""
    for var in list(os.environ):
        if var.startswith("CHARLIE_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("CHARLIE_CONFIG_FILE", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TZ", "UTC")
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
