"""The date wording of the UI: sections, row dates and previews (no Textual needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ui import timeline

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)  # A Wednesday.


@pytest.mark.parametrize(
    ("when", "label"),
    [
        (datetime(2026, 3, 19, 9, 0, tzinfo=UTC), "Upcoming"),
        (datetime(2026, 3, 18, 23, 59, tzinfo=UTC), "This week"),
        (datetime(2026, 3, 16, 0, 0, tzinfo=UTC), "This week"),  # Monday.
        (datetime(2026, 3, 15, 23, 59, tzinfo=UTC), "Last week"),  # Sunday before.
        (datetime(2026, 3, 9, 0, 0, tzinfo=UTC), "Last week"),
        (datetime(2026, 3, 8, 23, 59, tzinfo=UTC), "March 2026"),
        (datetime(2026, 2, 28, 12, 0, tzinfo=UTC), "February 2026"),
        (datetime(2025, 12, 24, 20, 0, tzinfo=UTC), "December 2025"),
    ],
)
def test_section_label(when: datetime, label: str) -> None:
    assert timeline.section_label(when, NOW) == label


def test_section_uses_the_day_the_entry_was_written_on() -> None:
    # 23:30 on Sunday in UTC-5 is already Monday in UTC; the writer remembers Sunday.
    sunday_night = datetime(2026, 3, 15, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert timeline.section_label(sunday_night, NOW) == "Last week"


def test_row_and_long_dates() -> None:
    when = datetime(2026, 3, 2, 7, 5, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert timeline.row_date(when, NOW) == "Mon  2 Mar 07:05"
    assert timeline.long_date(when) == "Monday 2 March 2026, 07:05 (UTC+05:30)"
    assert timeline.long_date(NOW) == "Wednesday 18 March 2026, 10:00 (UTC)"
    assert timeline.editor_date(when) == "2026-03-02 07:05"
    next_year = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    assert timeline.row_date(next_year, NOW) == "Mon  4 Jan 2027"


def test_preview_text() -> None:
    assert timeline.preview_text("", "# Dinner\n\nPasta with **Ana**.\n- and Tom") == (
        "Dinner",
        "Pasta with Ana. and Tom",
    )
    assert timeline.preview_text("Title", "See [the map](https://x.y) in `notes`") == (
        "Title",
        "See the map in notes",
    )
    assert timeline.preview_text("", "") == ("", "")
