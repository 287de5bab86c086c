"""One journal through time: the calendar's days, streaks, words per week, on this day,
the month's entries, stats and an entity's mentions per month.

An entry's day is the day it was written on, in the UTC offset it was written with;
"today" is the reader's (the machine's local time zone unless the caller gives it):
see backend/graph/time_views.py.
"""

from __future__ import annotations

from datetime import MAXYEAR, MINYEAR, date, datetime

from backend.errors import ValidationError
from backend.graph import time_views
from backend.graph.cypher import Graph
from backend.graph.time_views import DayTotal, JournalStats, MonthCount, Streaks
from backend.graph.words import word_count
from backend.models import EntrySummary
from backend.services.friendly import friendly_errors
from backend.shared import JournalService
from backend.validation import local_zone

__all__ = [
    "DayTotal",
    "JournalStats",
    "MonthCount",
    "Streaks",
    "TimeViews",
    "counts_in",
    "streaks_of",
    "today",
    "weeks_in",
    "word_count",
]

MONTH_ENTRIES = 300
"""The most entries the month view lists (a dense month holds thousands)."""


def today() -> date:
    """Today in the machine's local time zone."""
    return datetime.now(local_zone()).date()


def counts_in(totals: list[DayTotal], year: int) -> dict[date, int]:
    """Entries per day of ``year`` (days with any), from ``journal_days``."""
    return {t.day: t.entries for t in totals if t.day.year == year}


def weeks_in(totals: list[DayTotal], year: int) -> list[tuple[date, int]]:
    """Words per week (Monday first) of the weeks holding ``year``'s days."""
    return time_views.weekly(totals, date(year, 1, 1), date(year + 1, 1, 1))


def streaks_of(totals: list[DayTotal], on: date) -> Streaks:
    """The current and longest streaks as of ``on``, from ``journal_days``."""
    return time_views.streaks((t.day for t in totals), on)


def _check_year(year: int) -> None:
    # One year of margin each side: ranges reach into the neighbouring years.
    if not MINYEAR < year < MAXYEAR:
        raise ValidationError(f"{year} is not a year Charlie can show.")


@friendly_errors
class TimeViews(JournalService):
    """Read-only views of one journal by day, week, month and year."""

    def _graph(self) -> Graph:
        return self._backend.store.graph(self._journal)

    def days(self, year: int) -> dict[date, int]:
        """How many entries were written on each day of ``year`` that has any."""
        _check_year(year)
        return time_views.day_counts(self._graph(), date(year, 1, 1), date(year + 1, 1, 1))

    def journal_days(self) -> list[DayTotal]:
        """Every day with entries, oldest first, with its entries and words: all the
        calendar needs in one reading (``counts_in``, ``weeks_in`` and ``streaks_of``
        cut it into a year, its weeks and the streaks)."""
        return time_views.day_totals(self._graph())

    def streaks(self, on: date | None = None) -> Streaks:
        """The current and longest streaks of days written, as of ``on`` (default today)."""
        totals = time_views.day_totals(self._graph())
        return time_views.streaks((t.day for t in totals), on or today())

    def words_per_week(self, start: date, end: date) -> list[tuple[date, int]]:
        """Words written in each week (Monday first) holding a day of [start, end)."""
        _check_year(start.year)
        _check_year(end.year)
        if end <= start:
            raise ValidationError("The end of the span must come after its start.")
        return time_views.week_words(self._graph(), start, end)

    def on_this_day(self, on: date | None = None) -> list[EntrySummary]:
        """Entries written on this month and day in earlier years, newest first."""
        day = on or today()
        _check_year(day.year)
        return time_views.on_this_day(self._graph(), day)

    def entries_on(self, day: date) -> list[EntrySummary]:
        """The entries written on ``day``, oldest first."""
        _check_year(day.year)
        return time_views.entries_on(self._graph(), day)

    def month_entries(
        self, year: int, month: int, *, limit: int = MONTH_ENTRIES
    ) -> list[EntrySummary]:
        """The newest ``limit`` entries of a month (in local time, as the month view
        counts them), newest first."""
        if not 1 <= month <= 12:
            raise ValidationError(f"{year}-{month:02} is not a month.")
        _check_year(year)
        zone = local_zone()
        start = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        return time_views.entries_between(
            self._graph(), int(start.timestamp()), int(end.timestamp()), limit=limit
        )

    def stats(self, *, now: datetime | None = None, limit: int = 5) -> JournalStats:
        """Entries, words, days written, streaks, and the ``limit`` most mentioned
        people and places this month and this year (of ``now``, default the machine's
        local time; its date is "today" for the streaks)."""
        moment = now or datetime.now(local_zone())
        _check_year(moment.year)
        month, year = time_views.reader_ranges(moment)
        return time_views.journal_stats(
            self._graph(), today=moment.date(), month=month, year=year, limit=limit
        )

    def mentions_by_month(self, entity_id: str) -> list[MonthCount]:
        """Entries mentioning the entity per month, from its first month to its last."""
        return time_views.mentions_by_month(self._graph(), entity_id)
