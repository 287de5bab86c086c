"""How the UI words dates: section names for the entry list, row dates, the editor's field.

Pure functions with no Textual in them, so they are easy to test and reuse. Names of
days and months are spelled out here rather than taken from ``strftime`` because the
locale would otherwise change what the screen (and every snapshot) shows.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAYS = tuple(name[:3] for name in WEEKDAYS)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

EDITOR_FORMAT = "%Y-%m-%d %H:%M"
"""The format the editor's date field is prefilled with (parse_entry_date reads it back)."""


def week_start(day: date) -> date:
    """The Monday of the week holding ``day``."""
    return day - timedelta(days=day.weekday())


def section_label(when: datetime, now: datetime) -> str:
    """The divider an entry sits under: "This week", "Last week" or "March 2026".

    Entries are grouped by the calendar day they were written on, in the offset they
    were written in, because that is the day the writer remembers; ``now`` supplies
    today in the reader's own zone.
    """
    day = when.date()
    today = now.date()
    this_monday = week_start(today)
    if day > today:
        return "Upcoming"
    if day >= this_monday:
        return "This week"
    if day >= this_monday - timedelta(days=7):
        return "Last week"
    return f"{MONTHS[day.month - 1]} {day.year}"


def row_date(when: datetime, now: datetime) -> str:
    """A short, fixed-width date for a list row, e.g. "Wed 18 Mar 10:00".

    The year is left out because the section above the row names it, except for
    entries dated in another year that sit under "Upcoming".
    """
    text = f"{DAYS[when.weekday()]} {when.day:2d} {MONTHS[when.month - 1][:3]} {when:%H:%M}"
    if when.date() > now.date() and when.year != now.year:
        text = f"{DAYS[when.weekday()]} {when.day:2d} {MONTHS[when.month - 1][:3]} {when.year}"
    return text


def long_date(when: datetime) -> str:
    """The reader's header date, e.g. "Wednesday 18 March 2026, 10:00 (UTC+01:00)"."""
    weekday = WEEKDAYS[when.weekday()]
    day = f"{weekday} {when.day} {MONTHS[when.month - 1]} {when.year}"
    return f"{day}, {when:%H:%M} ({_zone(when)})"


def editor_date(when: datetime) -> str:
    """The editor's date field text for ``when``, in the offset it was written in."""
    return when.strftime(EDITOR_FORMAT)


def moment(when: datetime, now: datetime) -> str:
    """A recent moment in the reader's zone: "14:32" today, else "Tue 17 Mar 14:32"
    (with the year when it is not this year). For when drafts and saves happened."""
    when = when.astimezone(now.tzinfo)
    if when.date() == now.date():
        return f"{when:%H:%M}"
    year = f" {when.year}" if when.year != now.year else ""
    return f"{DAYS[when.weekday()]} {when.day} {MONTHS[when.month - 1][:3]}{year} {when:%H:%M}"


def _zone(when: datetime) -> str:
    offset = when.utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


_LINE_MARK = re.compile(r"^\s*(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*\*|\*|~~|`")


def plain_line(line: str) -> str:
    """One line of Markdown without its most common markup, for a one-line preview.

    Headings, quotes, bullets, links, ``*``/``**`` emphasis and code ticks go; ``_`` is
    kept because it is far more often part of a word (snake_case) than emphasis.
    """
    line = _LINE_MARK.sub("", line)
    line = _LINK.sub(r"\1", line)
    return _EMPHASIS.sub("", line).strip()


def preview_text(title: str, preview: str) -> tuple[str, str]:
    """(headline, snippet) for a list row.

    The headline is the title, or the first non-blank line when there is no title; the
    snippet is the rest of the text squeezed onto one line, so a row never wraps.
    """
    lines = [plain_line(line) for line in preview.splitlines()]
    lines = [line for line in lines if line]
    if not title and lines:
        title, lines = lines[0], lines[1:]
    return title, " ".join(" ".join(lines).split())
