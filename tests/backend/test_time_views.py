"""The journal through time (backend/graph/time_views.py, backend/services/time.py): days
written, streaks, words per week, on this day, a day's and a month's entries, stats and
an entity's mentions per month, on a real embedded FalkorDB."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from backend.errors import ValidationError
from backend.graph.time_views import ranked_mentions, streaks
from backend.graph.words import word_count
from backend.root import Charlie
from backend.services.time import counts_in, streaks_of, weeks_in
from tests.helpers.graph import Lexicon, enrich_all

NOON = timedelta(hours=12)
NEW_YORK = timezone(timedelta(hours=-5))
TOKYO = timezone(timedelta(hours=9))


def at(day: date, hours: float = 12, zone: timezone = UTC) -> datetime:
    """``day`` at ``hours`` o'clock in ``zone``."""
    return datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(hours=hours)


def write(api: Charlie, when: datetime, body: str = "A day.", title: str = "") -> str:
    return api.journal().entries.add(body, title=title, entry_at=when).id


# -- streaks (the rule itself) ---------------------------------------------------------


def days_back(today: date, *offsets: int) -> list[date]:
    return [today - timedelta(days=n) for n in offsets]


def test_today_not_written_yet_keeps_yesterdays_streak() -> None:
    today = date(2026, 3, 18)
    result = streaks(days_back(today, 1, 2, 3), today)
    assert (result.current, result.longest) == (3, 3)
    assert result.longest_end == date(2026, 3, 17)


def test_writing_today_extends_the_streak() -> None:
    today = date(2026, 3, 18)
    assert streaks(days_back(today, 0, 1, 2, 3), today).current == 4


def test_a_missed_day_ends_the_current_streak() -> None:
    today = date(2026, 3, 18)
    result = streaks(days_back(today, 2, 3, 4), today)
    assert result.current == 0
    assert result.longest == 3


def test_gaps_split_streaks_and_the_longest_is_kept() -> None:
    today = date(2026, 3, 18)
    # 10..14 days ago (5 in a row), a gap, then 0..1 (2 in a row).
    result = streaks(days_back(today, 0, 1, 10, 11, 12, 13, 14), today)
    assert (result.current, result.longest) == (2, 5)
    assert result.longest_end == today - timedelta(days=10)


def test_days_after_today_do_not_count_and_no_days_is_no_streak() -> None:
    today = date(2026, 3, 18)
    assert streaks([today + timedelta(days=1), today + timedelta(days=2)], today).longest == 0
    assert streaks([], today) == streaks([], today)
    assert streaks([], today).current == 0 and streaks([], today).longest_end is None


def test_several_entries_on_one_day_are_one_day() -> None:
    today = date(2026, 3, 18)
    assert streaks([today, today, today - timedelta(days=1)], today).current == 2


# -- days written (the writer's calendar day) -----------------------------------------


def test_days_of_a_year_count_entries_per_day(api: Charlie) -> None:
    day = date(2025, 6, 3)
    write(api, at(day, 8))
    write(api, at(day, 20))
    write(api, at(date(2025, 1, 1), 0.5))
    write(api, at(date(2024, 12, 31), 23.5))  # The year before: not counted.
    write(api, at(date(2026, 1, 1), 0.5))  # The year after: not counted.
    assert api.journal().time.days(2025) == {day: 2, date(2025, 1, 1): 1}


def test_an_entry_counts_on_the_day_it_was_written_in_its_own_offset(api: Charlie) -> None:
    """23:30 in New York on 31 December is already 1 January in UTC (and in the reader's
    zone here): it still counts on the 31st, the day the writer lived."""
    write(api, at(date(2025, 12, 31), 23.5, NEW_YORK))
    # 07:00 in Tokyo on 1 January is still 31 December in UTC: it counts on the 1st.
    write(api, at(date(2026, 1, 1), 7, TOKYO))
    assert api.journal().time.days(2025) == {date(2025, 12, 31): 1}
    assert api.journal().time.days(2026) == {date(2026, 1, 1): 1}


