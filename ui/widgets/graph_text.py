"""How the knowledge-graph screens word things: type headings, counts, dates, relations.

Pure functions with no widgets in them, shared by the reader's sidebar, the entity
page, search and the period view so that they all say the same thing the same way.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from backend.models import EntityRef
from ui import timeline

TYPE_HEADINGS = {
    "Person": "People",
    "Place": "Places",
    "Group": "Groups",
    "Activity": "Activities",
}
"""The heading over each entity type's list."""

VERBS = {
    "KNOWS": "knows",
    "FAMILY_OF": "is family of",
    "WORKS_WITH": "works with",
    "MEMBER_OF": "is a member of",
    "VISITED": "visited",
    "LIVES_IN": "lives in",
    "DOES": "does",
    "RELATED_TO": "is related to",
}
"""Relationship kinds as words in a sentence ("Sarah visited Lisbon")."""

MUTED = "$foreground-muted"


def heading(type_: str) -> str:
    """The plural heading for an entity type ("People" for Person)."""
    return TYPE_HEADINGS.get(type_, type_)


def verb(kind: str) -> str:
    """A relationship kind as words: VISITED -> "visited", ODD_KIND -> "odd kind"."""
    return VERBS.get(kind, kind.replace("_", " ").lower())


def entries_count(count: int) -> str:
    """ "1 entry", "3 entries"."""
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def short_date(when: datetime, *, aligned: bool = True) -> str:
    """A compact date with the year, e.g. "Tue 17 Mar 2026"; ``aligned`` pads the day to
    two characters so that dates line up in a list ("Fri  6 Feb 2026")."""
    month = timeline.MONTHS[when.month - 1][:3]
    day = f"{when.day:2d}" if aligned else str(when.day)
    return f"{timeline.DAYS[when.weekday()]} {day} {month} {when.year}"


def month_name(year: int, month: int) -> str:
    """ "March 2026"."""
    return f"{timeline.MONTHS[month - 1]} {year}"


def relation_line(source: EntityRef, kind: str, target: EntityRef, *, bold: str = "") -> Content:
    """ "Sarah visited Lisbon", with the entity whose id is ``bold`` left plain and the
    other one in bold (on an entity page the page's own entity needs no emphasis)."""

    def name(ref: EntityRef) -> tuple[str, str] | str:
        return ref.name if ref.id == bold else (ref.name, "bold")

    return Content.assemble(name(source), (f" {verb(kind)} ", MUTED), name(target))


def quoted(text: str) -> str:
    """Evidence or a quote in typographic quotes, on one line."""
    return f"“{' '.join(text.split())}”"
