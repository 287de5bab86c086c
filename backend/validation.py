"""Checks on user input, run before anything is written. Messages are for the user."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from backend.errors import ValidationError

MAX_TITLE_CHARS = 300
MAX_JOURNAL_NAME_CHARS = 40
_JOURNAL_NAME = re.compile(r"^[\w][\w .'-]*$")


def check_body(body: str, limit: int) -> str:
    """The body as given, or a ValidationError saying why it cannot be stored."""
    if not isinstance(body, str):
        raise ValidationError("The entry text must be text.")
    if "\x00" in body:
        raise ValidationError(
            "The entry contains a NUL character (\\x00), which Charlie cannot store. "
            "Remove it and save again."
        )
    _check_encodable(body, "The entry")
    if not body.strip():
        raise ValidationError("The entry is empty: write something before saving.")
    if len(body) > limit:
        raise ValidationError(
            f"The entry is {len(body):,} characters long; the limit is {limit:,} "
            "(the max_entry_chars setting)."
        )
    return body


def _check_encodable(text: str, what: str) -> None:
    """Bytes that were not UTF-8 (they arrive as lone surrogates from argv or a pipe)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"{what} is not valid UTF-8 text (at character {exc.start + 1}); "
            "convert it to UTF-8 and try again."
        ) from None


def check_title(title: str) -> str:
    """The title without surrounding spaces, or a ValidationError."""
    if not isinstance(title, str):
        raise ValidationError("The title must be text.")
    if "\x00" in title:
        raise ValidationError("The title contains a NUL character (\\x00); remove it.")
    _check_encodable(title, "The title")
    if "\n" in title or "\r" in title:
        raise ValidationError("The title must be a single line.")
    title = title.strip()
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError(
            f"The title is {len(title):,} characters long; the limit is {MAX_TITLE_CHARS}."
        )
    return title


def check_journal_name(name: str) -> str:
    """A journal name without surrounding spaces, or a ValidationError."""
    if not isinstance(name, str):
        raise ValidationError("A journal name must be text.")
    cleaned = name.strip()
    if not cleaned:
        raise ValidationError("A journal name cannot be empty.")
    if len(cleaned) > MAX_JOURNAL_NAME_CHARS:
        raise ValidationError(
            f"The journal name is {len(cleaned)} characters long; "
            f"the limit is {MAX_JOURNAL_NAME_CHARS}."
        )
    if not _JOURNAL_NAME.match(cleaned):
        raise ValidationError(
            f"The journal name {cleaned!r} is not allowed: use letters, digits, spaces, "
            "'.', '-', '_' and apostrophes, starting with a letter or digit."
        )
    return cleaned


_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_DATE_HELP = "use YYYY-MM-DD, YYYY-MM-DD HH:MM or an ISO 8601 time such as 2024-05-01T09:30+02:00"


def local_zone() -> tzinfo:
    """The machine's local time zone (honours TZ)."""
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def parse_entry_date(text: str, *, now: datetime | None = None) -> datetime:
    """Read a user's date or date-time; naive times are taken in the local time zone.

    Accepts ``today``, ``yesterday``, ``YYYY-MM-DD`` (keeps the current time of day if it
    is today, else noon), ``YYYY-MM-DD HH:MM[:SS]`` and ISO 8601 with an offset.
    """
    now = now or datetime.now().astimezone()
    raw = text.strip()
    lowered = raw.lower()
    if not raw:
        raise ValidationError(f"The date is empty: {_DATE_HELP}.")
    if lowered in ("now", "today"):
        return now
    if lowered == "yesterday":
        return now - timedelta(days=1)
    parsed: datetime | None = None
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d":
            day: date = parsed.date()
            parsed = datetime.combine(day, now.time() if day == now.date() else time(12, 0))
            parsed = parsed.replace(tzinfo=None)
        break
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"Could not read the date {raw!r}: {_DATE_HELP}.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=now.tzinfo or local_zone())
    try:
        parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationError(f"The date {raw!r} is out of range.") from None
    if parsed.year < 1000:
        raise ValidationError(f"The date {raw!r} is before the year 1000.")
    return parsed
