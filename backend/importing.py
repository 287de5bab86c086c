"""Importing entries from other journaling apps: the importer plugin contract and the
pipeline that validates what an importer found and writes it in all-or-nothing batches.

Importers live in ``plugins/importers/`` and register under the entry-point group
``charlie.importers``; ``charlie import NAME SOURCE`` picks one by name. An importer only
reads: it turns a source (a file, a folder, a zip) into ``ImportedEntry`` items and
``Rejected`` items. Everything that touches the database happens here, in
``run_import``:

1. The whole source is scanned first. An importer raises ``ImportSourceError`` when the
   source as a whole cannot be read (a malformed JSON file, a broken zip), and then
   nothing at all is written.
2. Every item is validated like an entry typed by hand (``backend.validation``); a bad
   item is rejected with a reason and the others go on.
3. Each entry gets a stable id derived from (importer, journal, the source's own id),
   so importing the same thing again skips what is already there. An entry whose title,
   text and time are already in the journal is skipped too, whatever its id, and so is
   one whose ``same_as`` id (from Charlie's own export) is in the journal.
4. If anything is left to write, a backup is taken (``backend.backup.snapshot``, when
   that module is there). Entries are written in batches: each batch is one MULTI/EXEC
   holding the entries and their enrichment jobs (backlog priority, behind anything the
   user writes), so a batch is all-or-nothing and an import killed half-way is finished
   by running it again.

An import's memory is bounded whatever the source holds: an item is read only as far as
the longest entry allowed can go (``read_text``), a JSON document is parsed whole only up
to ``max_json_bytes``, and all that one import unpacks, and all that it keeps until it
writes, stop at ``max_read_bytes`` (``ReadBudget``; the import then stops in step 1,
having written nothing). All of them follow the ``max_entry_chars`` setting.
"""

from __future__ import annotations

import codecs
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
from backend.jobs import BACKLOG, EVENTS
from backend.models import Journal, content_hash, to_epoch_and_offset
from backend.store import Graph, entries_event, graph_key
from backend.validation import MAX_TITLE_CHARS, check_body, check_journal_name, check_title

if TYPE_CHECKING:
    from backend.api import CharlieAPI

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
# Issue 10 D14: a 9 MB zip of three 306 MB members once took 1.56 GB, because members were
# read whole and entries far over the limit were kept until the end. An import must stay
# within a few hundred MB whatever it is given (some 55 MB of that is the interpreter
# and its libraries); with the numbers below the worst input found peaks near 240 MB
# (tests/test_import_memory.py holds the hostile inputs).

READ_MULTIPLE = 640
"""``max_read_bytes`` is this many times ``max_entry_chars`` (64 MB by default): room for
640 entries of the longest length allowed, or some 20,000 entries of a typical 3,000
characters (decades of daily writing), while what an import keeps in memory until it
writes stays a small part of its few hundred MB, even at 4 bytes a character (Python
stores a whole text that way as soon as it holds one emoji)."""
MIN_READ_BYTES = 32 * 1024 * 1024
"""``max_read_bytes`` never goes below this, so a small ``max_entry_chars`` (a journal of
short notes) does not refuse an ordinary export."""
JSON_SHARE = 4
"""A JSON document may take at most this fraction of ``max_read_bytes`` (16 MB by default;
ten years of daily Day One entries are some 10 MB). The json module parses a document
whole: its bytes and its text (up to 4 bytes a character) are in memory together, then
the text and the objects, on top of what the import already keeps."""
JSON_BYTES_PER_VALUE = 32
"""A JSON document may hold at most one value per this many bytes of ``max_json_bytes``.
Small values cost 20-40 times their size as Python objects (``{}`` is 3 bytes of JSON and
72 of memory), so a document under the size limit could still be too dense to parse.
Day One exports hold a value every 30-170 bytes; Charlie's own, rich in entities and
mentions, about every 20, so one is read up to some 10 MB by default."""
ITEM_OVERHEAD = 600
"""The bytes an item costs an import besides its texts (the item, its date, its row and
the summary's copy), counted with them against ``max_read_bytes``."""
READ_CHUNK = 1024 * 1024
"""Sources are read (and zip members unpacked) this much at a time."""
UTF8_MAX = 4
"""The most bytes one character takes in UTF-8 (and in UTF-16, as a surrogate pair)."""
BOM_MAX = len(codecs.BOM_UTF8)
"""The longest byte-order mark a text may start with."""


def import_read_limit(max_entry_chars: int) -> int:
    """The most bytes one import unpacks from its source, and the most memory the items
    it found may take until it writes them (see ``READ_MULTIPLE``)."""
    return max(MIN_READ_BYTES, READ_MULTIPLE * max_entry_chars)


def json_document_limit(max_entry_chars: int) -> int:
    """The biggest JSON document (in bytes) an import, or ``charlie import-export``,
    parses (see ``JSON_SHARE``)."""
    return import_read_limit(max_entry_chars) // JSON_SHARE


class ImportSourceError(CharlieError):
    """The source as a whole cannot be read (missing, malformed, not that format)."""


