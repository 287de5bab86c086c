"""A journal through time: entries per day, streaks, words per week, on this day, the
journal's totals, the most mentioned people and places of a period, an entity's
mentions per month.

**Days are the writer's.** An entry belongs to the calendar day it was written on, in
the UTC offset it was written with (``entry_at`` + ``utc_offset``), as the home list
groups entries (ui/timeline.py): a Tuesday-evening entry written in Tokyo stays a
Tuesday entry when read in Lisbon. "Today" is the reader's, given by the caller. A
range of such days is read through the entry_at index with each end widened by the
widest UTC offset, and the day of each entry is computed and counted in the database,
so a year is a few hundred rows whatever the journal's size. Periods of "this month"
and "this year" (most mentioned) are the reader's months, as on the author's page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import MINYEAR, date, datetime, timedelta
from typing import Any

from backend.graph.cypher import Graph
from backend.graph.resolution import SELF_ID
from backend.graph.schema import SUMMARY_FIELDS, entity_ref, summary_from_row
from backend.graph.words import fill_missing
from backend.models import EntityRef, EntrySummary

_SHIFT = 62_135_596_800
"""Seconds from 0001-01-01 to 1970-01-01: added before dividing, so that Cypher's
integer division (which truncates) floors, even for entries dated before 1970."""
LOCAL_DAY = f"(e.entry_at + e.utc_offset * 60 + {_SHIFT}) / 86400"
"""The day an entry (bound to ``e``) was written on, as ``date.toordinal() - 1``."""
WIDEST_OFFSET = 14 * 3600
"""Seconds: no UTC offset is wider (UTC+14, Kiribati)."""
PEOPLE_AND_PLACES = ("Person", "Place")


@dataclass(frozen=True)
class Streaks:
    """Days written in a row, counted in the writer's days."""

    current: int
    """Days in a row up to today; today not written yet keeps yesterday's streak (0
    when neither today nor yesterday has an entry)."""
    longest: int
    """The most days in a row ever (up to today; entries dated later do not count)."""
    longest_end: date | None = None
    """The last day of the longest streak (the latest, when two are as long)."""


@dataclass(frozen=True)
class DayTotal:
    """One day that has entries: how many, and their words."""

    day: date
    entries: int
    words: int


@dataclass(frozen=True)
class MonthCount:
    """How many entries of one month mention something."""

    year: int
    month: int
    count: int


@dataclass(frozen=True)
class JournalStats:
    """A journal's totals, streaks and most mentioned people and places."""

    entries: int
    words: int
    days_written: int
    """Distinct days with at least one entry."""
    streaks: Streaks
    first_day: date | None
    """The day of the oldest entry (None: no entries)."""
    month_start: date
    """The first day of "this month" (the reader's)."""
    year_start: date
    this_month: dict[str, list[EntityRef]] = field(default_factory=dict)
    """Most mentioned people and places this month, by type ("Person", "Place")."""
    this_year: dict[str, list[EntityRef]] = field(default_factory=dict)


def _day(number: Any) -> date:
    return date.fromordinal(int(number) + 1)


def _midnight(day: date) -> int:
    """Epoch seconds of ``day``'s midnight in UTC."""
    return (day.toordinal() - date(1970, 1, 1).toordinal()) * 86400


def _bounds(start: date, end: date) -> dict[str, int]:
    """An entry_at range holding every entry written on a day in [start, end)."""
    return {"start": _midnight(start) - WIDEST_OFFSET, "end": _midnight(end) + WIDEST_OFFSET}


def day_counts(graph: Graph, start: date, end: date) -> dict[date, int]:
    """Entries per day written on, for the days in [start, end) that have any."""
    rows = graph.read(
        "MATCH (e:Episode) WHERE e.entry_at >= $start AND e.entry_at < $end "
        f"WITH {LOCAL_DAY} AS d RETURN d, count(*)",
        _bounds(start, end),
    )
    counts = {_day(r[0]): int(r[1]) for r in rows}
    return {day: n for day, n in counts.items() if start <= day < end}


def _day_words(graph: Graph, where: str, params: dict[str, Any]) -> tuple[list[DayTotal], int]:
    rows = graph.read(
        f"MATCH (e:Episode) {where} WITH {LOCAL_DAY} AS d, e.words AS w "
        "RETURN d, count(*), sum(w), count(w)",
        params,
    )
    totals = [DayTotal(_day(r[0]), int(r[1]), int(r[2] or 0)) for r in rows]
    return sorted(totals, key=lambda t: t.day), sum(int(r[1]) - int(r[3]) for r in rows)


def day_totals(graph: Graph) -> list[DayTotal]:
    """Every day with entries, oldest first, with its entries' words (counting, once,
    the words of entries stored without a count: see backend/graph/words.py)."""
    totals, missing = _day_words(graph, "", {})
    if missing:
        fill_missing(graph)
        totals, _ = _day_words(graph, "", {})
    return totals


