"""Importing entries from other journaling apps: the importer plugin contract, and the
bounded reading every importer does.

Importers live in ``plugins/importers/`` and register under the entry-point group
``charlie.importers``; ``charlie import NAME SOURCE`` picks one by name. An importer only
reads: it turns a source (a file, a folder, a zip) into ``ImportedEntry`` items and
``Rejected`` items, and raises ``ImportSourceError`` when the source as a whole cannot be
read. Everything that touches the database happens in the import pipeline
(``backend.transfer.pipeline``), which ``backend.transfer.importer_source.run_import``
feeds: every item is validated like an entry typed by hand (``problem``), then deduped,
backed up and written in all-or-nothing batches.

An import's memory is bounded by the largest entry it reads, not by the size of its
source: an item is read only as far as the longest entry allowed can go
(``read_text``), a JSON document a value at a time (``backend.transfer.json_stream``, no
value longer than ``max_value_bytes``), and what the pipeline holds from reading until
writing stops at ``max_kept_bytes`` (past which texts are read again to be written). All
limits follow the ``max_entry_chars`` setting.
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from backend.errors import CharlieError, ValidationError
from backend.validation import MAX_TITLE_CHARS, check_body, check_title

if TYPE_CHECKING:
    from backend.transfer.json_stream import ValueTooBig

GROUP = "charlie.importers"


# -- bounded reading ----------------------------------------------------------------------
#
# Issue 10 D14: an import must stay within a few hundred MB whatever it is given (some
# 55 MB of that is the interpreter and its libraries). bench/import_memory.py measures
# the hostile inputs and the large ordinary ones.

KEEP_MULTIPLE = 640
"""``max_kept_bytes`` is this many times ``max_entry_chars`` (64 MB by default): what an
import holds from reading its source until it has written it (see
``backend.transfer.importer_source._Scan``). Texts are held only while they fit; past
that they are read again to be written. The rest (an id and a digest for each entry,
some 300 bytes) fits some 200,000 entries, a lifetime of daily writing many times
over."""
MIN_KEEP_BYTES = 32 * 1024 * 1024
"""``max_kept_bytes`` never goes below this, so a small ``max_entry_chars`` (a journal of
short notes) does not refuse an ordinary export."""
VALUE_SHARE = 4
"""One JSON value (a string: an entry's text) may take at most this fraction of
``max_kept_bytes`` (16 MB by default). JSON sources are read a value at a time
(``backend.transfer.json_stream``), so this, not the document's size, bounds what reading one
takes: yajl holds the value's bytes, Python its text (up to 4 bytes a character).
Anything longer than an entry can be is still read whole, and rejected with its length,
up to this size; past it nothing more of that document can be read."""
UNPACK_MULTIPLE = 10_000
"""``max_unpacked_bytes`` is this many times ``max_entry_chars`` (1 GB by default): the
most one import inflates from an archive, whatever each member's ratio. Reading is
streamed, so this bounds time, not memory: a zip of members that each pass the ratio
check could otherwise keep an import inflating for hours."""
MIN_UNPACK_BYTES = 1024 * 1024 * 1024
"""``max_unpacked_bytes`` never goes below this (a Day One export of 100 MB is large)."""
MAX_REJECTED = 100_000
"""An import that would reject more items than this stops without writing anything:
it is not the kind of source its importer reads (10 MB of ``{},`` is 3 million items,
each rejected with a reason to hold)."""
READ_CHUNK = 1024 * 1024
"""Sources are read (and zip members unpacked) this much at a time."""
UTF8_MAX = 4
"""The most bytes one character takes in UTF-8 (and in UTF-16, as a surrogate pair)."""
BOM_MAX = len(codecs.BOM_UTF8)
"""The longest byte-order mark a text may start with."""


def import_keep_limit(max_entry_chars: int) -> int:
    """The most memory one import holds for what it found until it writes it (see
    ``KEEP_MULTIPLE``)."""
    return max(MIN_KEEP_BYTES, KEEP_MULTIPLE * max_entry_chars)


def json_value_limit(max_entry_chars: int) -> int:
    """The longest single JSON value (in bytes) an import, or ``charlie import-export``,
    reads (see ``VALUE_SHARE``)."""
    return import_keep_limit(max_entry_chars) // VALUE_SHARE


def import_unpack_limit(max_entry_chars: int) -> int:
    """The most bytes one import unpacks from an archive (see ``UNPACK_MULTIPLE``)."""
    return max(MIN_UNPACK_BYTES, UNPACK_MULTIPLE * max_entry_chars)


class ImportSourceError(CharlieError):
    """The source as a whole cannot be read (missing, malformed, not that format)."""


class SourceTooBig(ImportSourceError):
    """An import would unpack, or hold, more than its limits. The message says what went
    over, as a clause ("it holds more than …"); the pipeline adds the source and how to
    import it in parts."""


class TooBig(Exception):
    """One item is bigger than its limit."""

    def __init__(self, read: int, chars: int | None = None) -> None:
        super().__init__(f"more than the limit ({read:,} bytes read)")
        self.read = read
        """The bytes read when the reading stopped (one more than the byte limit, unless
        the text was decoded and counted)."""
        self.chars = chars
        """The characters counted, when the text was decoded (None if it was not)."""


class ReadBudget:
    """What one import may still unpack from an archive.

    Importers ``charge`` every byte they unpack (``read_limited`` and
    ``backend.transfer.json_stream.JsonReader`` do it for them); past ``limit`` it raises
    ``SourceTooBig`` and the import stops before writing anything."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.read = 0
        """Bytes unpacked so far."""

    def charge(self, size: int) -> None:
        """Count ``size`` more bytes unpacked; SourceTooBig once past the limit."""
        self.read += size
        if self.read > self.limit:
            raise SourceTooBig(
                f"it holds more than {self.limit:,} bytes to unpack, the most one import "
                "unpacks (a limit that follows the max_entry_chars setting, so that a zip "
                "that inflates without end cannot keep an import busy for hours)."
            )


def read_limited(stream: BinaryIO, limit: int, budget: ReadBudget | None = None) -> bytes:
    """All of ``stream`` if it holds at most ``limit`` bytes; TooBig otherwise, after
    reading ``limit`` + 1 bytes and no more. It reads a chunk at a time, so a zip member
    is unpacked only as far as that, and charges each chunk to ``budget``."""
    buffer = bytearray()
    while True:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - len(buffer)))
        if not chunk:
            break
        if budget is not None:
            budget.charge(len(chunk))
        buffer += chunk
        if len(buffer) > limit:
            raise TooBig(len(buffer))
    return bytes(buffer)


