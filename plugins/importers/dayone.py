"""Day One: its JSON export (``Journal.json``), or the export zip holding one JSON file
per journal plus ``photos/``.

A journal file is read as it goes, an entry at a time (``backend.transfer.json_stream``), so a
journal of any length is read in the memory one entry takes; only the fields an entry
needs are kept (not ``richText``, photos' metadata and the like). The zip is never
extracted: members are unpacked as they are read. A member with an unsafe name (``../``,
an absolute path), a symlink, or a journal file that compresses suspiciously well (a zip
bomb) is rejected with a reason and nothing is read from it; what the whole zip unpacks
counts against the import's budget, past which the import stops and writes nothing. A
member found broken part-way (bad JSON, a bad checksum) is rejected whole, taking back
the entries already read from it. Photos in the zip are kept as the entries'
attachments, in their place in the text (``plugins.importers.dayone_photos``); a plain
``Journal.json`` holds none, and the import says so once. Videos and audio are not
imported; their links are removed from the text. Entries keep Day One's ``uuid`` as
their source id, so importing the same export twice adds nothing, their own time zone
(``timeZone``; UTC when it is unknown), their ``tags`` and whether they are ``starred``.
"""

from __future__ import annotations

import dataclasses
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from backend.transfer.importing import (
    ImportedAttachment,
    ImportedEntry,
    Importer,
    ImportOptions,
    ImportSourceError,
    Rejected,
    digest_id,
    too_long,
    value_too_big,
)
from backend.transfer.json_stream import JsonProblem, JsonReader, NotJson, NotUtf8, ValueTooBig
from plugins.importers import content_id, normalise_newlines, split_heading, tidy_body, zone_named
from plugins.importers.dayone_photos import (
    UNPACK_ERRORS,
    ZipPhotos,
    no_zip,
    read_photos,
    too_many,
    with_photo_links,
    zip_members,
)
from plugins.importers.tagging import TOO_MANY_TAGS, TooManyTags, read_flag, read_tags

SPLIT_HINT = (
    "Export it from Day One in parts (a few journals, or a date range, at a time) and "
    "import each part; entries already imported are skipped."
)
MAX_RATIO = 100
"""A zipped journal file expanding more than this many times its packed size is
treated as a zip bomb (JSON text packs 5-15 times)."""
RATIO_FLOOR = 1024 * 1024
"""Members smaller than this are never too compressed to read."""
SHORT_FIELD_CHARS = 1024
"""``uuid``, ``creationDate`` and ``timeZone`` are short; a longer one is not kept whole."""
MEDIA_KEYS = ("photos", "videos", "audios")
NOT_A_JOURNAL = 'is not a Day One export (it has no "entries" list).'

_MEDIA = re.compile(r"!\[[^\]\n]*\]\(dayone-moment:[^)\n]*\)[ \t]*\n?")
# Day One escapes Markdown punctuation (\. \- \( …); any ASCII punctuation may be escaped.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def clean_text(text: str) -> str:
    """Day One's Markdown as plain Markdown: media links out, escapes undone."""
    text = _MEDIA.sub("", normalise_newlines(text))
    text = _ESCAPE.sub(r"\1", text)
    return re.sub(r"\n{3,}", "\n\n", text)


class DayOneImporter(Importer):
    """Reads a Day One JSON export or the zip it comes in."""

    name = "dayone"
    description = "Day One: the export zip, or the Journal.json inside it"
    split_hint = SPLIT_HINT

    def scan(self, source: Path, options: ImportOptions) -> Iterator[ImportedEntry | Rejected]:
        if source.is_dir():
            raise ImportSourceError(
                f"{source} is a folder; give the Day One export zip or its JSON file."
            )
        if not source.is_file():
            # A device or a pipe: checking it for a zip would read it without end.
            raise ImportSourceError(
                f"{source} is not a file; give the Day One export zip or its JSON file."
            )
        if source.suffix.lower() == ".zip" or zipfile.is_zipfile(source):
            yield from self._scan_zip(source, options)
            return
        try:
            with source.open("rb") as handle:
                # Not charged to the budget: a file on disk does not inflate.
                yield from journal_items(handle, source.name, options, charge=False)
        except JsonProblem as exc:
            raise ImportSourceError(f"{source} {why_unread(exc, options)}") from None
        except OSError as exc:
            raise ImportSourceError(f"Could not read {source}: {exc.strerror or exc}.") from exc

    @contextmanager
    def open_attachments(self, source: Path) -> Iterator[Callable[[str], BinaryIO]]:
        """The zip's photo members, to store them (``dayone_photos.zip_members``)."""
        with zip_members(source, unsafe_member) as open_member:
            yield open_member

    def _scan_zip(self, source: Path, options: ImportOptions) -> Iterator[ImportedEntry | Rejected]:
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise ImportSourceError(f"{source} is not a readable zip file ({exc}).") from exc
        with archive:
            photos = ZipPhotos(archive, source.name, options, unsafe_member)
            found = False
            for info in archive.infolist():
                if info.is_dir():
                    continue
                unsafe = unsafe_member(info)
                if unsafe:
                    found = True  # Reported, so the user sees why nothing came of it.
                    yield Rejected(f"{source.name}: {info.filename}", unsafe)
                    continue
                if not _is_journal_file(info.filename):
                    continue  # photos/, videos, macOS metadata: never read.
                found = True
                # What all the members unpack to together counts against the import's
                # budget as they are read (options.budget): past it the import stops.
                yield from _scan_member(archive, info, source.name, options, photos)
            if not found:
                raise ImportSourceError(f"{source} holds no Day One journal (.json) file.")


