"""jrnl's JSON export (``jrnl --export json``):
``{"tags": {...}, "entries": [{"date": "YYYY-MM-DD", "time": "HH:MM", "title": ...,
"body": ..., "starred": ...}]}``.

An entry's ``tags`` (jrnl writes each with its tag symbol, "@work" or "#work") become
its tags without the symbol, and ``starred`` stars it.

jrnl keeps no id of its own, so an entry's source id is a digest of its title, body,
date and time. Times are local (jrnl stores no zone); an entry without a time gets
09:00, jrnl's own default. jrnl takes an entry's first sentence as its title; when
there is nothing after it, that sentence becomes the entry text instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time
from pathlib import Path
from typing import Any

from backend.transfer.importing import (
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
from backend.validation import MAX_TITLE_CHARS
from plugins.importers import normalise_newlines, parse_clock, tidy_body
from plugins.importers.tagging import TOO_MANY_TAGS, TooManyTags, read_flag, read_tags

DEFAULT_TIME = time(9, 0)
SPLIT_HINT = (
    "Export it in parts (jrnl -from DATE -to DATE --export json > part.json) and import "
    "each part; entries already imported are skipped."
)
NOT_AN_EXPORT = 'is not a jrnl JSON export (it has no "entries" list).'
FIELDS = ("date", "time", "title", "body")
SHORT_FIELD_CHARS = 1024
"""A date or a time longer than this is not kept whole (it is not a date anyway)."""


class JrnlImporter(Importer):
    """Reads a jrnl JSON export, an entry at a time (``backend.transfer.json_stream``), so an
    export of any length is read in the memory one entry takes."""

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
        try:
            with source.open("rb") as handle:
                yield from _entries(handle, source.name, options)
        except NotUtf8:
            raise ImportSourceError(
                f"{source} is not UTF-8 text, so it is not a jrnl export."
            ) from None
        except ValueTooBig as exc:
            raise ImportSourceError(
                f"{source} {value_too_big(exc)} An entry may be at most "
                f"{options.max_entry_chars:,} characters; none of its entries are imported."
            ) from None
        except JsonProblem as exc:
            raise ImportSourceError(f"{source} {exc}") from None
        except OSError as exc:
            raise ImportSourceError(f"Could not read {source}: {exc.strerror or exc}.") from exc


class _Long:
    """A text too long to keep: only its length is."""

    def __init__(self, chars: int) -> None:
        self.chars = chars


def _entries(stream: Any, label: str, options: ImportOptions) -> Iterator[ImportedEntry | Rejected]:
    reader = JsonReader(stream, max_value_bytes=options.max_value_bytes)
    reader.expect("start_map", NOT_AN_EXPORT)
    found = False
    for key in reader.keys():
        if key != "entries" or found or reader.peek()[0] != "start_array":
            reader.skip()  # tags, and anything jrnl adds one day.
            continue
        found = True
        reader.next()
        for index in reader.items():
            try:
                raw = _read_entry(reader, options.max_entry_chars)
            except ValueTooBig as exc:
                exc.entry = index + 1
                raise
            yield entry(raw, f"{label}, entry {index + 1}", options.max_entry_chars)
    if not found:
        raise NotJson(NOT_AN_EXPORT)
    reader.finish()


def _read_entry(reader: JsonReader, max_chars: int) -> Any:
    """The fields of the next entry that Charlie uses (a title or a body too long to be
    an entry only as its length), or None if the entry is not an object."""
    if reader.peek()[0] != "start_map":
        reader.skip()
        return None
    reader.next()
    raw: dict[str, Any] = {}
    # Tidying (line ends, blank lines) shortens a text, but not to half: a text twice
    # the limit is too long whatever it says, and is not kept.
    longest = 2 * max_chars + 64 * 1024
    for key in reader.keys():
        if key in ("tags", "starred"):
            raw[key] = read_tags(reader) if key == "tags" else read_flag(reader)
            continue
        if key not in FIELDS:
            reader.skip()  # Anything jrnl adds one day.
            continue
        kind = reader.peek()[0]
        if kind == "null":
            raw[key] = reader.next()[1]
            continue
        value = reader.string()
        if value is None:
            raw[key] = 0  # Not a string: "Its … is not text."
        elif key in ("title", "body") and len(value) > longest:
            raw[key] = _Long(len(value))
        elif key in ("date", "time") and len(value) > SHORT_FIELD_CHARS:
            raw[key] = value[:SHORT_FIELD_CHARS]
        else:
            raw[key] = value
    return raw


def entry(raw: Any, where: str, max_chars: int = 100_000) -> ImportedEntry | Rejected:
    """One jrnl entry, or why it cannot be imported."""
    if not isinstance(raw, dict):
        return Rejected(where, "It is not a jrnl entry object.")
    day, clock = raw.get("date"), raw.get("time", "")
    title, body = raw.get("title", ""), raw.get("body", "")
    long = [value.chars for value in (title, body) if isinstance(value, _Long)]
    if long:
        day = day if isinstance(day, str) else ""
        return Rejected(f"{where} ({day[:10]})" if day else where, too_long(sum(long), max_chars))
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
    if isinstance(raw.get("tags"), TooManyTags):
        return Rejected(where, TOO_MANY_TAGS)
    return ImportedEntry(
        source_id=source_id,
        title=title,
        body=text,
        entry_at=moment,
        where=where,
        tags=raw.get("tags") or (),
        starred=raw.get("starred", False),
    )