def test_streaks_read_from_the_journal(api: Charlie) -> None:
    today = date(2026, 3, 18)
    for n in (1, 2, 3, 7, 8):
        write(api, at(today - timedelta(days=n), 9))
    result = api.journal().time.streaks(today)
    assert (result.current, result.longest) == (3, 3)  # The 15th to the 17th.
    assert result.longest_end == today - timedelta(days=1)
    # 23:00 on the 14th in New York is the 15th in UTC: it is the writer's 14th, and
    # joins the streak.
    write(api, at(today - timedelta(days=4), 23, NEW_YORK))
    assert api.journal().time.streaks(today).current == 4
    assert api.journal().time.streaks(today + timedelta(days=2)).current == 0


def test_a_time_zone_can_join_or_break_a_streak(api: Charlie) -> None:
    """Two entries on one UTC day (the 16th, 02:00 and 16:00) are on two days for a
    writer in Tokyo (11:00 on the 16th, 01:00 on the 17th): a two-day streak."""
    write(api, datetime(2026, 3, 16, 2, 0, tzinfo=UTC).astimezone(TOKYO))
    write(api, datetime(2026, 3, 16, 16, 0, tzinfo=UTC).astimezone(TOKYO))
    assert api.journal().time.streaks(date(2026, 3, 17)).current == 2
    assert api.journal().time.days(2026) == {date(2026, 3, 16): 1, date(2026, 3, 17): 1}


# -- words -----------------------------------------------------------------------------


def test_word_count_rule() -> None:
    assert word_count("A day", "# Heading\n- don't stop, well-known café! 42 _x_") == 9


def test_words_per_week_uses_counts_stored_on_save_and_edit(api: Charlie) -> None:
    monday = date(2026, 3, 2)
    first = api.journal().entries.add("one two three", title="Title", entry_at=at(monday))
    write(api, at(monday + timedelta(days=6)), "four five")  # Sunday: the same week.
    write(api, at(monday + timedelta(days=14)), "six")  # Two weeks on.
    span = api.journal().time.words_per_week(monday, monday + timedelta(days=21))
    assert span == [
        (monday, 6),
        (monday + timedelta(days=7), 0),
        (monday + timedelta(days=14), 1),
    ]
    api.journal().entries.edit(first.id, body="just one", title="", expected_revision=1)
    assert api.journal().time.words_per_week(monday, monday + timedelta(days=1)) == [(monday, 4)]


def test_entries_without_a_stored_count_are_counted_once(api: Charlie) -> None:
    """Entries from before counts were stored get theirs the first time a total needs
    them, and keep it."""
    monday = date(2026, 3, 2)
    write(api, at(monday), "a b c")
    write(api, at(monday, 14), "d e")
    graph = api.backend.store.graph(api.journals.get())
    graph.query("MATCH (e:Episode) REMOVE e.words")
    assert api.journal().time.words_per_week(monday, monday + timedelta(days=1)) == [(monday, 5)]
    stored = graph.read("MATCH (e:Episode) RETURN e.words ORDER BY e.words")
    assert stored == [[2], [3]]
    graph.query("MATCH (e:Episode) WHERE e.words = 2 REMOVE e.words")
    assert api.journal().time.stats(now=at(monday)).words == 5


# -- on this day -----------------------------------------------------------------------


def test_on_this_day_lists_earlier_years_newest_first(api: Charlie) -> None:
    today = date(2026, 3, 18)
    oldest = write(api, at(date(2019, 3, 18), 9))
    older = write(api, at(date(2024, 3, 18), 8))
    newer = write(api, at(date(2024, 3, 18), 21))
    write(api, at(today, 9))  # This year: not "on this day".
    write(api, at(date(2025, 3, 17), 12))  # Another day.
    write(api, at(date(2025, 3, 19), 0.5, TOKYO))  # The 18th in UTC, the 19th where written.
    found = api.journal().time.on_this_day(today)
    assert [s.id for s in found] == [newer, older, oldest]