def unsafe_member(info: zipfile.ZipInfo) -> str:
    """Why a zip member must not be touched ("" if it is fine to look at)."""
    name = info.filename
    if "\x00" in name:
        return "Its name contains a NUL character."
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "It has an absolute path, which a safe export never has."
    if ".." in re.split(r"[/\\]", name):
        return "Its path climbs out of the archive (../), which a safe export never does."
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "It is a symbolic link, which a safe export never holds."
    return ""


def _is_journal_file(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    hidden = any(p.startswith(".") or p == "__MACOSX" for p in parts)
    return not hidden and name.lower().endswith(".json")


def why_unread(problem: JsonProblem, options: ImportOptions) -> str:
    """Why a journal file could not be read, as a clause after its name."""
    if isinstance(problem, NotUtf8):
        return "is not UTF-8 text, so it is not a Day One export."
    if isinstance(problem, ValueTooBig):
        return (
            f"{value_too_big(problem)} An entry's text may be at most "
            f"{options.max_entry_chars:,} characters; none of its entries are imported."
        )
    return str(problem)


def _scan_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    zip_name: str,
    options: ImportOptions,
    photos: ZipPhotos,
) -> Iterator[ImportedEntry | Rejected]:
    where = f"{zip_name}: {info.filename}"
    packed = max(info.compress_size, 1)
    if info.file_size > RATIO_FLOOR and info.file_size / packed > MAX_RATIO:
        yield Rejected(
            where,
            f"It unpacks to {info.file_size / packed:,.0f} times its packed size, which "
            "looks like a zip bomb; nothing was read from it.",
        )
        return
    read = 0
    try:
        with archive.open(info) as member:
            # Unpacked a chunk at a time as the entries are read, never further than the
            # header says (zipfile stops there and checks the checksum).
            for item in journal_items(member, where, options, charge=True, photos=photos):
                read += 1
                yield item
    except JsonProblem as exc:
        # Entries read before are taken back: the member is rejected whole.
        yield Rejected(where, f"It {why_unread(exc, options)}", takes_back=read)
    except UNPACK_ERRORS as exc:
        yield Rejected(where, f"It could not be unpacked ({exc}).", takes_back=read)


def journal_items(
    stream: BinaryIO,
    label: str,
    options: ImportOptions,
    *,
    charge: bool,
    photos: ZipPhotos | None = None,
) -> Iterator[ImportedEntry | Rejected]:
    """The entries of the journal file in ``stream``, one at a time, as they are read,
    each with its photos from the zip (``photos``; None for a plain JSON file, which
    holds none: then one item at the end says how many were left behind). Raises
    JsonProblem when the file is not a Day One export, or stops being one."""
    left_behind = 0
    reader = JsonReader(
        stream,
        max_value_bytes=options.max_value_bytes,
        charge=options.budget.charge if charge else None,
    )
    reader.expect("start_map", NOT_A_JOURNAL)
    found = False
    for key in reader.keys():
        if key != "entries" or found or reader.peek()[0] != "start_array":
            reader.skip()  # metadata, and anything Day One adds one day.
            continue
        found = True
        reader.next()
        for index in reader.items():
            try:
                raw = _read_entry(reader, options)
            except ValueTooBig as exc:
                exc.entry = index + 1
                raise
            listed = raw.get("photos") if isinstance(raw, dict) else None
            if photos is None and listed:
                left_behind += listed if isinstance(listed, int) else len(listed)
            yield from _entry_items(raw, label, index + 1, options.max_entry_chars, photos)
    if not found:
        raise NotJson(NOT_A_JOURNAL)
    reader.finish()
    if left_behind:
        yield no_zip(label, left_behind)