def utf8_text(data: bytes) -> str:
    """UTF-8 bytes (a byte-order mark is fine) as text; UnicodeDecodeError otherwise."""
    return data.decode("utf-8-sig")


def read_text(
    stream: BinaryIO,
    max_chars: int,
    budget: ReadBudget | None = None,
    decode: Callable[[bytes], str] = utf8_text,
) -> str:
    """The text in ``stream`` if it is at most ``max_chars`` characters; TooBig otherwise.

    No more than 4 bytes a character (plus a byte-order mark) are read: past that the
    text is too long whatever it says. Within that, it is decoded with ``decode`` (whose
    own errors pass through) and its characters counted, so the limit is exact in
    characters, not bytes."""
    data = read_limited(stream, UTF8_MAX * max_chars + BOM_MAX, budget)
    text = decode(data)
    if len(text) > max_chars:
        raise TooBig(len(data), chars=len(text))
    return text


def too_long(chars: int, max_entry_chars: int) -> str:
    """Why an entry of ``chars`` characters cannot be stored."""
    return (
        f"It is {chars:,} characters long; the limit is {max_entry_chars:,} "
        "(the max_entry_chars setting)."
    )


def value_too_big(problem: ValueTooBig) -> str:
    """Why a JSON document could not be read past one of its values (a sentence that
    follows the document's name)."""
    where = f" (in entry {problem.entry:,})" if problem.entry else ""
    return (
        f"holds a single value of more than {problem.limit:,} bytes{where}, so the rest of "
        "it cannot be read (Charlie reads values of up to that size, a limit that follows "
        "the max_entry_chars setting, so that an import's memory stays bounded)."
    )


class UnknownImporterError(CharlieError):
    """No importer with the asked-for name is installed."""


