"""Importing with the importer plugins (``charlie import NAME SOURCE``): an importer's
items as a source for the import pipeline (``backend.transfer.pipeline``).

1. The whole source is read through first, validated (``problem``: as an entry typed
   by hand), and held in a compact form (``_Scan``). An importer raises
   ``ImportSourceError`` when the source as a whole cannot be read (a malformed JSON
   file, a broken zip), and then nothing at all is written; a bad item is rejected
   with a reason and the others go on.
2. Each entry gets a stable id derived from (importer, journal, the source's own id),
   so importing the same thing again skips what is already there. An entry whose title,
   text and time are already in the journal is skipped too, whatever its id, and so is
   one whose ``same_as`` id (from Charlie's own export) is in the journal.
3. The pipeline takes a backup if anything is left to write, and the entries are
   written in its batches (200 entries, or ``BATCH_CHARS`` of text).

What step 1 holds stops at ``max_kept_bytes``: the texts of the entries found are held
(as UTF-8) only while they fit; past that they are let go and the source is read a
second time to write them, each entry checked to say what it said the first time (one
that changed meanwhile is rejected, saying so). A source that cannot be read the second
time stops the import with what was written so far and where the backup is.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.errors import ValidationError
from backend.graph.schema import episode_properties
from backend.models import Journal, content_hash, to_epoch_and_offset
from backend.shared import Backend
from backend.transfer.import_attachments import AttachmentWriter
from backend.transfer.importing import (
    MAX_REJECTED,
    ImportedAttachment,
    ImportedEntry,
    Importer,
    ImportOptions,
    ImportSourceError,
    Rejected,
    SourceTooBig,
    entry_id_for,
    load_importer,
    printable,
    problem,
    too_long,
)
from backend.transfer.pipeline import (
    EntryWriter,
    Presence,
    Source,
    Summary,
    Tally,
    Target,
    Wanted,
    content_key,
    run_pipeline,
)
from backend.validation import check_journal_name

BATCH_CHARS = 4_000_000
"""A batch of entries also closes at this much text, so one MULTI never carries a huge
query."""


@dataclass(kw_only=True)
class ImportSummary(Summary, Tally):
    """What an import from an importer did (or, for a dry run, would do)."""

    importer: str
    journal: str
    total: int = 0
    """Items scanned: entries found plus items rejected while reading."""
    rejected: list[Rejected] = field(default_factory=list)
    added_ids: list[str] = field(default_factory=list)
    """The ids of the entries added (for a dry run, that would be added)."""
    journals: list[JournalCount] = field(default_factory=list)
    """Each journal imported into, when the source names them (``ImportedEntry.journal``):
    its own counts. ``journal`` then names them all."""


@dataclass(kw_only=True)
class JournalCount:
    """What an import did (or would do) to one of the journals it imported into."""

    name: str
    added: int = 0
    skipped: int = 0
    created: bool = False
    """The journal did not exist before the import."""


# progress(stage, done, total): stage "reading" (total None: not known yet) then
# "writing" (done and total count entries to add; a source read again to be written is
# read during "writing").
Progress = Callable[[str, int, int | None], None]

FOUND_COST = 300
"""What holding one entry found costs besides its source id and its text: its record,
its digest, and its place in the lists and sets that tell what is already there."""
REJECTED_COST = 150
"""What holding one rejected item costs besides its two texts."""
ATTACHMENT_COST = 250
"""What holding one entry's attachment costs besides its two texts."""


@dataclass(slots=True)
class _Found:
    """An entry of the source that can be stored, as the import holds it until it writes:
    enough to tell whether it is there already, and its text while the texts fit."""

    source_id: str
    same_as: str
    key: bytes
    """Its ``content_key``: what an entry already in the journal with the same title,
    text and time has too."""
    epoch: int
    offset: int
    text: bytes | None
    """Its title and text in UTF-8 with a NUL between (neither holds one), or None once
    the import holds no texts (``_Scan``): then the source is read again to write it."""
    tags: tuple[str, ...] = ()
    """The tags the source gives beside its text (``given_tags``)."""
    starred: bool = False
    attachments: tuple[ImportedAttachment, ...] = ()
    """Its files (photos), stored when it is written (``import_attachments``)."""
    journal: str = ""
    """The journal the source names for it ("" for none, or when the user named one)."""


@dataclass(frozen=True, slots=True)
class _Row:
    """One entry to write."""

    source_id: str
    title: str
    body: str
    epoch: int
    offset: int
    tags: tuple[str, ...] = ()
    starred: bool = False
    attachments: tuple[ImportedAttachment, ...] = ()


def given_attachments(item: ImportedEntry) -> tuple[ImportedAttachment, ...]:
    """The attachments an importer gave an entry (anything else among them left out)."""
    found = item.attachments if isinstance(item.attachments, tuple | list) else ()
    return tuple(a for a in found if isinstance(a, ImportedAttachment))