def test_on_this_day_is_empty_without_such_entries(api: Charlie) -> None:
    assert api.journal().time.on_this_day(date(2026, 3, 18)) == []
    write(api, at(date(2026, 3, 18)))
    assert api.journal().time.on_this_day(date(2026, 3, 18)) == []


def test_leap_days_show_on_the_28th_of_other_years(api: Charlie) -> None:
    leap = write(api, at(date(2024, 2, 29)))
    assert [s.id for s in api.journal().time.on_this_day(date(2025, 2, 28))] == [leap]
    assert api.journal().time.on_this_day(date(2028, 2, 28)) == []  # 2028 has its own 29th.
    assert [s.id for s in api.journal().time.on_this_day(date(2028, 2, 29))] == [leap]


# -- a day's and a month's entries ----------------------------------------------------


def test_entries_on_a_day_oldest_first(api: Charlie) -> None:
    day = date(2026, 3, 10)
    late = write(api, at(day, 22), title="late")
    early = write(api, at(day, 6), title="early")
    write(api, at(day + timedelta(days=1), 6))
    in_new_york = write(api, at(day, 23, NEW_YORK), title="evening in New York")
    assert [s.id for s in api.journal().time.entries_on(day)] == [early, late, in_new_york]


def test_month_entries_newest_first_and_capped(api: Charlie) -> None:
    ids = [write(api, at(date(2026, 2, day))) for day in (20, 3, 11)]
    write(api, at(date(2026, 3, 1)))
    write(api, at(date(2026, 1, 31), 23.5))
    listed = api.journal().time.month_entries(2026, 2)
    assert [s.id for s in listed] == [ids[0], ids[2], ids[1]]
    assert [s.id for s in api.journal().time.month_entries(2026, 2, limit=2)] == [ids[0], ids[2]]
    with pytest.raises(ValidationError):
        api.journal().time.month_entries(2026, 13)


# -- stats and mentions ----------------------------------------------------------------

LEXICON = Lexicon({"Ana": "Person", "Tom": "Person", "Lisbon": "Place", "choir": "Group"})


def test_stats(api: Charlie) -> None:
    now = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)
    write(api, now - timedelta(days=1), "Ana and Tom in Lisbon.")
    write(api, now - timedelta(days=2), "Ana sang in the choir.")
    write(api, now - timedelta(days=2, hours=1), "Ana again.")
    write(api, datetime(2026, 1, 5, 9, tzinfo=UTC), "Tom in Lisbon, then Tom.")
    write(api, datetime(2025, 7, 1, 9, tzinfo=UTC), "Lisbon with Tom.")
    enrich_all(api, extractor=LEXICON)
    stats = api.journal().time.stats(now=now, limit=1)
    assert (stats.entries, stats.words, stats.days_written) == (5, 20, 4)
    assert (stats.streaks.current, stats.streaks.longest) == (2, 2)
    assert stats.first_day == date(2025, 7, 1)
    assert (stats.month_start, stats.year_start) == (date(2026, 3, 1), date(2026, 1, 1))
    month = {t: [(r.name, r.count) for r in refs] for t, refs in stats.this_month.items()}
    year = {t: [(r.name, r.count) for r in refs] for t, refs in stats.this_year.items()}
    assert month == {"Person": [("Ana", 3)], "Place": [("Lisbon", 1)]}
    assert year == {"Person": [("Ana", 3)], "Place": [("Lisbon", 2)]}


def test_stats_of_an_empty_journal(api: Charlie) -> None:
    stats = api.journal().time.stats(now=datetime(2026, 3, 18, tzinfo=UTC))
    assert (stats.entries, stats.words, stats.days_written, stats.first_day) == (0, 0, 0, None)
    assert stats.streaks.current == stats.streaks.longest == 0
    assert stats.this_month == {"Person": [], "Place": []}


