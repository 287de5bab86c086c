"""Day One: its JSON export (``Journal.json``), or the export zip holding one JSON file
per journal plus ``photos/``.

The zip is never extracted: members are read in memory, with limits. A member with an
unsafe name (``../``, an absolute path), a symlink, or a journal file that is too big or
compresses suspiciously well (a zip bomb) is rejected with a reason and nothing is read
from it. A journal file is unpacked a chunk at a time and only up to the JSON limit
(``ImportOptions.max_json_bytes``); what the whole zip unpacks counts against the
import's budget, past which the import stops and writes nothing. Photos, videos and audio
are not imported; their links are removed from the text. Entries keep Day One's ``uuid``
as their source id, so importing the same export twice adds nothing, and their own time
zone (``timeZone``; UTC when it is unknown).
"""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from backend.importing import (
    ImportedEntry,
    Importer,
    ImportOptions,
    ImportSourceError,
    Rejected,
    TooBig,
    read_limited,
    too_many_json_values,
)
from plugins.importers import content_id, normalise_newlines, split_heading, tidy_body, zone_named

SPLIT_HINT = (
    "Export it from Day One in parts (a few journals, or a date range, at a time) and "
    "import each part; entries already imported are skipped."
)
MAX_RATIO = 100
"""A zipped journal file expanding more than this many times its packed size is
treated as a zip bomb (JSON text packs 5-15 times)."""
RATIO_FLOOR = 1024 * 1024
"""Members smaller than this are never too compressed to read."""

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
        limit = options.max_json_bytes
        try:
            with source.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > limit:
                    raise ImportSourceError(too_big(f"{source} is {size:,} bytes", limit))
                journal = _read_journal(handle, options)
        except TooBig:  # It grew since it was measured.
            raise ImportSourceError(
                too_big(f"{source} is more than {limit:,} bytes", limit)
            ) from None
        except OSError as exc:
            raise ImportSourceError(f"Could not read {source}: {exc.strerror or exc}.") from exc
        if isinstance(journal, str):
            raise ImportSourceError(f"{source} {journal}")
        yield from _entries(journal, source.name)

    def _scan_zip(self, source: Path, options: ImportOptions) -> Iterator[ImportedEntry | Rejected]:
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise ImportSourceError(f"{source} is not a readable zip file ({exc}).") from exc
        with archive:
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
                yield from _scan_member(archive, info, source.name, options)
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


def too_big(what: str, limit: int) -> str:
    """The reason a journal file is not read: ``what`` says its size."""
    return (
        f"{what}; Charlie reads Day One journal files of up to {limit:,} bytes (a limit "
        "that follows the max_entry_chars setting, so that an import's memory stays "
        f"bounded). {SPLIT_HINT}"
    )


def _scan_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, zip_name: str, options: ImportOptions
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
    limit = options.max_json_bytes
    if info.file_size > limit:
        yield Rejected(where, too_big(f"It unpacks to {info.file_size:,} bytes", limit))
        return
    try:
        with archive.open(info) as member:
            # Unpacked a chunk at a time and never past the limit, whatever the member's
            # header claims (zipfile also stops at the size the header gives).
            journal = _read_journal(member, options)
    except TooBig:
        yield Rejected(where, too_big(f"It unpacks to more than {limit:,} bytes", limit))
        return
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        RuntimeError,  # encrypted
        NotImplementedError,  # a compression method Python lacks
    ) as exc:
        yield Rejected(where, f"It could not be unpacked ({exc}).")
        return
    if isinstance(journal, str):
        yield Rejected(where, f"It {journal}")
        return
    yield from _entries(journal, where)


def _read_journal(stream: BinaryIO, options: ImportOptions) -> list[Any] | str:
    """The entries of the journal file in ``stream``, or what is wrong with it (a phrase
    after the file name). Raises TooBig past ``options.max_json_bytes``."""
    data = read_limited(stream, options.max_json_bytes, options.budget)
    dense = too_many_json_values(data, options.max_json_bytes)
    if dense:
        return f"{dense} {SPLIT_HINT}"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "is not UTF-8 text, so it is not a Day One export."
    # Only the text is needed from here: the bytes go before parsing adds its objects.
    del data
    return _parse_journal(text)


def _parse_journal(text: str) -> list[Any] | str:
    """The export's entries, or what is wrong with it (a phrase after the file name)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
    except RecursionError:
        return "is nested too deeply to be a Day One export."
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
        return 'is not a Day One export (it has no "entries" list).'
    return doc["entries"]


def _entries(raw_entries: list[Any], where: str) -> Iterator[ImportedEntry | Rejected]:
    for index in range(len(raw_entries)):
        # Each parsed entry is let go once read, so the document shrinks as entries are
        # found instead of being held whole beside them.
        raw, raw_entries[index] = raw_entries[index], None
        yield _entry(raw, where, index + 1)


def _entry(raw: Any, file_label: str, index: int) -> ImportedEntry | Rejected:
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
    if not isinstance(text, str):
        return Rejected(where, "Its text is not text.")
    cleaned = tidy_body(clean_text(text))
    if not cleaned.strip():
        media = "photos" in raw or "videos" in raw or "audios" in raw or "dayone-moment" in text
        why = " (only media, which Charlie does not import)" if media else ""
        return Rejected(where, f"It has no text{why}.")
    title, body = split_heading(cleaned)
    return ImportedEntry(
        source_id=f"uuid:{uuid}" if uuid else content_id(title, body, moment),
        title=title,
        body=body,
        entry_at=moment,
        where=where,
    )