def given_tags(item: ImportedEntry) -> tuple[str, ...]:
    """The tags an importer gave an entry (anything but text among them is left out:
    the tags are the importer's reading of the source, not the user's words)."""
    tags = item.tags if isinstance(item.tags, tuple | list) else ()
    return tuple(t for t in tags if isinstance(t, str))


def _cost(item: _Found | Rejected) -> int:
    """The memory holding ``item`` takes, near enough (see ``FOUND_COST``)."""
    if isinstance(item, Rejected):
        return REJECTED_COST + sys.getsizeof(item.where) + sys.getsizeof(item.reason)
    text = len(item.text) if item.text is not None else 0
    tags = sum(len(t) for t in item.tags)
    files = sum(ATTACHMENT_COST + len(a.ref) + len(a.where) for a in item.attachments)
    return FOUND_COST + len(item.source_id) + len(item.same_as) + text + tags + files


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
        self.by_journal = options.journals_from_source
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
        key = content_key(content_hash(title, body), epoch)
        found = _Found(item.source_id, same_as, key, epoch, offset, text)
        found.tags, found.starred = given_tags(item), item.starred is True
        found.attachments = given_attachments(item)
        if self.by_journal and isinstance(item.journal, str) and item.journal.strip():
            try:
                found.journal = check_journal_name(item.journal)
            except ValidationError as exc:
                self._hold(Rejected(printable(item.where), f"Its journal: {exc}"))
                return
        self._hold(found)

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
    backend: Backend,
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
    options = ImportOptions(
        recursive=recursive,
        max_entry_chars=backend.settings.max_entry_chars,
        max_attachment_bytes=backend.settings.attachment_max_mb * 1024 * 1024,
        max_attachments_bytes=backend.settings.import_attachments_max_mb * 1024 * 1024,
        journals_from_source=journal is None,
    )
    # Read the whole source before touching the database: a source that turns out to be
    # malformed half-way must leave nothing behind, not even a new journal. A dry run
    # writes nothing, so it holds no texts.
    scan = _scan_all(importer, path, options, progress, keep_texts=not dry_run)
    found = _ImporterSource(importer, importer_name, path, options, journal, progress, scan)
    return run_pipeline(backend, found, dry_run=dry_run)


