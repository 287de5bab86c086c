"""The time views in the app: the calendar screen (heatmap, cursor, a day's entries, the
reader), "on this day" on the home screen, the month view's entries and an entity's
mentions over time. The app's clock is the fixed NOW (Wednesday 18 March 2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from textual.widgets import Sparkline

from backend.root import Charlie
from tests.helpers.graph import Lexicon, enrich_all, entity
from tests.helpers.ui import NOW, SIZE, make_app, open_entity, seed, settle, static_text
from ui.screens.calendar import CalendarScreen
from ui.screens.period import PeriodScreen
from ui.screens.reader import ReaderScreen
from ui.widgets.entry_list import EntryList
from ui.widgets.heatmap import YearHeatmap, heatmap_lines, level, month_grid
from ui.widgets.on_this_day import OnThisDay


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def listed(app: object, selector: str) -> list[str]:
    entries = app.screen.query_one(selector, EntryList)  # type: ignore[attr-defined]
    return [o.id for o in entries.options if o.id is not None]


# -- the pictures ----------------------------------------------------------------------


def test_levels_grow_with_entries_up_to_the_busiest_day() -> None:
    assert [level(n, 8) for n in (0, 1, 2, 3, 4, 6, 8)] == [0, 1, 1, 2, 2, 3, 4]
    assert level(1, 1) == 4 and level(0, 0) == 0


def test_heatmap_has_weeks_as_columns_and_months_above() -> None:
    lines = [line.plain for line in heatmap_lines(2026, {date(2026, 1, 5): 1}, None)]
    assert len(lines) == 9  # Months, seven weekdays, the legend.
    assert lines[0].split() == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                                "Oct", "Nov", "Dec"]  # fmt: skip
    # 1 January 2026 is a Thursday: the first column starts on Monday 29 December 2025,
    # which is not drawn.
    assert lines[1].startswith("Mon  ■") and lines[4].startswith("    ■")
    assert all(len(line.rstrip()) <= 4 + 53 for line in lines[1:8])


def test_month_grid_is_a_calendar_page() -> None:
    page = month_grid(2026, 3, {}, date(2026, 3, 18)).plain.splitlines()
    assert page[1] == "Mo Tu We Th Fr Sa Su"
    assert page[2] == "                   1"  # 1 March 2026 is a Sunday.
    assert page[3] == " 2  3  4  5  6  7  8"
    assert page[-1] == "30 31"


# -- the calendar screen ---------------------------------------------------------------


async def test_calendar_opens_and_shows_the_year_and_streaks(api: Charlie) -> None:
    today = NOW.date()
    seed(
        api,
        (noon(today - timedelta(days=1)), "Yesterday", "One two three."),
        (noon(today - timedelta(days=2)), "Before", "Four."),
        (noon(today - timedelta(days=2)) + timedelta(hours=2), "Again", "Five six."),
        (noon(date(2025, 6, 1)), "Last year", "Old."),
    )
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)
        heatmap = app.screen.query_one(YearHeatmap)
        assert heatmap.year == 2026 and heatmap.cursor == today
        assert heatmap.counts == {today - timedelta(days=1): 1, today - timedelta(days=2): 2}
        assert static_text(app, "#calendar-title") == "2026 · 3 entries on 2 days"
        streaks = static_text(app, "#calendar-streaks")
        assert streaks == "Streak: 2 days · longest 2 days, to 17 Mar 2026"
        words = app.screen.query_one("#calendar-words", Sparkline).data
        assert words is not None and len(words) == 53 and sum(words) == 9  # Titles count.
        # F9 opens it from anywhere; on the calendar it stays one screen.
        await pilot.press("f9")
        await settle(pilot)
        assert len(app.screen_stack) == 2
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CalendarScreen)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)


async def test_cursor_moves_and_enter_lists_a_days_entries_then_opens_one(api: Charlie) -> None:
    day = NOW.date() - timedelta(days=8)  # Tuesday the 10th: a week and a day back.
    early, late, _ = seed(
        api,
        (noon(day) - timedelta(hours=3), "Early", "Morning."),
        (noon(day) + timedelta(hours=6), "Late", "Evening."),
        (noon(day + timedelta(days=1)), "Next day", "Other."),
    )
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        heatmap = app.screen.query_one(YearHeatmap)
        await pilot.press("left")  # A week back: the 11th.
        assert heatmap.cursor == NOW.date() - timedelta(days=7)
        await pilot.press("up")  # A day back: the 10th.
        assert heatmap.cursor == day
        assert "10" in str(static_text(app, "#calendar-month"))
        await pilot.press("enter")
        await settle(pilot)
        assert static_text(app, "#calendar-day-title") == "Tuesday 10 March 2026 · 2 entries"
        assert listed(app, "#calendar-entries") == [late.id, early.id]  # Newest first.
        assert isinstance(app.screen.focused, EntryList)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen) and app.screen.entry_id == late.id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CalendarScreen)
        # Esc from the day's list goes back to the heatmap, then leaves.
        await pilot.press("escape")
        assert isinstance(app.screen.focused, YearHeatmap)
        # A day without entries says so.
        await pilot.press("down", "down", "down", "down", "down", "down", "enter")
        await settle(pilot)
        title = static_text(app, "#calendar-day-title")
        assert title == "Monday 16 March 2026 · no entries"
        assert not app.screen.query_one("#calendar-entries").display


async def test_brackets_change_the_year_and_the_cursor_stays_in_it(api: Charlie) -> None:
    seed(api, (noon(date(2025, 3, 18)), "A year ago", "Then."))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        heatmap = app.screen.query_one(YearHeatmap)
        assert heatmap.year == 2025 and heatmap.cursor == date(2025, 3, 18)
        assert heatmap.counts == {date(2025, 3, 18): 1}
        assert static_text(app, "#calendar-title") == "2025 · 1 entry on 1 day"
        for _ in range(60):
            await pilot.press("right")
        assert heatmap.cursor.year == 2025  # Stops at the year's last week.
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert heatmap.year == 2026


async def test_calendar_follows_entries_written_elsewhere(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        heatmap = app.screen.query_one(YearHeatmap)
        assert heatmap.counts == {}
        api.journal().entries.add("From the CLI.", entry_at=noon(NOW.date()))
        from tests.helpers.ui import wait_for

        await wait_for(pilot, lambda: heatmap.counts == {NOW.date(): 1}, "the new day")


# -- on this day -----------------------------------------------------------------------


async def test_on_this_day_shows_only_when_earlier_years_have_entries(api: Charlie) -> None:
    seed(api, (NOW - timedelta(days=1), "Yesterday", "Not this date."))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        widget = app.home.query_one(OnThisDay)
        assert not widget.display and widget.option_count == 0


async def test_on_this_day_lists_earlier_years_and_opens_an_entry(api: Charlie) -> None:
    older, newer, _ = seed(
        api,
        (noon(date(2023, 3, 18)), "Snow on the lake", "Cold."),
        (noon(date(2025, 3, 18)), "", "Rain all day."),
        (NOW - timedelta(hours=1), "Today", "Now."),
    )
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        widget = app.home.query_one(OnThisDay)
        assert widget.display
        assert widget.entry_ids() == [newer.id, older.id]
        rows = [str(widget.get_option_at_index(i).prompt) for i in range(2)]
        assert rows == [
            "On this day, 1 year ago (2025): Rain all day.",
            "On this day, 3 years ago (2023): Snow on the lake",
        ]
        widget.focus()
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen) and app.screen.entry_id == older.id


# -- the month view's entries and an entity's months --------------------------------


async def test_month_view_lists_the_months_entries_and_opens_one(api: Charlie) -> None:
    first, second, _ = seed(
        api,
        (datetime(2026, 3, 2, 9, tzinfo=UTC), "Walk", "With Sarah."),
        (datetime(2026, 3, 10, 9, tzinfo=UTC), "Dinner", "At Luigi's."),
        (datetime(2026, 2, 14, 9, tzinfo=UTC), "Skating", "In February."),
    )
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PeriodScreen)
        assert listed(app, "#period-entries") == [second.id, first.id]
        app.screen.query_one("#period-entries", EntryList).focus()
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen) and app.screen.entry_id == first.id
        await pilot.press("escape", "right_square_bracket")
        await settle(pilot)
        assert not app.screen.query_one("#period-entries-pane").display  # April: none.


async def test_entity_page_draws_mentions_per_month(api: Charlie) -> None:
    seed(
        api,
        (datetime(2025, 12, 3, 9, tzinfo=UTC), "", "Ana came by."),
        (datetime(2026, 2, 10, 9, tzinfo=UTC), "", "Ana again."),
        (datetime(2026, 2, 11, 9, tzinfo=UTC), "", "And Ana."),
    )
    enrich_all(api, extractor=Lexicon({"Ana": "Person"}))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_entity(pilot, entity(api, "Ana"))
        line = app.screen.query_one("#entity-sparkline", Sparkline)
        assert line.display and line.data == [1, 0, 2]
        caption = static_text(app, "#entity-months")
        assert caption == "Mentions per month, Dec 2025 – Feb 2026 (most: 2)"
