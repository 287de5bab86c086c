"""Importing entries from other journaling apps: the importer plugin contract and the
pipeline that validates what an importer found and writes it in all-or-nothing batches.

Importers live in ``plugins/importers/`` and register under the entry-point group
``charlie.importers``; ``charlie import NAME SOURCE`` picks one by name. An importer only
reads: it turns a source (a file, a folder, a zip) into ``ImportedEntry`` items and
``Rejected`` items. Everything that touches the database happens here, in
``run_import``:

1. The whole source is read through first, validated, and held in a compact form
   (``_Scan``). An importer raises ``ImportSourceError`` when the source as a whole
   cannot be read (a malformed JSON file, a broken zip), and then nothing at all is
   written.
2. Every item is validated like an entry typed by hand (``backend.validation``); a bad
   item is rejected with a reason and the others go on.
3. Each entry gets a stable id derived from (importer, journal, the source's own id),
   so importing the same thing again skips what is already there. An entry whose title,
   text and time are already in the journal is skipped too, whatever its id, and so is
   one whose ``same_as`` id (from Charlie's own export) is in the journal.
4. If anything is left to write, a backup is taken (``backend.transfer.backup.snapshot``, when
   that module is there). Entries are written in batches: each batch is one MULTI/EXEC
   holding the entries and their enrichment jobs (backlog priority, behind anything the
   user writes), so a batch is all-or-nothing and an import killed half-way is finished
   by running it again.

An import's memory is bounded by the largest entry it reads, not by the size of its
source: an item is read only as far as the longest entry allowed can go
(``read_text``), a JSON document a value at a time (``backend.transfer.json_stream``, no value
longer than ``max_value_bytes``), and what step 1 holds until step 4 stops at
``max_kept_bytes``: the texts of the entries found are held (as UTF-8) only while they
fit; past that they are let go and the source is read a second time in step 4, each
entry checked to say what it said the first time (one that changed meanwhile is
rejected, saying so). A source that cannot be read the second time stops the import
with what was written so far and where the backup is. All limits follow the
``max_entry_chars`` setting.
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import importlib
import importlib.util
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import redis

from backend.errors import BrokerError, CharlieError, ValidationError
from backend.graph.store import Graph, entries_event, graph_key
from backend.jobs.records import BACKLOG, EVENTS
from backend.models import Journal, content_hash, to_epoch_and_offset
from backend.validation import MAX_TITLE_CHARS, check_body, check_journal_name, check_title

if TYPE_CHECKING:
    from backend.api import CharlieAPI
    from backend.transfer.json_stream import ValueTooBig

GROUP = "charlie.importers"
BATCH_ENTRIES = 200
# A batch also closes at this much text, so one MULTI never carries a huge query.
BATCH_CHARS = 4_000_000

_CREATE_BATCH = (
    "UNWIND $rows AS r "
    # MERGE, not CREATE: if another import of the same source raced this one past the
    # presence check, the entry still exists once.
    "MERGE (e:Episode {id: r.id}) ON CREATE SET e.title = r.title, e.body = r.body, "
    "e.entry_at = r.entry_at, e.utc_offset = r.utc_offset, e.created_at = r.created_at, "
    "e.updated_at = r.updated_at, e.source = r.source, e.content_hash = r.content_hash"
)


# -- bounded reading ----------------------------------------------------------------------
#
# Issue 10 D14: an import must stay within a few hundred MB whatever it is given (some
# 55 MB of that is the interpreter and its libraries). bench/import_memory.py measures
# the hostile inputs and the large ordinary ones.

KEEP_MULTIPLE = 640
"""``max_kept_bytes`` is this many times ``max_entry_chars`` (64 MB by default): what an
import holds from reading its source until it has written it (see ``_Scan``). Texts
are held only while they fit; past that they are read again to be written. The rest
(an id and a digest for each entry, some 300 bytes) fits some 200,000 entries, a
lifetime of daily writing many times over."""
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


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run, would do)."""

    importer: str
    source: str
    journal: str
    dry_run: bool
    total: int = 0
    """Items scanned: entries found plus items rejected while reading."""
    added: int = 0
    skipped: int = 0
    """Entries already present in the journal (or twice in the source)."""
    rejected: list[Rejected] = field(default_factory=list)
    added_ids: list[str] = field(default_factory=list)
    """The ids of the entries added (for a dry run, that would be added)."""
    backup: str = ""
    """What the pre-import backup said (a path), "" when none was taken."""


