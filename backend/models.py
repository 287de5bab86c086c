"""Plain records the backend hands to the UI and the CLI."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
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
    tags: tuple[str, ...] = ()
    """Its tags, sorted: the ``#tag`` words of its title and text and those given
    beside them (``tag_words``, ``entry_tags``)."""
    starred: bool = False
    """The user starred it."""
    attachments: tuple[str, ...] = ()
    """The files kept with it (photos), by stored name ``<sha256>.<ext>``; its text
    links to them as ``![photo](attachment:<name>)`` (``backend.attachments``)."""

    @property
    def display_title(self) -> str:
        """The title, or the first line of the body when there is none."""
        return self.title or first_line(self.body)

    @property
    def own_tags(self) -> tuple[str, ...]:
        """The tags given beside the text (the editor's tags field, ``--tag``, an
        import's), which are not ``#tag`` words of the title or text."""
        written = set(tag_words(f"{self.title}\n{self.body}"))
        return tuple(tag for tag in self.tags if tag not in written)


@dataclass(frozen=True)
class EntrySummary:
    """What a list needs: the id, a title, a one-line preview and the entry time."""

    id: str
    title: str
    preview: str
    entry_at: datetime
    tags: tuple[str, ...] = ()
    starred: bool = False

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
    """Whole words around the first match, on one line ("…" where it was cut)."""
    marks: tuple[tuple[int, int], ...] = ()
    """(start, end) in ``snippet`` of each word the search matched (accents and case
    aside: "cafe" marks "Café")."""
    title_marks: tuple[tuple[int, int], ...] = ()
    """The same, in the entry's title."""


@dataclass(frozen=True)
class SearchResults:
    query: str
    entries: list[SearchHit]
    entities: list[EntityRef]
    filters: tuple[str, ...] = ()
    """The filters the query applied, as typed ("tag:work", "starred")."""
    journal: str = ""
    """The journal searched (the open one unless the query said journal:NAME)."""
    notes: tuple[str, ...] = ()
    """What the user should know about a filter ("Nobody is called 'Zed'.")."""


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


# -- tags ------------------------------------------------------------------------------

MAX_TAG_CHARS = 64
"""A longer ``#word`` is not a tag (a hash or an id), and a longer given tag is cut."""
# A tag word: '#' then letters, digits, '_', '-' and '/', at the start of the text or
# after white space or an opening bracket, quote or emphasis mark, so "C#", "&#39;",
# "page#part" and "## Heading" are not tags. Code and URLs are taken out first.
_TAG_WORD = re.compile(r"(?<![^\s(\[{\"'*_])#(\w[\w/-]*)")
_CODE_FENCE = re.compile(r"^ {0,3}(```|~~~)[^\n]*\n.*?(?:^ {0,3}\1[^\n]*$|\Z)", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_URL = re.compile(r"\b(?:[a-zA-Z][a-zA-Z0-9+.-]*://|www\.)\S+|\]\([^)\n]*\)")
_NOT_TAG_CHARS = re.compile(r"[^\w/-]+")


def tag_words(text: str) -> tuple[str, ...]:
    """The ``#tag`` words of ``text``, lowercase, without '#', in order, each once.

    A tag word is '#' followed by letters, digits, '_', '-' or '/' (trailing '-', '_', '/'
    are not part of it), holding at least one letter: "#1" is a number, "# Title" a
    Markdown heading. '#' counts only at the start of the text or after white space or
    an opening bracket, quote or emphasis mark; words inside code (fenced or inline)
    and URLs are not tags."""
    text = _URL.sub(" ", _INLINE_CODE.sub(" ", _CODE_FENCE.sub(" ", text)))
    found: dict[str, None] = {}
    for match in _TAG_WORD.finditer(text):
        tag = match.group(1).rstrip("-/_").lower()
        if tag and len(tag) <= MAX_TAG_CHARS and any(c.isalpha() for c in tag):
            found.setdefault(tag, None)
    return tuple(found)


def normalise_tag(text: str) -> str:
    """A tag as given by hand or by another app ("#Road Trip", "@work") as Charlie
    keeps it ("road-trip", "work"): lowercase, without a leading '#' or '@', runs of
    anything but letters, digits, '_', '-' and '/' as one '-'; "" when nothing is left."""
    tag = _NOT_TAG_CHARS.sub("-", text.strip().lstrip("#@").lower()).strip("-/")
    return tag[:MAX_TAG_CHARS].rstrip("-/")


def split_tags(text: str) -> tuple[str, ...]:
    """Tags typed in a field, separated by commas or spaces, each ``normalise_tag``-ed,
    in order, each once."""
    found: dict[str, None] = {}
    for part in re.split(r"[,\s]+", text):
        tag = normalise_tag(part)
        if tag:
            found.setdefault(tag, None)
    return tuple(found)


def entry_tags(title: str, body: str, given: Iterable[str] = ()) -> tuple[str, ...]:
    """An entry's tags as stored: the tag words of its title and text and the tags
    ``given`` beside them (normalised), sorted, each once."""
    tags = set(tag_words(f"{title}\n{body}"))
    tags.update(t for t in (normalise_tag(g) for g in given if isinstance(g, str)) if t)
    return tuple(sorted(tags))


@dataclass(frozen=True)
class TagCount:
    """A tag with how many entries carry it and when it was last used."""

    tag: str
    count: int
    last_used: datetime | None
    """The time of the newest entry carrying it, in that entry's own offset."""


@dataclass(frozen=True)
class TagPage:
    """Everything a tag's page shows."""

    tag: str
    count: int
    first_used: datetime | None
    """The time of the oldest entry carrying it (None: no entry does)."""
    last_used: datetime | None
    entries: Page
    """The newest entries carrying it (a page; ask the entries for more)."""
