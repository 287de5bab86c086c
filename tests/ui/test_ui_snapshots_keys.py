"""Footers at 80 columns: every key fits, and ? Help sits at the right end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backend.root import Charlie
from tests.helpers.ui import NOW, keys, make_app, seed

NARROW = (80, 24)


def test_home_footer_at_80_columns(snap_compare: Any, api: Charlie) -> None:
    seed(api, (NOW - timedelta(hours=1), "Rain", "It rained all day. #weather"))
    assert snap_compare(make_app(api), terminal_size=NARROW, run_before=keys())


def test_reader_footer_at_80_columns(snap_compare: Any, api: Charlie) -> None:
    seed(api, (NOW - timedelta(hours=1), "Rain", "It rained all day. #weather"))
    assert snap_compare(make_app(api), terminal_size=NARROW, run_before=keys("enter"))