class _ImporterSource(Source[ImportSummary]):
    """An importer's items, read through, as the pipeline takes them."""

    def __init__(
        self,
        importer: Importer,
        importer_name: str,
        path: Path,
        options: ImportOptions,
        journal: str | None,
        progress: Progress | None,
        scan: _Scan,
    ) -> None:
        self.importer = importer
        self.name = importer_name
        self.path = path
        self.options = options
        self.journal = journal
        self.progress = progress
        self.scans = [scan]
        self.scan = scan
        self.rows: list[_Found] = []
        self.order: list[str] = []
        """The journals the entries go into, without case ("": the one named, or the
        default journal), in the order the pipeline takes them (``journals``)."""
        self.groups: dict[str, list[_Found]] = {}
        self.picked: list[list[_Found]] = []
        """The new entries of each journal, in ``order`` (``select``)."""

    def start(self, dry_run: bool) -> ImportSummary:
        # Writing consumes a scan (it lets each text go once written), so a second
        # attempt reads the source again.
        if self.scans:
            self.scan = self.scans.pop()
        else:
            self.scan = _scan_all(
                self.importer, self.path, self.options, self.progress, keep_texts=True
            )
        return ImportSummary(
            importer=self.name,
            source=str(self.path),
            journal=(self.journal or "").strip(),
            dry_run=dry_run,
            total=len(self.scan.items),
        )

    def journals(self) -> list[Wanted]:
        """The journal named on the command line; else each journal the entries name
        (Charlie's Markdown export writes ``journal:``), the default one for the others."""
        if self.journal is not None:
            self.order = [""]
            return [Wanted(self.journal.strip())]
        names: dict[str, str] = {}
        for item in self.scan.items:
            if isinstance(item, _Found):
                names.setdefault(item.journal.casefold(), item.journal)
        self.order = list(names) or [""]
        return [Wanted(names.get(key) or None) for key in self.order]

    def select(self, n: int, target: Target, presence: Presence, summary: ImportSummary) -> int:
        if n == 0:
            self._split(summary)
            self.picked = []
        journal = target.journal
        count = JournalCount(name=target.name, created=journal is None)
        rows: list[_Found] = []
        for item in self.groups.pop(self.order[n], []):
            ids = () if journal is None else (self._id(journal, item.source_id), item.same_as)
            if presence.claim(item.source_id, ids=ids, content=item.key):
                rows.append(item)
            else:
                count.skipped += 1
        summary.skipped += count.skipped
        summary.journals.append(count)
        summary.journal = ", ".join(c.name for c in summary.journals)
        self.picked.append(rows)
        if summary.dry_run:
            count.added = len(rows)
            summary.added += len(rows)
            if journal is not None:
                summary.added_ids += [self._id(journal, r.source_id) for r in rows]
        return len(rows)

    def _split(self, summary: ImportSummary) -> None:
        """Sort the scan's items into their journals (``order``); rejected ones go to the
        summary."""
        items, self.scan.items = self.scan.items, []
        routed = self.journal is None
        self.groups = {key: [] for key in self.order}
        for item in items:
            if isinstance(item, Rejected):
                summary.rejected.append(item)
            else:
                self.groups[item.journal.casefold() if routed else ""].append(item)

    def _id(self, journal: Journal, source_id: str) -> str:
        return entry_id_for(self.name, journal.id, source_id)

    def write(self, backend: Backend, targets: list[Target], summary: ImportSummary) -> None:
        picked, self.picked = self.picked, []
        for target, rows, count in zip(targets, picked, summary.journals, strict=True):
            before = summary.added
            self.rows = rows
            self._write_into(backend, target, summary)
            count.added = summary.added - before
            count.name, count.created = target.name, target.created
        summary.journal = ", ".join(c.name for c in summary.journals)

    def _write_into(self, backend: Backend, target: Target, summary: ImportSummary) -> None:
        """Write the entries picked for one journal (``rows``)."""
        assert target.journal is not None  # The pipeline made it.
        rows, self.rows = self.rows, []
        files = AttachmentWriter(backend.settings, self.importer, self.path, summary.rejected)
        if self.scan.texts:
            with files:
                _write(
                    backend,
                    target.journal,
                    summary,
                    map(_held_row, rows),
                    len(rows),
                    self.progress,
                    files,
                )
            return
        try:
            with files:
                _write(
                    backend,
                    target.journal,
                    summary,
                    _reread(self.importer, self.path, self.options, rows, summary),
                    len(rows),
                    self.progress,
                    files,
                )
        except ImportSourceError as exc:
            backup = f" (a backup was taken first: {summary.backup})" if summary.backup else ""
            raise ImportSourceError(
                f"{self.path} could not be read again to write its entries: {exc} "
                f"{summary.added:,} of its {len(rows):,} new entries were written before "
                f"that{backup}. Run the same import again to add the rest: entries already "
                "written are skipped."
            ) from None


def _write(
    backend: Backend,
    journal: Journal,
    summary: ImportSummary,
    rows: Iterator[_Row],
    total: int,
    progress: Progress | None,
    files: AttachmentWriter,
) -> None:
    """Write ``rows`` (``total`` of them, or fewer if the source changed) batch by
    batch (``EntryWriter``), each with the entry's enrichment job and its attachments
    (stored by ``files`` first)."""

    def node(row: _Row, now: int) -> dict[str, Any]:
        props = episode_properties(
            entry_id_for(summary.importer, journal.id, row.source_id),
            title=row.title,
            body=row.body,
            entry_at=row.epoch,
            utc_offset=row.offset,
            source=summary.importer,
            now=now,
            tags=row.tags,
            starred=row.starred,
        )
        if row.attachments:
            # Stored (fsynced) now, before the MULTI that writes the entry naming them.
            names = files.store(row.attachments)
            if names:
                props["attachments"] = names
        return props

    def written() -> None:
        if progress is not None:
            progress("writing", summary.added, total)

    writer = EntryWriter(
        backend,
        journal,
        summary,
        node=node,
        cost=lambda row: len(row.body) + len(row.title),
        max_cost=BATCH_CHARS,
        added_ids=summary.added_ids,
        written=written,
    )
    if progress is not None:
        progress("writing", 0, total)
    for row in rows:
        writer.add(row)
    writer.flush()


def _held_row(found: _Found) -> _Row:
    """The row to write for an entry whose text the import held."""
    title, _, body = (found.text or b"").decode().partition("\x00")
    found.text = None  # Written (or about to be): let it go.
    return _Row(
        found.source_id,
        title,
        body,
        found.epoch,
        found.offset,
        found.tags,
        found.starred,
        found.attachments,
    )


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
        if content_key(content_hash(title, body), epoch) != found.key or offset != found.offset:
            continue  # Another item with the same id (the one planned may come later).
        del pending[item.source_id]
        yield _Row(
            found.source_id,
            title,
            body,
            epoch,
            offset,
            given_tags(item),
            item.starred is True,
            given_attachments(item),
        )
    for found in pending.values():
        summary.rejected.append(
            Rejected(
                f"{path.name}: {printable(found.source_id)}",
                "It changed, or was gone, when the source was read again to write it; "
                "import the source again to add it.",
            )
        )


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
