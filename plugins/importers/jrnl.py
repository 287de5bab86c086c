"""jrnl's JSON export (``jrnl --export json``):
``{"tags": {...}, "entries": [{"date": "YYYY-MM-DD", "time": "HH:MM", "title": ...,
"body": ..., "starred": ...}]}``.

jrnl keeps no id of its own, so an entry's source id is a digest of its title, body,
date and time. Times are local (jrnl stores no zone); an entry without a time gets
09:00, jrnl's own default. jrnl takes an entry's first sentence as its title; when
there is nothing after it, that sentence becomes the entry text instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Any

from backend.importing import (
    ImportedEntry,
    Importer,
    ImportOptions,
    ImportSourceError,
    Rejected,
    TooBig,
    digest_id,
    read_limited,
    too_many_json_values,
)
from backend.validation import MAX_TITLE_CHARS
from plugins.importers import normalise_newlines, parse_clock, tidy_body

DEFAULT_TIME = time(9, 0)
SPLIT_HINT = (
    "Export it in parts (jrnl -from DATE -to DATE --export json > part.json) and import "
    "each part; entries already imported are skipped."
)


class JrnlImporter(Importer):
    """Reads a jrnl JSON export."""

    name = "jrnl"
    description = "a jrnl JSON export (jrnl --export json)"
    split_hint = SPLIT_HINT

    def scan(self, source: Path, options: ImportOptions) -> Iterator[ImportedEntry | Rejected]:
        if source.is_dir():
            raise ImportSourceError(
                f"{source} is a folder; give the file `jrnl --export json` wrote."
            )
        if not source.is_file():
            raise ImportSourceError(
                f"{source} is not a file; give the file `jrnl --export json` wrote."
            )
        limit = options.max_json_bytes
        try:
            with source.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > limit:
                    raise ImportSourceError(too_big(f"{source} is {size:,} bytes", limit))
                data = read_limited(handle, limit, options.budget)
        except TooBig:  # It grew since it was measured.
            raise ImportSourceError(
                too_big(f"{source} is more than {limit:,} bytes", limit)
            ) from None
        except OSError as exc:
            raise ImportSourceError(f"Could not read {source}: {exc.strerror or exc}.") from exc
        dense = too_many_json_values(data, limit)
        if dense:
            raise ImportSourceError(f"{source} {dense} {SPLIT_HINT}")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportSourceError(
                f"{source} is not UTF-8 text, so it is not a jrnl export."
            ) from None
        # Only the text is needed from here: the bytes go before parsing adds its objects.
        del data
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportSourceError(
                f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
            ) from None
        except RecursionError:
            raise ImportSourceError(f"{source} is nested too deeply to be a jrnl export.") from None
        del text
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
            raise ImportSourceError(
                f'{source} is not a jrnl JSON export (it has no "entries" list).'
            )
        raw_entries: list[Any] = doc.pop("entries")
        del doc
        for index in range(len(raw_entries)):
            # Each parsed entry is let go once read, so the document shrinks as entries
            # are found instead of being held whole beside them.
            raw, raw_entries[index] = raw_entries[index], None
            yield entry(raw, f"{source.name}, entry {index + 1}")


def too_big(what: str, limit: int) -> str:
    """The reason a jrnl export is not read: ``what`` says its size."""
    return (
        f"{what}; Charlie reads jrnl exports of up to {limit:,} bytes in one import (a "
        "limit that follows the max_entry_chars setting, so that an import's memory stays "
        f"bounded). {SPLIT_HINT}"
    )


def entry(raw: Any, where: str) -> ImportedEntry | Rejected:
    """One jrnl entry, or why it cannot be imported."""
    if not isinstance(raw, dict):
        return Rejected(where, "It is not a jrnl entry object.")
    day, clock = raw.get("date"), raw.get("time", "")
    title, body = raw.get("title", ""), raw.get("body", "")
    for label, value in (("date", day), ("time", clock), ("title", title), ("body", body)):
        if value is not None and not isinstance(value, str):
            return Rejected(where, f"Its {label} is not text.")
    if not day:
        return Rejected(where, "It has no date.")
    where = f"{where} ({day[:10]})"
    try:
        moment = datetime.combine(
            datetime.strptime(day.strip(), "%Y-%m-%d").date(),
            parse_clock(clock.strip()) if clock and clock.strip() else DEFAULT_TIME,
        ).astimezone()
    except (ValueError, OverflowError):
        return Rejected(
            where, f"Its date and time {day[:20]!r} {(clock or '')[:10]!r} are not a date."
        )
    title = normalise_newlines(title or "").strip()
    text = tidy_body(normalise_newlines(body or ""))
    source_id = "content:" + digest_id(title, text, day.strip(), (clock or "").strip())
    if not text or "\n" in title or len(title) > MAX_TITLE_CHARS:
        # The "title" is the entry's only (or over-long) sentence: keep it as text.
        text = f"{title}\n{text}".strip() if text else title
        title = ""
    return ImportedEntry(source_id=source_id, title=title, body=text, entry_at=moment, where=where)