# progress(stage, done, total): stage "reading" (total None: not known yet) then
# "writing" (done and total count entries to add; a source read again to be written is
# read during "writing").
Progress = Callable[[str, int, int | None], None]

FOUND_COST = 300
"""What holding one entry found costs besides its source id and its text: its record,
its digest, and its place in the lists and sets that tell what is already there."""
REJECTED_COST = 150
"""What holding one rejected item costs besides its two texts."""


@dataclass(slots=True)
class _Found:
    """An entry of the source that can be stored, as the import holds it until it writes:
    enough to tell whether it is there already, and its text while the texts fit."""

    source_id: str
    same_as: str
    key: bytes
    """A digest of (content hash, entry time), what an entry already in the journal with
    the same title, text and time has too (``_key``)."""
    epoch: int
    offset: int
    text: bytes | None
    """Its title and text in UTF-8 with a NUL between (neither holds one), or None once
    the import holds no texts (``_Scan``): then the source is read again to write it."""


@dataclass(frozen=True, slots=True)
class _Row:
    """One entry to write."""

    source_id: str
    title: str
    body: str
    epoch: int
    offset: int


def _key(chash: str, epoch: int) -> bytes:
    return hashlib.blake2b(f"{chash}\x00{epoch}".encode(), digest_size=16).digest()


def _cost(item: _Found | Rejected) -> int:
    """The memory holding ``item`` takes, near enough (see ``FOUND_COST``)."""
    if isinstance(item, Rejected):
        return REJECTED_COST + sys.getsizeof(item.where) + sys.getsizeof(item.reason)
    text = len(item.text) if item.text is not None else 0
    return FOUND_COST + len(item.source_id) + len(item.same_as) + text


class _Scan:
    """Everything the source holds, read through before anything is written, in as
    little memory as that takes.

    A valid entry is held as a ``_Found``: its id, a digest and, while they fit, its
    title and text as UTF-8 (1-4 times smaller than Python's text, which takes 4 bytes
    a character once one emoji is in it). When what it holds passes ``max_kept_bytes``
    it lets every text go and the import reads the source again to write (``_reread``):
    so a journal of any length is written with a few MB of texts in memory at a time,
    and a small one is read once. Past ``max_kept_bytes`` without texts (some 200,000
    entries) the import stops (SourceTooBig), before writing anything."""

    def __init__(self, options: ImportOptions, keep_texts: bool) -> None:
        self.max_chars = options.max_entry_chars
        self.limit = options.max_kept_bytes
        self.items: list[_Found | Rejected] = []
        self.texts = keep_texts
        """Texts are held (else they are read again to be written)."""
        self.kept = 0
        self.text_bytes = 0
        self.rejected = 0
        self.first_rejected: Rejected | None = None

    def add(self, item: object) -> None:
        """Take one item the importer yielded."""
        if isinstance(item, Rejected):
            if item.takes_back > 0:
                self._take_back(item.takes_back)
            self._hold(Rejected(printable(item.where), printable(item.reason)))
            return
        if not isinstance(item, ImportedEntry):
            raise TypeError(f"an importer yielded {type(item).__name__}")
        body = item.body
        if isinstance(body, str) and len(body) > self.max_chars:
            # Let its text go at once (it may be millions of characters).
            self._hold(Rejected(printable(item.where), too_long(len(body), self.max_chars)))
            return
        why = problem(item, self.max_chars)
        if why is not None:
            self._hold(Rejected(printable(item.where), why))
            return
        title = item.title.strip()
        epoch, offset = to_epoch_and_offset(item.entry_at)
        same_as = item.same_as if isinstance(item.same_as, str) else ""
        text = f"{title}\x00{body}".encode() if self.texts else None
        key = _key(content_hash(title, body), epoch)
        self._hold(_Found(item.source_id, same_as, key, epoch, offset, text))

    def _hold(self, item: _Found | Rejected) -> None:
        if isinstance(item, Rejected):
            self.rejected += 1
            self.first_rejected = self.first_rejected or item
            if self.rejected > MAX_REJECTED:
                raise _TooManyRejected(self.first_rejected)
        elif item.text is not None:
            self.text_bytes += len(item.text)
        self.items.append(item)
        self.kept += _cost(item)
        if self.kept > self.limit:
            self._make_room()

    def _make_room(self) -> None:
        if self.texts:
            for item in self.items:
                if isinstance(item, _Found):
                    item.text = None
            self.kept -= self.text_bytes
            self.text_bytes = 0
            self.texts = False
        if self.kept > self.limit:
            raise SourceTooBig(
                f"its {len(self.items):,} items take more than {self.limit:,} bytes of "
                "memory to hold until they are written, the most one import holds (a "
                "limit that follows the max_entry_chars setting)."
            )

    def _take_back(self, count: int) -> None:
        for _ in range(min(count, len(self.items))):
            item = self.items.pop()
            self.kept -= _cost(item)
            if isinstance(item, Rejected):
                self.rejected -= 1
            elif item.text is not None:
                self.text_bytes -= len(item.text)