class SourceTooBig(ImportSourceError):
    """An import would unpack, or keep, more than ``max_read_bytes``. The message says
    what went over, as a clause ("it holds more than …"); the pipeline adds the source and
    how to import it in parts."""


class TooBig(Exception):
    """One item, or one document, is bigger than its limit."""

    def __init__(self, read: int, chars: int | None = None) -> None:
        super().__init__(f"more than the limit ({read:,} bytes read)")
        self.read = read
        """The bytes read when the reading stopped (one more than the byte limit, unless
        the text was decoded and counted)."""
        self.chars = chars
        """The characters counted, when the text was decoded (None if it was not)."""


class ReadBudget:
    """What one import may still unpack from its source, and keep until it writes.

    Importers ``charge`` every byte they unpack from an archive or read as a document
    to parse whole (``read_limited`` does it for them); the pipeline ``keep``s every item
    found. Either raises ``SourceTooBig`` once past ``limit``, and the import stops
    before writing anything."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.read = 0
        """Bytes unpacked (or read as JSON documents) so far."""
        self.kept = 0
        """Bytes of memory the items found so far take (an estimate, see ``ITEM_OVERHEAD``)."""

    def charge(self, size: int) -> None:
        """Count ``size`` more bytes unpacked; SourceTooBig once past the limit."""
        self.read += size
        if self.read > self.limit:
            raise SourceTooBig(
                f"it holds more than {self.limit:,} bytes to read (unpacked), the most one "
                "import reads (a limit that follows the max_entry_chars setting, so that an "
                "import's memory stays bounded)."
            )

    def keep(self, item: ImportedEntry | Rejected) -> None:
        """Count the memory ``item`` takes while the import holds it; SourceTooBig once
        past the limit."""
        if isinstance(item, ImportedEntry):
            texts: tuple[object, ...] = (
                item.source_id,
                item.title,
                item.body,
                item.where,
                item.same_as,
            )
        else:
            texts = (item.where, item.reason)
        self.kept += ITEM_OVERHEAD + sum(sys.getsizeof(t) for t in texts if isinstance(t, str))
        if self.kept > self.limit:
            raise SourceTooBig(
                f"its entries take more than {self.limit:,} bytes of memory together, the "
                "most one import holds before writing (a limit that follows the "
                "max_entry_chars setting)."
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


def json_values(data: bytes) -> int:
    """At least the number of values a JSON document holds (each one after the first in
    a list or an object follows a comma; lists and objects are values themselves).
    Commas inside strings count too, which errs on the safe side."""
    return data.count(b",") + data.count(b"[") + data.count(b"{") + 1


def too_many_json_values(data: bytes, max_json_bytes: int) -> str:
    """Why ``data`` is too dense to parse, as a clause after its name ("" if it is not)."""
    limit = max_json_bytes // JSON_BYTES_PER_VALUE
    found = json_values(data)
    if found <= limit:
        return ""
    return (
        f"holds some {found:,} JSON values; Charlie parses at most {limit:,} in one "
        "document (each takes memory of its own; a limit that follows the max_entry_chars "
        "setting)."
    )


def too_long(chars: int, max_entry_chars: int) -> str:
    """Why an entry of ``chars`` characters cannot be stored."""
    return (
        f"It is {chars:,} characters long; the limit is {max_entry_chars:,} "
        "(the max_entry_chars setting)."
    )


class UnknownImporterError(CharlieError):
    """No importer with the asked-for name is installed."""


@dataclass(frozen=True)
class ImportOptions:
    """What the user asked for, passed to every importer's ``scan``; one per import."""

    recursive: bool = False
    """Folders: look into sub-folders too."""
    max_entry_chars: int = 100_000
    """The settings' limit; importers reject bigger items early, reading no more of them
    than ``read_text`` does."""
    max_read_bytes: int = 0
    """The most one import unpacks (or reads as JSON documents), and the most memory it
    keeps until it writes (0: follows ``max_entry_chars``, see ``import_read_limit``)."""
    max_json_bytes: int = 0
    """The biggest JSON document read (0: follows ``max_entry_chars``, see
    ``json_document_limit``)."""
    budget: ReadBudget = field(init=False, compare=False, repr=False)
    """This import's running count against ``max_read_bytes``; importers charge what they
    unpack, or read as a JSON document, to it (``read_limited`` does)."""

    def __post_init__(self) -> None:
        # Frozen: the derived limits are filled in through object.__setattr__.
        if self.max_read_bytes <= 0:
            object.__setattr__(self, "max_read_bytes", import_read_limit(self.max_entry_chars))
        if self.max_json_bytes <= 0:
            object.__setattr__(self, "max_json_bytes", json_document_limit(self.max_entry_chars))
        object.__setattr__(self, "budget", ReadBudget(self.max_read_bytes))


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Rejected:
    """An item of the source that cannot be imported, and why."""

    where: str
    """The file or entry, as the user can find it in the source."""
    reason: str
    """Why, in a sentence the user can act on."""


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

        Read with bounded memory: an item no further than ``read_text`` would (reject a
        longer one), a JSON document only up to ``options.max_json_bytes``, and every
        byte unpacked from an archive or read as a JSON document charged to
        ``options.budget`` (``read_limited`` does both)."""


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
# "writing" (done and total count entries to add).
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class _Row:
    source_id: str
    title: str
    body: str
    entry_at: datetime


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
    # malformed half-way must leave nothing behind, not even a new journal.
    items = _scan_all(importer, path, options, progress)
    try:
        return _store(api, importer_name, path, items, journal, dry_run, progress)
    except redis.RedisError as exc:
        raise BrokerError(
            f"Lost contact with the Charlie database during the import ({exc}). Run the "
            "same import again: entries already written are skipped."
        ) from exc


def _store(
    api: CharlieAPI,
    importer_name: str,
    path: Path,
    items: list[ImportedEntry | Rejected],
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
        total=len(items),
    )
    rows = _select(api, summary, target, items)
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
    _write(api, target, summary, rows, progress)
    return summary


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
    importer: Importer, path: Path, options: ImportOptions, progress: Progress | None
) -> list[ImportedEntry | Rejected]:
    """Every item of the source, read before anything is written. An entry over the
    length limit becomes a Rejected at once, so its text is not kept until the end; if
    the source is more than one import reads or keeps, ImportSourceError."""
    items: list[ImportedEntry | Rejected] = []
    try:
        for item in importer.scan(path, options):
            if not isinstance(item, ImportedEntry | Rejected):
                raise TypeError(f"importer {importer.name!r} yielded {type(item).__name__}")
            if (
                isinstance(item, ImportedEntry)
                and isinstance(item.body, str)
                and len(item.body) > options.max_entry_chars
            ):
                item = Rejected(item.where, too_long(len(item.body), options.max_entry_chars))
            options.budget.keep(item)
            items.append(item)
            if progress is not None and len(items) % 50 == 0:
                progress("reading", len(items), None)
    except SourceTooBig as exc:
        raise ImportSourceError(
            f"{path} is too big to import at once: {exc} Nothing was imported. "
            + (importer.split_hint or "Import it in parts.")
        ) from None
    if progress is not None:
        progress("reading", len(items), None)
    return items


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


def _existing(api: CharlieAPI, journal: Journal | None) -> tuple[set[str], set[tuple[str, int]]]:
    """The journal's entry ids, and its (content hash, entry time) pairs."""
    if journal is None:
        return set(), set()
    rows = Graph(api.broker.client, graph_key(journal.id)).read(
        "MATCH (e:Episode) RETURN e.id, e.content_hash, e.entry_at"
    )
    return {r[0] for r in rows}, {(r[1], int(r[2])) for r in rows}