@dataclass(frozen=True)
class ImportOptions:
    """What the user asked for, passed to every importer's ``scan``; one per reading of
    the source (an import that reads its source again makes new ones)."""

    recursive: bool = False
    """Folders: look into sub-folders too."""
    journals_from_source: bool = True
    """Each entry goes into the journal the source names for it (``ImportedEntry.journal``,
    none: the default journal); False when the user named one journal for the import."""
    max_entry_chars: int = 100_000
    """The settings' limit; importers reject bigger items early, reading no more of them
    than ``read_text`` does."""
    max_kept_bytes: int = 0
    """The most memory the pipeline holds for what it found until it writes it (0:
    follows ``max_entry_chars``, see ``import_keep_limit``)."""
    max_value_bytes: int = 0
    """The longest single JSON value read (0: follows ``max_entry_chars``, see
    ``json_value_limit``)."""
    max_unpacked_bytes: int = 0
    """The most bytes unpacked from archives (0: follows ``max_entry_chars``, see
    ``import_unpack_limit``)."""
    max_attachment_bytes: int = 50 * 1024 * 1024
    """The biggest attachment (a photo) kept (the ``attachment_max_mb`` setting)."""
    max_attachments_bytes: int = 4096 * 1024 * 1024
    """What all of one import's attachments may take together (the
    ``import_attachments_max_mb`` setting). Attachments are read (to name them by their
    content) against this, not against ``max_unpacked_bytes``, which is for text."""
    budget: ReadBudget = field(init=False, compare=False, repr=False)
    """This reading's running count against ``max_unpacked_bytes``; importers charge
    what they unpack to it (``read_limited`` and ``JsonReader`` do)."""

    def __post_init__(self) -> None:
        # Frozen: the derived limits are filled in through object.__setattr__.
        chars = self.max_entry_chars
        if self.max_kept_bytes <= 0:
            object.__setattr__(self, "max_kept_bytes", import_keep_limit(chars))
        if self.max_value_bytes <= 0:
            object.__setattr__(self, "max_value_bytes", json_value_limit(chars))
        if self.max_unpacked_bytes <= 0:
            object.__setattr__(self, "max_unpacked_bytes", import_unpack_limit(chars))
        object.__setattr__(self, "budget", ReadBudget(self.max_unpacked_bytes))

    def again(self) -> ImportOptions:
        """The same options with a fresh budget, to read the source once more."""
        return dataclasses.replace(self)


@dataclass(frozen=True, slots=True)
class ImportedEntry:
    """One entry an importer found, not yet validated."""

    source_id: str
    """The source's own stable id for the entry (Day One's uuid, a front-matter id), or a
    digest of its content and date. Never a path: moving the source must not change it."""
    title: str
    """A one-line title, "" for none."""
    body: str
    """The entry text (Markdown)."""
    entry_at: datetime
    """When the entry is about, aware, in the entry's own time zone or UTC offset."""
    where: str
    """Where it came from, for messages: a file name, or "Journal.json, entry 3F2A…"."""
    same_as: str = ""
    """The id the entry had in Charlie, when the source is Charlie's own export: if the
    journal holds an entry with this id, this one is already present."""
    tags: tuple[str, ...] = ()
    """Tags the source gives beside the text, as it writes them ("@work", "#work",
    "Road Trip"); Charlie normalises them, and finds the text's own #tag words anyway."""
    starred: bool = False
    """The source marks the entry starred (a favourite)."""
    journal: str = ""
    """The journal the source puts the entry in ("" for none): Charlie's own Markdown
    export writes ``journal:``. Without ``--journal`` the entry goes there (created if
    need be); ``--journal`` puts every entry of the import into one journal."""
    attachments: tuple[ImportedAttachment, ...] = ()
    """Files (photos) the source keeps with the entry; its text links to each as
    ``![photo](attachment:<name>)`` (``backend.attachments``)."""