class _TooManyRejected(Exception):
    def __init__(self, first: Rejected) -> None:
        super().__init__(first.reason)
        self.first = first


def run_import(
    api: CharlieAPI,
    importer_name: str,
    source: Path | str,
    *,
    journal: str | None = None,
    dry_run: bool = False,
    recursive: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import ``source`` with the importer called ``importer_name`` into ``journal`` (the
    default journal when None; a named journal that does not exist yet is created).

    With ``dry_run`` nothing is written: the summary says what would be added, skipped
    and rejected. Raises ImportSourceError (nothing written) if the source cannot be read.
    """
    importer = load_importer(importer_name)
    if journal is not None:
        check_journal_name(journal)
    path = Path(source).expanduser()
    if not path.exists():
        raise ImportSourceError(f"{path} does not exist.")
    options = ImportOptions(recursive=recursive, max_entry_chars=api.settings.max_entry_chars)
    # Read the whole source before touching the database: a source that turns out to be
    # malformed half-way must leave nothing behind, not even a new journal. A dry run
    # writes nothing, so it holds no texts.
    scans = [_scan_all(importer, path, options, progress, keep_texts=not dry_run)]
    from backend.api import rejoining

    def store() -> ImportSummary:
        # _store consumes its scan (it lets each text go once written), so a second
        # attempt reads the source again.
        scan = (
            scans.pop() if scans else _scan_all(importer, path, options, progress, keep_texts=True)
        )
        return _store(api, importer, importer_name, path, options, scan, journal, dry_run, progress)

    try:
        # Safe to run again after an owner change: entries already written are skipped.
        return rejoining(api, store)
    except redis.RedisError as exc:
        raise BrokerError(
            f"Lost contact with the Charlie database during the import ({exc}). Run the "
            "same import again: entries already written are skipped."
        ) from exc


def _store(
    api: CharlieAPI,
    importer: Importer,
    importer_name: str,
    path: Path,
    options: ImportOptions,
    scan: _Scan,
    journal: str | None,
    dry_run: bool,
    progress: Progress | None,
) -> ImportSummary:
    target = _target_journal(api, journal)
    summary = ImportSummary(
        importer=importer_name,
        source=str(path),
        journal=target.name if target else (journal or "").strip(),
        dry_run=dry_run,
        total=len(scan.items),
    )
    items, scan.items = scan.items, []
    rows = _select(api, summary, target, items)
    del items
    if dry_run or not rows:
        summary.added = len(rows)
        if target is not None:
            summary.added_ids = [entry_id_for(importer_name, target.id, r.source_id) for r in rows]
        return summary
    if target is None:
        # Only now, with something to write: an import that adds nothing makes no journal.
        target = api.store.ensure_journal(summary.journal)
        summary.journal = target.name
    summary.backup = _snapshot(api)
    if scan.texts:
        _write(api, target, summary, map(_held_row, rows), len(rows), progress)
        return summary
    try:
        _write(
            api,
            target,
            summary,
            _reread(importer, path, options, rows, summary),
            len(rows),
            progress,
        )
    except ImportSourceError as exc:
        backup = f" (a backup was taken first: {summary.backup})" if summary.backup else ""
        raise ImportSourceError(
            f"{path} could not be read again to write its entries: {exc} "
            f"{summary.added:,} of its {len(rows):,} new entries were written before "
            f"that{backup}. Run the same import again to add the rest: entries already "
            "written are skipped."
        ) from None
    return summary


def _held_row(found: _Found) -> _Row:
    """The row to write for an entry whose text the import held."""
    title, _, body = (found.text or b"").decode().partition("\x00")
    found.text = None  # Written (or about to be): let it go.
    return _Row(found.source_id, title, body, found.epoch, found.offset)


def _reread(
    importer: Importer,
    path: Path,
    options: ImportOptions,
    rows: list[_Found],
    summary: ImportSummary,
) -> Iterator[_Row]:
    """The entries of ``rows`` read from the source again, in its order, each checked
    to say what it said the first time (an entry that changed meanwhile, or is gone, is
    rejected, saying so). Raises ImportSourceError if the source cannot be read now."""
    pending = {found.source_id: found for found in rows}
    for item in importer.scan(path, options.again()):
        if not isinstance(item, ImportedEntry) or not isinstance(item.source_id, str):
            continue
        found = pending.get(item.source_id)
        if found is None:
            continue  # Not to be written (or written already: the source repeats it).
        body = item.body
        if not isinstance(body, str) or len(body) > options.max_entry_chars:
            continue
        if problem(item, options.max_entry_chars) is not None:
            continue
        title = item.title.strip()
        epoch, offset = to_epoch_and_offset(item.entry_at)
        if _key(content_hash(title, body), epoch) != found.key or offset != found.offset:
            continue  # Another item with the same id (the one planned may come later).
        del pending[item.source_id]
        yield _Row(found.source_id, title, body, epoch, offset)
    for found in pending.values():
        summary.rejected.append(
            Rejected(
                f"{path.name}: {printable(found.source_id)}",
                "It changed, or was gone, when the source was read again to write it; "
                "import the source again to add it.",
            )
        )


def _target_journal(api: CharlieAPI, name: str | None) -> Journal | None:
    """The journal to import into, or None if the named one does not exist yet."""
    if name is None:
        return api.journal()
    found = api.store.find_journal(name)
    if found is not None:
        return found
    if name.strip().casefold() == api.settings.default_journal.casefold():
        return api.journal()
    return None


def _scan_all(
    importer: Importer,
    path: Path,
    options: ImportOptions,
    progress: Progress | None,
    *,
    keep_texts: bool,
) -> _Scan:
    """Every item of the source, read before anything is written (see ``_Scan``); if
    the source is more than one import reads or holds, ImportSourceError."""
    scan = _Scan(options, keep_texts)
    try:
        for item in importer.scan(path, options):
            try:
                scan.add(item)
            except TypeError as exc:
                raise TypeError(f"importer {importer.name!r}: {exc}") from None
            if progress is not None and len(scan.items) % 50 == 0:
                progress("reading", len(scan.items), None)
    except SourceTooBig as exc:
        raise ImportSourceError(
            f"{path} is too big to import at once: {exc} Nothing was imported. "
            + (importer.split_hint or "Import it in parts.")
        ) from None
    except _TooManyRejected as exc:
        raise ImportSourceError(
            f"{path}: more than {MAX_REJECTED:,} of its items cannot be imported (the "
            f"first, {exc.first.where}: {exc.first.reason}), so it is not a source "
            f"the {importer.name!r} importer reads. Nothing was imported."
        ) from None
    if progress is not None:
        progress("reading", len(scan.items), None)
    return scan


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


def _existing(api: CharlieAPI, journal: Journal | None) -> tuple[set[str], set[bytes]]:
    """The journal's entry ids, and the ``_key`` of each of its entries."""
    if journal is None:
        return set(), set()
    rows = Graph(api.broker.client, graph_key(journal.id)).read(
        "MATCH (e:Episode) RETURN e.id, e.content_hash, e.entry_at"
    )
    return {r[0] for r in rows}, {_key(r[1], int(r[2])) for r in rows}


def _select(
    api: CharlieAPI,
    summary: ImportSummary,
    journal: Journal | None,
    items: list[_Found | Rejected],
) -> list[_Found]:
    """The entries to write; fills in the summary's skipped and rejected."""
    ids, contents = _existing(api, journal)
    seen: set[str] = set()
    rows: list[_Found] = []
    for item in items:
        if isinstance(item, Rejected):
            summary.rejected.append(item)
            continue
        present = journal is not None and (
            entry_id_for(summary.importer, journal.id, item.source_id) in ids or item.same_as in ids
        )
        if present or item.key in contents or item.source_id in seen:
            summary.skipped += 1
            continue
        seen.add(item.source_id)
        contents.add(item.key)
        rows.append(item)
    return rows


def _snapshot(api: CharlieAPI) -> str:
    """Take the pre-import backup, if this Charlie has the backup module."""
    if importlib.util.find_spec("backend.transfer.backup") is None:
        return ""
    module: Any = importlib.import_module("backend.transfer.backup")
    snapshot = getattr(module, "snapshot", None)
    if snapshot is None:
        return ""
    return str(snapshot(api, reason="import"))


def _batches(rows: Iterator[_Row]) -> Iterator[list[_Row]]:
    batch: list[_Row] = []
    chars = 0
    for row in rows:
        size = len(row.body) + len(row.title)
        if batch and (len(batch) >= BATCH_ENTRIES or chars + size > BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(row)
        chars += size
    if batch:
        yield batch


def _write(
    api: CharlieAPI,
    journal: Journal,
    summary: ImportSummary,
    rows: Iterator[_Row],
    total: int,
    progress: Progress | None,
) -> None:
    """Write ``rows`` (``total`` of them, or fewer if the source changed) batch by
    batch; each batch and its jobs commit in one MULTI."""
    graph = Graph(api.broker.client, graph_key(journal.id))
    if progress is not None:
        progress("writing", 0, total)
    for batch in _batches(rows):
        now = int(time.time() * 1000)
        params: list[dict[str, Any]] = []
        jobs: list[tuple[str, str]] = []
        for row in batch:
            entry_id = entry_id_for(summary.importer, journal.id, row.source_id)
            chash = content_hash(row.title, row.body)
            params.append(
                {
                    "id": entry_id,
                    "title": row.title,
                    "body": row.body,
                    "entry_at": row.epoch,
                    "utc_offset": row.offset,
                    "created_at": now,
                    "updated_at": now,
                    "source": summary.importer,
                    "content_hash": chash,
                }
            )
            jobs.append((entry_id, chash))
        with api.broker.client.pipeline(transaction=True) as pipe:
            pipe.execute_command(*graph.command(_CREATE_BATCH, {"rows": params}))
            for entry_id, chash in jobs:
                api.jobs.enqueue(journal.id, entry_id, chash, priority=BACKLOG, pipe=pipe, now=now)
            pipe.publish(EVENTS, entries_event(journal.id, len(batch)))
            pipe.execute()
        summary.added += len(batch)
        summary.added_ids.extend(entry_id for entry_id, _ in jobs)
        # A lost wake-up is harmless (the owner's sweeper re-sends it).
        api.wakeups.send(priority=0)
        if progress is not None:
            progress("writing", summary.added, total)