def _select(
    api: CharlieAPI,
    summary: ImportSummary,
    journal: Journal | None,
    items: list[ImportedEntry | Rejected],
) -> list[_Row]:
    """The entries to write; fills in the summary's skipped and rejected."""
    ids, contents = _existing(api, journal)
    seen: set[str] = set()
    limit = api.settings.max_entry_chars
    rows: list[_Row] = []
    for item in items:
        if isinstance(item, Rejected):
            summary.rejected.append(Rejected(printable(item.where), printable(item.reason)))
            continue
        why = problem(item, limit)
        if why is not None:
            summary.rejected.append(Rejected(printable(item.where), why))
            continue
        title = item.title.strip()
        present = journal is not None and (
            entry_id_for(summary.importer, journal.id, item.source_id) in ids or item.same_as in ids
        )
        key = (content_hash(title, item.body), to_epoch_and_offset(item.entry_at)[0])
        if present or key in contents or item.source_id in seen:
            summary.skipped += 1
            continue
        seen.add(item.source_id)
        contents.add(key)
        rows.append(_Row(item.source_id, title, item.body, item.entry_at))
    return rows


def _snapshot(api: CharlieAPI) -> str:
    """Take the pre-import backup, if this Charlie has the backup module."""
    if importlib.util.find_spec("backend.backup") is None:
        return ""
    module: Any = importlib.import_module("backend.backup")
    snapshot = getattr(module, "snapshot", None)
    if snapshot is None:
        return ""
    return str(snapshot(api, reason="import"))


def _batches(rows: list[_Row]) -> Iterator[list[_Row]]:
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
    rows: list[_Row],
    progress: Progress | None,
) -> None:
    """Write ``rows`` batch by batch; each batch and its jobs commit in one MULTI."""
    graph = Graph(api.broker.client, graph_key(journal.id))
    if progress is not None:
        progress("writing", 0, len(rows))
    for batch in _batches(rows):
        now = int(time.time() * 1000)
        params: list[dict[str, Any]] = []
        jobs: list[tuple[str, str]] = []
        for row in batch:
            entry_id = entry_id_for(summary.importer, journal.id, row.source_id)
            chash = content_hash(row.title, row.body)
            epoch, offset = to_epoch_and_offset(row.entry_at)
            params.append(
                {
                    "id": entry_id,
                    "title": row.title,
                    "body": row.body,
                    "entry_at": epoch,
                    "utc_offset": offset,
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
            progress("writing", summary.added, len(rows))
