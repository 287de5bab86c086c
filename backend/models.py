"""Plain records the backend hands to the UI and the CLI."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone


def content_hash(title: str, body: str) -> str:
    """A stable hash of what an entry says, used to tell whether it changed."""
    return hashlib.sha256(f"{title}\x00{body}".encode()).hexdigest()


def to_epoch_and_offset(moment: datetime) -> tuple[int, int]:
    """An aware datetime as (UTC epoch seconds, UTC offset in minutes)."""
    if moment.tzinfo is None:
        raise ValueError("entry times must carry a time zone")
    offset = moment.utcoffset() or timedelta(0)
    return int(moment.timestamp()), int(offset.total_seconds() // 60)


def from_epoch_and_offset(epoch: int, offset_minutes: int) -> datetime:
    """The datetime stored as (epoch, offset), shown in the offset it was written in."""
    zone = timezone(timedelta(minutes=offset_minutes))
    return datetime.fromtimestamp(epoch, tz=UTC).astimezone(zone)


def from_millis(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


@dataclass(frozen=True)
class Journal:
    """A named journal; each has its own graph."""

    id: str
    """A stable id; the graph key is derived from it, so renaming is cheap."""
    name: str
    """What the user calls it; unique, compared without case."""
    created_at: datetime
    """When it was created (UTC)."""


@dataclass(frozen=True)
class Entry:
    """One journal entry, whole."""

    id: str
    """A random 16-hex-digit id, unique across journals."""
    journal: str
    """The name of the journal holding it."""
    title: str
    """An optional one-line title ("" when none was given)."""
    body: str
    """The Markdown text, stored exactly as written."""
    entry_at: datetime
    """When the entry is about, in the UTC offset it was written with."""
    created_at: datetime
    """When it was first saved (UTC)."""
    updated_at: datetime
    """When it was last saved (UTC)."""
    source: str
    """Where it came from: "tui", "cli", or an importer's name."""
    content_hash: str
    """sha256 of title and body; changes whenever the text does."""
    revision: int = 0
    """1 when first saved, one more with every change (0: saved before revisions)."""

    @property
    def display_title(self) -> str:
        """The title, or the first line of the body when there is none."""
        return self.title or first_line(self.body)


@dataclass(frozen=True)
class EntrySummary:
    """What a list needs: the id, a title, a one-line preview and the entry time."""

    id: str
    title: str
    preview: str
    entry_at: datetime

    @property
    def display_title(self) -> str:
        return self.title or first_line(self.preview)


@dataclass(frozen=True)
class Page:
    """One page of entries, newest first, with the cursor for the next (older) page."""

    entries: list[EntrySummary] = field(default_factory=list)
    next_cursor: str | None = None
    """Pass this back as ``before`` to get the next page; None on the last page."""


def first_line(text: str, width: int = 120) -> str:
    """The first non-blank line of text, shortened to ``width`` characters."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if len(line) <= width else line[: width - 1] + "…"
    return ""


@dataclass(frozen=True)
class EntityRef:
    """An entity as a link: enough to show it and open its page."""

    id: str
    name: str
    type: str
    """Person, Place, Group or Activity."""
    count: int = 0
    """How many entries mention it (where a view counts)."""


@dataclass(frozen=True)
class EntityMention:
    """One entry's mention of an entity, with the sentence that says it."""

    entry_id: str
    entry_title: str
    entry_at: datetime
    quote: str
    names: tuple[str, ...] = ()
    """The spellings the entry used ("Sarah", "Sarah's")."""


@dataclass(frozen=True)
class Relation:
    """A relationship seen from one entity: ``kind`` towards (or from) ``other``."""

    kind: str
    other: EntityRef
    outgoing: bool
    """True for "this KIND other", False for "other KIND this"."""
    evidence: str
    entry_id: str


@dataclass(frozen=True)
class EntityPage:
    """Everything an entity's page shows."""

    entity: EntityRef
    aliases: tuple[str, ...]
    is_self: bool
    mention_count: int
    first_mention: datetime | None
    last_mention: datetime | None
    mentions: list[EntityMention]
    """Newest first, at most the page's limit."""
    appears_with: list[EntityRef]
    """Entities mentioned in the same entries (its latest 300), most shared first."""
    relations: list[Relation]


@dataclass(frozen=True)
class EntryEntities:
    """An entry's connections: what it mentions and the relationships it states."""

    mentions: list[tuple[EntityRef, tuple[str, ...]]]
    """Each entity with the spellings the entry used, by type then name."""
    relations: list[tuple[EntityRef, str, EntityRef, str]]
    """(source, kind, target, evidence)."""


@dataclass(frozen=True)
class SearchHit:
    """An entry that matches a search, with a line of context."""

    entry: EntrySummary
    snippet: str


@dataclass(frozen=True)
class SearchResults:
    query: str
    entries: list[SearchHit]
    entities: list[EntityRef]


@dataclass(frozen=True)
class PeriodSummary:
    """Who and what appeared in a span of time (a month)."""

    start: datetime
    end: datetime
    entry_count: int
    entities: dict[str, list[EntityRef]]
    """Per type, most-mentioned first."""


@dataclass(frozen=True)
class AuthorPage:
    """The author's own page ("You"): the journal at a glance, and the people, places,
    groups and activities that fill it, most mentioned first."""

    entry_count: int
    """How many entries the journal holds."""
    first_entry: datetime | None
    """When the earliest entry is dated (None in an empty journal)."""
    last_entry: datetime | None
    """When the latest entry is dated (None in an empty journal)."""
    most_mentioned: dict[str, list[EntityRef]]
    """Per type, every type present (maybe empty), most mentioned first; counts are
    entries. The author's own "I" is left out."""
    month_start: datetime
    """Where "this month" starts: the first of the month asked about, at midnight."""
    this_month: list[EntityRef]
    """Any type, most mentioned in this month's entries first (counts: those entries)."""
    year_start: datetime
    """Where "this year" starts: 1 January of the year asked about, at midnight."""
    this_year: list[EntityRef]
    """Any type, most mentioned in this year's entries first (counts: those entries)."""
    author: EntityRef | None = None
    """The author's "I" entity with its count, when an extractor made one (the rules
    extractor does not)."""