def test_mentions_by_month_fill_the_months_between(api: Charlie) -> None:
    write(api, datetime(2025, 11, 3, 9, tzinfo=UTC), "Ana.")
    write(api, datetime(2025, 11, 20, 9, tzinfo=UTC), "Ana again.")
    write(api, datetime(2026, 2, 1, 9, tzinfo=UTC), "Ana in Lisbon.")
    write(api, datetime(2025, 12, 31, 23, tzinfo=NEW_YORK), "Lisbon.")
    enrich_all(api, extractor=LEXICON)
    ana = api.journal().graph.find_entity("Ana")
    lisbon = api.journal().graph.find_entity("Lisbon")
    assert ana is not None and lisbon is not None
    counts = [(m.year, m.month, m.count) for m in api.journal().time.mentions_by_month(ana.id)]
    assert counts == [(2025, 11, 2), (2025, 12, 0), (2026, 1, 0), (2026, 2, 1)]
    counts = [(m.year, m.month, m.count) for m in api.journal().time.mentions_by_month(lisbon.id)]
    assert counts == [(2025, 12, 1), (2026, 1, 0), (2026, 2, 1)]
    assert api.journal().time.mentions_by_month("no-such-entity") == []


def test_period_lists_the_most_mentioned_with_ties_by_name(api: Charlie) -> None:
    """The month view's ranking (time_views.ranked_mentions): counts, then names, cut
    per type, with every type present."""
    when = datetime(2026, 2, 10, 9, tzinfo=UTC)
    write(api, when, "Tom and Ana.")
    write(api, when + timedelta(days=1), "Tom.")
    write(api, when + timedelta(days=2), "Lisbon.")
    enrich_all(api, extractor=LEXICON)
    summary = api.journal().graph.period(2026, 2)
    people = [(r.name, r.count) for r in summary.entities["Person"]]
    assert people == [("Tom", 2), ("Ana", 1)]
    assert [r.name for r in summary.entities["Place"]] == ["Lisbon"]
    assert summary.entities["Group"] == [] and summary.entities["Activity"] == []
    assert summary.entry_count == 3
    graph = api.backend.store.graph(api.journals.get())
    start, end = int(when.timestamp()), int((when + timedelta(days=1)).timestamp())
    tied = ranked_mentions(graph, start, end, per_type=1)  # Tom and Ana: one entry each.
    assert [(r.name, r.count) for r in tied["Person"]] == [("Ana", 1)]


def test_years_out_of_range_are_refused_in_words(api: Charlie) -> None:
    with pytest.raises(ValidationError, match="not a year"):
        api.journal().time.days(9999)
    with pytest.raises(ValidationError):
        api.journal().time.words_per_week(date(2026, 3, 2), date(2026, 3, 1))


def test_journal_days_serve_every_year_of_the_calendar(api: Charlie) -> None:
    """The calendar reads every day once and cuts it into a year, its weeks and the
    streaks (backend/services/time.py)."""
    write(api, at(date(2025, 12, 31), 9), "one two")
    write(api, at(date(2026, 1, 1), 9), "three")
    write(api, at(date(2026, 1, 1), 10), "four five six")
    totals = api.journal().time.journal_days()
    assert [(t.day, t.entries, t.words) for t in totals] == [
        (date(2025, 12, 31), 1, 2),
        (date(2026, 1, 1), 2, 4),
    ]
    assert counts_in(totals, 2026) == {date(2026, 1, 1): 2}
    assert counts_in(totals, 2025) == {date(2025, 12, 31): 1}
    # 1 January 2026 is a Thursday: its week (from Monday 29 December) holds both days.
    assert weeks_in(totals, 2026)[0] == (date(2025, 12, 29), 6)
    assert len(weeks_in(totals, 2026)) == 53
    assert streaks_of(totals, date(2026, 1, 2)).current == 2
