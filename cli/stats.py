"""`charlie stats` and `charlie onthisday`: the journal through time, from a shell.

Days are the writer's (the day an entry was written on, in the offset it was written
with); "today" and "this month/year" are this machine's (backend/services/time.py).
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.models import EntityRef, EntrySummary
    from backend.root import Charlie
    from backend.services.time import JournalStats

MONTHS = (
    "January February March April May June July August September October November December"
).split()
"""Spelled out here, not by strftime, so the locale does not change the output."""
LISTS = (("Person", "people", "People"), ("Place", "places", "Places"))
"""(type, JSON key, heading) of the most mentioned lists."""


def iso_day(text: str) -> date:
    """``--date`` as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-18") from None


def register(sub: Any) -> None:
    """Add ``charlie stats`` and ``onthisday``."""
    p = sub.add_parser(
        "stats", help="entries, words, days written, streaks, most mentioned this month/year"
    )
    p.add_argument("--limit", "-n", type=int, default=5, help="names per list (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--journal", "-j", help="journal name (default: the default journal)")
    p.set_defaults(func=cmd_stats, needs_api=True)

    p = sub.add_parser("onthisday", help="entries written on this day in earlier years")
    p.add_argument("--date", "-d", type=iso_day, help="the day to look back from (default: today)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--journal", "-j", help="journal name (default: the default journal)")
    p.set_defaults(func=cmd_onthisday, needs_api=True)


def plural(count: int, word: str) -> str:
    """'1 day', '2 days'."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def _refs(refs: list[EntityRef]) -> list[dict[str, Any]]:
    return [{"id": r.id, "name": r.name, "entries": r.count} for r in refs]


def stats_json(stats: JournalStats, journal: str) -> dict[str, Any]:
    """The shape `charlie stats --json` prints (documented in the README)."""

    def period(start: date, found: dict[str, list[EntityRef]]) -> dict[str, Any]:
        lists = {key: _refs(found.get(type_, [])) for type_, key, _ in LISTS}
        return {"start": start.isoformat(), **lists}

    streaks = stats.streaks
    return {
        "journal": journal,
        "entries": stats.entries,
        "words": stats.words,
        "days_written": stats.days_written,
        "first_day": stats.first_day.isoformat() if stats.first_day else None,
        "streak": {
            "current": streaks.current,
            "longest": streaks.longest,
            "longest_end": streaks.longest_end.isoformat() if streaks.longest_end else None,
        },
        "this_month": period(stats.month_start, stats.this_month),
        "this_year": period(stats.year_start, stats.this_year),
    }


def cmd_stats(charlie: Charlie, args: argparse.Namespace) -> int:
    here = charlie.journal(args.journal)
    stats = here.time.stats(limit=max(0, args.limit))
    if args.json:
        print(json.dumps(stats_json(stats, here.name), ensure_ascii=False, indent=2))
        return 0
    streaks = stats.streaks
    since = f" (since {stats.first_day.isoformat()})" if stats.first_day else ""
    longest = f"longest {plural(streaks.longest, 'day')}"
    if streaks.longest_end is not None:
        longest += f", ended {streaks.longest_end.isoformat()}"
    lines = [
        f"“{here.name}”",
        f"Entries       {stats.entries:,}",
        f"Words         {stats.words:,}",
        f"Days written  {stats.days_written:,}{since}",
        f"Streak        {plural(streaks.current, 'day')} ({longest})",
    ]
    for heading, found in (
        (
            f"This month ({MONTHS[stats.month_start.month - 1]} {stats.month_start.year})",
            stats.this_month,
        ),
        (f"This year ({stats.year_start.year})", stats.this_year),
    ):
        lines.append(heading)
        for type_, _, label in LISTS:
            names = ", ".join(f"{r.name} ({r.count})" for r in found.get(type_, []))
            lines.append(f"  {label:<7} {names or 'none'}")
    print("\n".join(lines))
    return 0


def onthisday_json(entries: list[EntrySummary], day: date) -> list[dict[str, Any]]:
    """The shape `charlie onthisday --json` prints (documented in the README)."""
    return [
        {
            "id": e.id,
            "title": e.display_title,
            "preview": e.preview,
            "date": e.entry_at.isoformat(),
            "years_ago": day.year - e.entry_at.year,
        }
        for e in entries
    ]


def cmd_onthisday(charlie: Charlie, args: argparse.Namespace) -> int:
    from backend.services.time import today

    day = args.date or today()
    entries = charlie.journal(args.journal).time.on_this_day(day)
    if args.json:
        print(json.dumps(onthisday_json(entries, day), ensure_ascii=False, indent=2))
        return 0
    heading = f"On {day.day} {MONTHS[day.month - 1]} in earlier years:"
    if not entries:
        print(f"{heading} none")
        return 0
    print(heading)
    for e in entries:
        ago = plural(day.year - e.entry_at.year, "year") + " ago"
        print(f"{e.id}  {e.entry_at:%Y-%m-%d %H:%M}  {ago:<13} {e.display_title}")
    return 0
