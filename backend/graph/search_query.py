"""What the user typed into search, read as words and filters.

``cafe tag:work person:"Ana Lopez" after:2026-01-01 starred`` is the words ``cafe`` and
four filters. A filter is ``key:value`` with one of the keys below (any case; a value
with spaces in double quotes), or ``starred`` (also ``is:starred``), or ``#tag`` (the
same as ``tag:tag``). Anything else is words, so a URL or "10:30" is searched as text.

    journal:NAME      search that journal instead of the open one
    tag:T             entries tagged T (every tag given must be there)
    person:NAME       entries mentioning that person (place:NAME: that place)
    before:DATE       entries written before that day (YYYY-MM-DD, local time)
    after:DATE        entries written on or after that day
    starred           starred entries only

A filter it cannot read raises ValidationError saying what it needs
("before: needs a date like 2026-03-17").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from backend.errors import ValidationError

KEYS = ("journal", "tag", "person", "place", "before", "after")
"""The filter keys, as written before the colon."""
EXAMPLE_DATE = "2026-03-17"

# key:"quoted value" (closed or still being typed), key:value, "quoted words", a word.
_TOKEN = re.compile(
    r'(?P<key>[A-Za-z]+):(?:"(?P<quoted>[^"]*)"?|(?P<value>\S*))'
    r'|"(?P<phrase>[^"]*)"?'
    r"|(?P<word>\S+)"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class SearchQuery:
    """The words and filters of one search."""

    text: str
    """As the user typed it."""
    words: str = ""
    """The text without its filters (what the full-text search and highlights use)."""
    journal: str | None = None
    tags: tuple[str, ...] = ()
    """Lowercase, without '#'."""
    people: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    before: date | None = None
    """Entries written before this day (local time)."""
    after: date | None = None
    """Entries written on this day or later (local time)."""
    starred: bool = False
    filters: tuple[str, ...] = field(default=())
    """The filters in words, in the order typed ("tag:work", "before:2026-03-17")."""

    @property
    def has_filters(self) -> bool:
        """Whether anything but words narrows the entries."""
        return bool(
            self.tags or self.people or self.places or self.before or self.after or self.starred
        )


def parse(text: str) -> SearchQuery:
    """Read ``text`` as words and filters (see the module docstring)."""
    words: list[str] = []
    found: dict[str, list[str]] = {key: [] for key in KEYS}
    filters: list[str] = []
    starred = False
    for match in _TOKEN.finditer(text):
        key = (match["key"] or "").casefold()
        if key in KEYS:
            value = (match["quoted"] if match["quoted"] is not None else match["value"]).strip()
            if not value:
                raise ValidationError(f"{key}: needs {_WANTS[key]}")
            found[key].append(value)
            filters.append(f'{key}:"{value}"' if " " in value else f"{key}:{value}")
        elif (key == "is" and (match["value"] or "").casefold() == "starred") or (
            match["word"] is not None and match["word"].casefold() == "starred"
        ):
            if not starred:
                filters.append("starred")
            starred = True
        elif match["word"] is not None and match["word"].startswith("#") and len(match[0]) > 1:
            tag = match["word"][1:]
            found["tag"].append(tag)
            filters.append(f"tag:{tag}")
        else:
            words.append(match["phrase"] if match["phrase"] is not None else match[0])
    if len(found["journal"]) > 1:
        raise ValidationError("journal: can be given once (a search looks in one journal).")
    before = _date("before", found["before"])
    after = _date("after", found["after"])
    if before is not None and after is not None and after >= before:
        raise ValidationError(f"after:{after} is not before before:{before}: nothing is between.")
    return SearchQuery(
        text=text,
        words=" ".join(words),
        journal=found["journal"][0] if found["journal"] else None,
        tags=tuple(dict.fromkeys(t.lstrip("#").casefold() for t in found["tag"])),
        people=tuple(found["person"]),
        places=tuple(found["place"]),
        before=before,
        after=after,
        starred=starred,
        filters=tuple(filters),
    )


_WANTS = {
    "journal": "a journal's name, like journal:Work",
    "tag": "a tag, like tag:work",
    "person": 'a name, like person:Ana or person:"Ana Lopez"',
    "place": 'a name, like place:Lisbon or place:"New York"',
    "before": f"a date like {EXAMPLE_DATE}",
    "after": f"a date like {EXAMPLE_DATE}",
}


def _date(key: str, values: list[str]) -> date | None:
    """The one date given for ``key`` (the last if several), or None."""
    if not values:
        return None
    value = values[-1]
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass  # 2026-02-30: shaped like a date but not one; said below.
    raise ValidationError(f"{key}: needs a date like {EXAMPLE_DATE} (not {value!r}).")