def week_words(graph: Graph, start: date, end: date) -> list[tuple[date, int]]:
    """Words written per week (Monday to Sunday), for every whole week holding a day of
    [start, end), as (Monday, words), oldest first; weeks without entries are there
    with 0."""
    first, stop = _whole_weeks(start, end)
    bounds = _bounds(first, stop)
    where = "WHERE e.entry_at >= $start AND e.entry_at < $end"
    totals, missing = _day_words(graph, where, bounds)
    if missing:
        fill_missing(graph, start=bounds["start"], end=bounds["end"])
        totals, _ = _day_words(graph, where, bounds)
    return weekly(totals, start, end)


def _whole_weeks(start: date, end: date) -> tuple[date, date]:
    """The Monday on or before ``start`` and the Monday on or after ``end``."""
    return start - timedelta(days=start.weekday()), end + timedelta(days=(7 - end.weekday()) % 7)


def weekly(totals: Iterable[DayTotal], start: date, end: date) -> list[tuple[date, int]]:
    """The words of ``totals`` per week (Monday to Sunday), for every whole week holding
    a day of [start, end), as (Monday, words), oldest first, weeks without any with 0."""
    first, stop = _whole_weeks(start, end)
    weeks = {first + timedelta(days=7 * n): 0 for n in range((stop - first).days // 7)}
    for total in totals:
        if first <= total.day < stop:
            weeks[total.day - timedelta(days=total.day.weekday())] += total.words
    return list(weeks.items())


def streaks(days: Iterable[date], today: date) -> Streaks:
    """The current and longest streaks of ``days`` (days written on), as of ``today``."""
    written = sorted({d for d in days if d <= today})
    longest, longest_end, run = 0, None, 0
    for i, day in enumerate(written):
        run = run + 1 if i and written[i - 1] == day - timedelta(days=1) else 1
        if run >= longest:
            longest, longest_end = run, day
    current = run if written and written[-1] >= today - timedelta(days=1) else 0
    return Streaks(current=current, longest=longest, longest_end=longest_end)


def _summaries(
    graph: Graph, start: int, end: int, *, newest: bool = False, limit: int | None = None
) -> list[list[Any]]:
    """Rows of ``SUMMARY_FIELDS`` for entries with start <= entry_at < end, oldest (or
    ``newest``) first, at most ``limit``."""
    order = " DESC" if newest else ""
    cut = "" if limit is None else " LIMIT $limit"
    rows = graph.read(
        "MATCH (e:Episode) WHERE e.entry_at >= $start AND e.entry_at < $end WITH e "
        f"ORDER BY e.entry_at{order}, e.created_at{order}, e.id{order}{cut} "
        f"RETURN {SUMMARY_FIELDS}",
        {"start": start, "end": end, "limit": limit},
    )
    # Checked again: see Store's note on FalkorDB's index scans.
    return [r for r in rows if start <= r[3] < end]


def entries_on(graph: Graph, day: date) -> list[EntrySummary]:
    """The entries written on ``day``, oldest first."""
    bounds = _bounds(day, day + timedelta(days=1))
    rows = _summaries(graph, bounds["start"], bounds["end"])
    return [s for s in map(summary_from_row, rows) if s.entry_at.date() == day]


def entries_between(graph: Graph, start: int, end: int, *, limit: int) -> list[EntrySummary]:
    """The newest ``limit`` entries with ``start <= entry_at < end`` (epoch seconds),
    newest first."""
    return [summary_from_row(r) for r in _summaries(graph, start, end, newest=True, limit=limit)]


def on_this_day(graph: Graph, today: date) -> list[EntrySummary]:
    """Entries written on today's month and day in earlier years, newest first. On
    28 February of a year without a 29th, the 29ths of earlier years count too."""
    first_year = _first_year(graph, today.year - 1)
    if first_year is None:
        return []
    wanted: set[date] = set()
    for year in range(first_year, today.year):
        wanted.update(_same_day(year, today))
    if not wanted:
        return []
    ranges = [list(_bounds(day, day + timedelta(days=1)).values()) for day in sorted(wanted)]
    rows = graph.read(
        "UNWIND $ranges AS r MATCH (e:Episode) WHERE e.entry_at >= r[0] AND e.entry_at < r[1] "
        f"RETURN {SUMMARY_FIELDS}",
        {"ranges": ranges},
    )
    found = {s.id: (s, r[5]) for r in rows if (s := summary_from_row(r)).entry_at.date() in wanted}
    ordered = sorted(found.values(), key=lambda p: (p[0].entry_at, p[1], p[0].id), reverse=True)
    return [summary for summary, _ in ordered]


def _first_year(graph: Graph, last: int) -> int | None:
    """The first year, up to ``last``, that may hold entries (None: no entries written
    by the end of ``last``): found by halving with "is there an entry before the end
    of year Y" questions through the entry_at index, a dozen cheap reads."""

    def any_by_end_of(year: int) -> bool:
        end = _midnight(date(year + 1, 1, 1)) + WIDEST_OFFSET
        return bool(
            graph.read("MATCH (e:Episode) WHERE e.entry_at < $end RETURN 1 LIMIT 1", {"end": end})
        )

    if last < MINYEAR or not any_by_end_of(last):
        return None
    low, high = MINYEAR, last  # any_by_end_of(high) holds; find the least year it does.
    while low < high:
        middle = (low + high) // 2
        if any_by_end_of(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _same_day(year: int, today: date) -> list[date]:
    days = []
    try:
        days.append(today.replace(year=year))
    except ValueError:
        pass  # 29 February: that year has none.
    leap_day_missing = today.month == 2 and today.day == 28 and not _leap(today.year)
    if leap_day_missing and _leap(year):
        days.append(date(year, 2, 29))
    return days


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def mentions_by_month(graph: Graph, entity_id: str) -> list[MonthCount]:
    """How many entries mention the entity in each month written in, from its first
    month to its last (months between with none are there with 0)."""
    rows = graph.read(
        "MATCH (:Entity {id: $id})<-[:MENTIONS]-(e:Episode) "
        f"WITH {LOCAL_DAY} AS d RETURN d, count(*)",
        {"id": entity_id},
    )
    months: dict[tuple[int, int], int] = {}
    for r in rows:
        day = _day(r[0])
        months[(day.year, day.month)] = months.get((day.year, day.month), 0) + int(r[1])
    if not months:
        return []
    (year, month), last = min(months), max(months)
    out = []
    while (year, month) <= last:
        out.append(MonthCount(year, month, months.get((year, month), 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def ranked_mentions(
    graph: Graph,
    start: int,
    end: int,
    *,
    per_type: int,
    types: Sequence[str] | None = None,
    without_author: bool = False,
) -> dict[str, list[EntityRef]]:
    """Per type, the ``per_type`` entities mentioned by the most entries with
    ``start <= entry_at < end`` (ties by name), with those counts.

    Each entity's mentions are counted, but only the ones that can make a type's list
    (counts down to its ``per_type``-th) are sorted by name: a dense month has
    thousands of entities and reading and sorting all their names was most of its
    cost (2,800 entries of a month in a 100,000-entry journal: 12-15 ms instead of
    25-35). One MENTIONS edge per entry and entity, so ``count(*)`` counts entries."""
    filters = []
    if types is not None:
        filters.append("n.type IN $types")
    if without_author:
        filters.append("n.id <> $self")
    where = f"WHERE {' AND '.join(filters)} " if filters else ""
    rows = graph.read(
        "MATCH (e:Episode) WHERE e.entry_at >= $start AND e.entry_at < $end "
        f"MATCH (e)-[:MENTIONS]->(n) {where}WITH n, count(*) AS c "
        "WITH n.type AS t, c, n ORDER BY c DESC "
        "WITH t, collect([c, n]) AS ranked WITH t, ranked, ranked[$k - 1][0] AS least "
        "UNWIND ranked AS r WITH t, r WHERE least IS NULL OR r[0] >= least "
        "WITH t, r[0] AS c, r[1] AS n WITH t, c, n, n.name AS name ORDER BY c DESC, name "
        "RETURN n.id, name, t, c",
        {
            "start": start,
            "end": end,
            "k": max(1, per_type),
            "types": list(types or ()),
            "self": SELF_ID,
        },
    )
    found: dict[str, list[EntityRef]] = {t: [] for t in types or ()}
    for r in rows:
        refs = found.setdefault(r[2], [])
        if len(refs) < per_type:
            refs.append(entity_ref(r))
    return found


def journal_stats(
    graph: Graph, *, today: date, month: tuple[int, int], year: tuple[int, int], limit: int
) -> JournalStats:
    """The journal's totals and streaks as of ``today``, with the ``limit`` most
    mentioned people and places in the entry_at ranges ``month`` and ``year`` (the
    reader's this month and this year, as epoch-second ranges)."""
    totals = day_totals(graph)
    month_start = today.replace(day=1)
    return JournalStats(
        entries=sum(t.entries for t in totals),
        words=sum(t.words for t in totals),
        days_written=len(totals),
        streaks=streaks((t.day for t in totals), today),
        first_day=totals[0].day if totals else None,
        month_start=month_start,
        year_start=month_start.replace(month=1),
        this_month=ranked_mentions(
            graph, *month, per_type=limit, types=PEOPLE_AND_PLACES, without_author=True
        ),
        this_year=ranked_mentions(
            graph, *year, per_type=limit, types=PEOPLE_AND_PLACES, without_author=True
        ),
    )


def reader_ranges(now: datetime) -> tuple[tuple[int, int], tuple[int, int]]:
    """This month and this year of ``now`` (in its time zone) as epoch-second ranges."""
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    year = month.replace(month=1)
    return (
        (int(month.timestamp()), int(following.timestamp())),
        (int(year.timestamp()), int(year.replace(year=year.year + 1).timestamp())),
    )