@dataclass(frozen=True, slots=True)
class ImportedAttachment:
    """A file of the source an entry keeps (a photo), found and read through once: the
    pipeline reads it again, through ``Importer.open_attachments``, to store it."""

    name: str
    """Its stored name, ``<sha256 of its content>.<ext>`` (``backend.attachments``)."""
    ref: str
    """Where it is in the source, as the importer's ``open_attachments`` takes it (a
    zip member's name)."""
    size: int
    """Its size in bytes, as read."""
    where: str
    """Where it is, for messages ("Export.zip: photos/3f2a….jpeg")."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """An item of the source that cannot be imported, and why."""

    where: str
    """The file or entry, as the user can find it in the source."""
    reason: str
    """Why, in a sentence the user can act on."""
    takes_back: int = 0
    """How many of the items yielded just before this one it takes back: they came from
    the part of the source this rejects (a zip member found damaged after some of its
    entries were read), and are not imported. Importers read as they go and hold
    nothing, so this is how a part is rejected whole once its end shows it bad."""


class Importer(ABC):
    """Reads one kind of source. Instances are cheap and hold no state between scans."""

    name: str = ""
    """The name users type (``charlie import NAME``), also stored as each entry's source."""
    description: str = ""
    """One line for help texts: what this importer reads."""
    split_hint: str = ""
    """How to import a source that is too big for one import in parts (a sentence)."""

    @abstractmethod
    def scan(self, source: Path, options: ImportOptions) -> Iterator[ImportedEntry | Rejected]:
        """Yield every entry found in ``source`` and a ``Rejected`` for every item that
        cannot become one. Raise ``ImportSourceError`` if the source as a whole cannot be
        read; the pipeline then writes nothing. Never write anything anywhere.

        Read as you go and hold nothing between items: the pipeline may call ``scan``
        twice on the same source (it reads a source too big to hold again to write it),
        and must get the same items. Read an item no further than ``read_text`` would
        (reject a longer one), a JSON document a value at a time
        (``backend.transfer.json_stream``, with ``options.max_value_bytes``), and charge every
        byte unpacked from an archive to ``options.budget`` (``read_limited`` and
        ``JsonReader`` do)."""

    @contextmanager
    def open_attachments(self, source: Path) -> Iterator[Callable[[str], BinaryIO]]:
        """While open: a function giving the file of an attachment this importer found
        in ``source`` (by its ``ImportedAttachment.ref``) to read, once; it raises
        ImportSourceError when that file cannot be read. Only importers that find
        attachments override this."""
        raise ImportSourceError(f"The {self.name!r} importer keeps no attachments.")
        yield  # A generator, for @contextmanager.


def installed_importers() -> dict[str, str]:
    """Installed importer names and where they come from."""
    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


def load_importer(name: str) -> Importer:
    """An instance of the importer registered as ``name``."""
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            instance = ep.load()()
            if not isinstance(instance, Importer):
                raise UnknownImporterError(f"{ep.value} is not an Importer.")
            return instance
    names = ", ".join(sorted(installed_importers())) or "none"
    raise UnknownImporterError(f"No importer called {name!r} is installed. Installed: {names}.")


def digest_id(*parts: str) -> str:
    """A 16-hex-digit digest of ``parts`` (the format of Charlie's own entry ids)."""
    joined = "\x00".join(parts)
    # surrogatepass: a part may hold lone surrogates (from a broken source); the digest
    # must still be computed so the item can be rejected by name, not crash the import.
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def entry_id_for(importer: str, journal_id: str, source_id: str) -> str:
    """The stable id an imported entry gets: the same source item imported into the same
    journal always gets the same id, so a second import finds it present."""
    return digest_id("charlie-import", importer, journal_id, source_id)


def problem(item: ImportedEntry, max_entry_chars: int) -> str | None:
    """Why ``item`` cannot be stored as an entry, or None if it can."""
    if not isinstance(item.source_id, str) or not item.source_id:
        return "The importer gave it no source id."
    for label, text in (("title", item.title), ("text", item.body)):
        if not isinstance(text, str):
            return f"Its {label} is not text."
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return f"Its {label} holds characters that are not valid Unicode (lone surrogates)."
        if "\x00" in text:
            return f"Its {label} contains a NUL character (\\x00), which Charlie cannot store."
    if not item.body.strip():
        return "It has no text."
    if len(item.body) > max_entry_chars:
        return too_long(len(item.body), max_entry_chars)
    if "\n" in item.title or "\r" in item.title:
        return "Its title is more than one line."
    if len(item.title.strip()) > MAX_TITLE_CHARS:
        return f"Its title is longer than {MAX_TITLE_CHARS} characters."
    when = item.entry_at
    if not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        return "Its date has no time zone."
    try:
        when.astimezone(UTC)
    except (OverflowError, ValueError):
        return "Its date is out of range."
    if when.year < 1000 or when.year > 9998:
        return f"Its date ({when.date().isoformat()}) is out of range."
    try:
        # The same checks the editor runs, as the final word.
        check_body(item.body, max_entry_chars)
        check_title(item.title)
    except ValidationError as exc:
        return str(exc)
    return None


def printable(text: str) -> str:
    """``text`` safe to print: lone surrogates (from undecodable file names) become '?'."""
    return text.encode("utf-8", "replace").decode("utf-8")