def _entry_items(
    raw: Any, label: str, index: int, max_chars: int, photos: ZipPhotos | None
) -> list[ImportedEntry | Rejected]:
    """An entry with the photos of the zip it lists, and an item for each photo not
    kept (none when the entry itself is rejected)."""
    listed = raw.get("photos") if isinstance(raw, dict) else None
    if photos is None or not listed:
        return [_entry(raw, label, index, max_chars)]
    where = _where(raw, label, index)
    files: list[ImportedAttachment] = []
    links: dict[str, str] = {}
    if isinstance(listed, int):
        rejected = [Rejected(where, too_many(listed))]
    else:
        files, links, rejected = photos.keep(listed, where)
    item = _entry(raw, label, index, max_chars, links)
    if not isinstance(item, ImportedEntry):
        return [item]
    return [*rejected, dataclasses.replace(item, attachments=tuple(files))]


def _where(raw: dict[str, Any], file_label: str, index: int) -> str:
    """An entry as the user finds it in the source: its file, place and uuid."""
    uuid = raw.get("uuid")
    uuid = uuid.strip() if isinstance(uuid, str) else ""
    return f"{file_label}, entry {index}" + (f" ({uuid})" if uuid else "")


class _Long:
    """A text too long to keep: only its length is."""

    def __init__(self, chars: int) -> None:
        self.chars = chars


def _read_entry(reader: JsonReader, options: ImportOptions) -> Any:
    """The fields of the next entry that Charlie uses (photos and the like only as
    "there"), or what the entry is if it is not an object."""
    if reader.peek()[0] != "start_map":
        reader.skip()
        return None
    reader.next()
    raw: dict[str, Any] = {}
    # Cleaning (escapes, media links) shortens a text, but never to half: a text twice
    # the limit is too long whatever it says, and is not kept.
    longest = 2 * options.max_entry_chars + 64 * 1024
    for key in reader.keys():
        if key == "text":
            text = reader.string()
            if text is None:
                raw[key] = 0  # Not a string: "Its text is not text."
            else:
                raw[key] = _Long(len(text)) if len(text) > longest else text
        elif key in ("uuid", "creationDate", "timeZone"):
            value = reader.string()
            if value is not None and len(value) > SHORT_FIELD_CHARS:
                # Not a real one; what it starts with still tells it apart.
                value = f"{value[:40]}…{digest_id(value)}"
            raw[key] = value
        elif key == "tags":
            raw[key] = read_tags(reader)
        elif key == "starred":
            raw[key] = read_flag(reader)
        elif key == "photos":
            raw[key] = read_photos(reader)
        elif key in MEDIA_KEYS:
            reader.skip()
            raw[key] = True
        else:
            reader.skip()
    return raw


def _entry(
    raw: Any, file_label: str, index: int, max_chars: int, links: dict[str, str] | None = None
) -> ImportedEntry | Rejected:
    if not isinstance(raw, dict):
        return Rejected(f"{file_label}, entry {index}", "It is not a Day One entry object.")
    uuid = raw.get("uuid")
    uuid = uuid.strip() if isinstance(uuid, str) else ""
    where = f"{file_label}, entry {index}" + (f" ({uuid})" if uuid else "")
    created = raw.get("creationDate")
    if not isinstance(created, str):
        return Rejected(where, "It has no creationDate.")
    try:
        moment = datetime.fromisoformat(created.strip())
    except ValueError:
        return Rejected(where, f"Its creationDate {created[:40]!r} is not a date.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    zone_name = raw.get("timeZone")
    zone = zone_named(zone_name) if isinstance(zone_name, str) else None
    try:
        moment = moment.astimezone(zone or UTC)
    except (OverflowError, ValueError):
        return Rejected(where, f"Its creationDate {created[:40]!r} is out of range.")
    text = raw.get("text", "")
    if isinstance(text, _Long):
        return Rejected(where, too_long(text.chars, max_chars))
    if not isinstance(text, str):
        return Rejected(where, "Its text is not text.")
    # The links to the photos kept become links to their attachments (``links``).
    cleaned = tidy_body(clean_text(with_photo_links(text, links) if links else text))
    if not cleaned.strip():
        media = "photos" in raw or "videos" in raw or "audios" in raw or "dayone-moment" in text
        why = " (only media, which Charlie does not import)" if media else ""
        return Rejected(where, f"It has no text{why}.")
    title, body = split_heading(cleaned)
    tags = raw.get("tags") or ()
    if isinstance(tags, TooManyTags):
        return Rejected(where, TOO_MANY_TAGS)
    return ImportedEntry(
        source_id=f"uuid:{uuid}" if uuid else content_id(title, body, moment),
        title=title,
        body=body,
        entry_at=moment,
        where=where,
        tags=tags,
        starred=raw.get("starred", False),
    )
