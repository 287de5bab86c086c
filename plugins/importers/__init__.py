"""Importers for other journals' exports, registered under ``charlie.importers``.

Each module reads one kind of source and yields ``ImportedEntry`` / ``Rejected`` items
(see ``backend.transfer.importing``); the helpers here are what they share: stable ids from
content, time-zone names, dates as people write them, and Markdown titles.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.transfer.importing import digest_id
from backend.validation import MAX_TITLE_CHARS

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$", re.IGNORECASE)
_DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})"
    r"(?:[T ](\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?))?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def normalise_newlines(text: str) -> str:
    """Windows and old Mac line endings as ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def tidy_body(text: str) -> str:
    """The body without leading blank lines and trailing white space."""
    return text.lstrip("\n").rstrip()


def content_id(title: str, body: str, when: datetime) -> str:
    """A source id for items with no id of their own: a digest of what they say and
    when, so the same text at the same time gets the same id wherever the file is."""
    lines = [line.rstrip() for line in normalise_newlines(body).strip().split("\n")]
    epoch = str(int(when.timestamp()))
    return "content:" + digest_id(title.strip(), "\n".join(lines), epoch)


def zone_named(name: str) -> tzinfo | None:
    """The time zone an IANA name ("Europe/Lisbon"), "UTC" or an offset ("+02:00",
    "GMT+2") names, or None if it names none."""
    name = name.strip()
    if not name:
        return None
    if name.upper() in ("UTC", "GMT", "Z"):
        return UTC
    match = _OFFSET.match(name)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta >= timedelta(hours=24):
            return None
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_when(text: str, zone: tzinfo | None = None, *, default_time: time = time(12)) -> datetime:
    """A date as people write it in front matter: ``2024-03-05``, ``2024-03-05 07:30``,
    ``2024-03-05T07:30:00+02:00``, ``2024-03-05 07:30:00 +0200``. Without an offset the
    time is in ``zone`` (the machine's local zone when None); without a time it is
    ``default_time``. Raises ValueError if it is not such a date."""
    match = _DATE_TIME.match(text.strip())
    if not match:
        raise ValueError(text)
    day, clock, offset = match.groups()
    naive = datetime.combine(
        datetime.strptime(day, "%Y-%m-%d").date(),
        parse_clock(clock) if clock else default_time,
    )
    if offset:
        fixed = zone_named(offset)
        if fixed is None:
            raise ValueError(text)
        moment = naive.replace(tzinfo=fixed)
        # Shown in the named zone when there is one: same instant, the entry's own clock.
        return moment.astimezone(zone) if zone is not None else moment
    if zone is not None:
        return naive.replace(tzinfo=zone)
    return naive.astimezone()


def parse_clock(text: str) -> time:
    """``H:MM``, ``HH:MM`` or ``HH:MM:SS[.ffffff]`` as a time; ValueError otherwise."""
    parts = text.replace(",", ".").split(":")
    if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
        raise ValueError(text)
    seconds = float(parts[2]) if len(parts) > 2 else 0.0
    whole = int(seconds)
    return time(int(parts[0]), int(parts[1]), whole, int((seconds - whole) * 1e6))


def split_heading(text: str) -> tuple[str, str]:
    """(title, body) when the text starts with a ``# Heading`` line and has more below
    it; otherwise ("", text)."""
    first, _, rest = text.lstrip("\n").partition("\n")
    if first.startswith("# ") and rest.strip():
        title = first[2:].strip().rstrip("#").strip()
        if title and len(title) <= MAX_TITLE_CHARS:
            return title, tidy_body(rest)
    return "", text
