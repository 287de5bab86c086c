"""Fixtures the UI tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.root import Charlie
from backend.settings import Settings


@pytest.fixture
def quick(settings: Settings) -> Iterator[Charlie]:
    """An API whose editor keeps a draft 0.2 s after the last keystroke."""
    instance = Charlie.open(settings.with_changes(draft_seconds=0.2))
    try:
        yield instance
    finally:
        instance.close()
