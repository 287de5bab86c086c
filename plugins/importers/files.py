"""A folder of text files: ``.md``, ``.markdown``, ``.txt`` and ``.rtf`` (one entry each).

The date comes from front matter (``date:``), else from a name starting with
``YYYY-MM-DD`` (optionally followed by a time, ``2024-03-05 0730 walk.md``), else from
the file's modification time. Front matter may also give ``title:``, ``timezone:`` and
``id:``, ``tags:`` (a list, or words separated by commas) and ``starred:`` (Charlie's
own Markdown export writes all of these); a Markdown file without a
title that starts with ``# Heading`` takes the heading as its title. ``journal:`` names
the journal the entry goes into (``--journal`` overrides it), and in a file with ``id:``
and ``journal:`` (Charlie's export) the one newline the export adds after the body is
taken off again.

Text must be UTF-8 (a byte-order mark is fine) or UTF-16 with a byte-order mark. Other
encodings are rejected with a reason instead of guessed: a wrong guess (Latin-1 decodes
any bytes) would store garbled text silently. RTF is converted to plain text. Hidden
files and folders and symbolic links are skipped; a file whose size shows it is longer
than an entry can be is rejected without being read, and no file is read further than
that (``read_text``), even one that grows meanwhile.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

from striprtf.striprtf import rtf_to_text  # type: ignore[import-untyped]

from backend.transfer.importing import (
    BOM_MAX,
    UTF8_MAX,
    ImportedEntry,
    Importer,
    ImportOptions,
    ImportSourceError,
    Rejected,
    TooBig,
    read_limited,
    read_text,
    too_long,
)
from plugins.importers import (
    content_id,
    normalise_newlines,
    parse_when,
    split_heading,
    tidy_body,
    zone_named,
)

MARKDOWN = (".md", ".markdown")
SUFFIXES = (*MARKDOWN, ".txt", ".rtf")
# Front matter is short; a closing line further down than this is not front matter.
FRONT_MATTER_LINES = 60
# Room a file may take beyond the entry limit, in characters: front matter and a title.
FRONT_MATTER_CHARS = 16 * 1024
# RTF markup (fonts, colours, escapes) takes many more bytes than the text it holds.
RTF_OVERHEAD = 20
_HEX_ESCAPE = re.compile(r"(?<!\\)\\x([0-9a-fA-F]{2})")
_NAME_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T _-]?(\d{2})[:.h-]?(\d{2})(?:[:.-]?(\d{2}))?)?(?!\d)"
)


class FilesImporter(Importer):
    """Reads a folder (or one file) of Markdown, text and RTF files."""

    name = "files"
    description = "a folder of .md, .markdown, .txt and .rtf files (one entry each)"
    split_hint = (
        "Import it in parts (a sub-folder, or a folder holding some of its files, at a "
        "time); entries already imported are skipped."
    )

    def scan(self, source: Path, options: ImportOptions) -> Iterator[ImportedEntry | Rejected]:
        if source.is_file():
            yield read_file(source, source.name, options)
            return
        if not source.is_dir():
            raise ImportSourceError(f"{source} is not a file or a folder.")
        found = 0
        for item in _walk(source, "", options.recursive):
            found += 1
            if isinstance(item, Rejected):
                yield item
            else:
                yield read_file(item[0], item[1], options)
        if not found:
            hint = "" if options.recursive else " (add --recursive to look in sub-folders)"
            raise ImportSourceError(
                f"Found no .md, .markdown, .txt or .rtf files in {source}{hint}."
            )


def _walk(folder: Path, prefix: str, recursive: bool) -> Iterator[tuple[Path, str] | Rejected]:
    """(path, path relative to the source) of the importable files under ``folder``, in
    name order; hidden ones and symbolic links are left out, and anything under them."""
    try:
        with os.scandir(folder) as listing:
            children = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        if not prefix:
            raise ImportSourceError(f"Could not read {folder}: {exc.strerror or exc}.") from exc
        yield Rejected(prefix, f"The folder could not be read: {exc.strerror or exc}.")
        return
    for child in children:
        if child.name.startswith(".") or child.is_symlink():
            continue
        path = Path(child.path)
        if child.is_dir(follow_symlinks=False):
            if recursive:
                yield from _walk(path, f"{prefix}{child.name}/", recursive)
        elif child.is_file(follow_symlinks=False) and path.suffix.lower() in SUFFIXES:
            yield path, prefix + child.name


class Unreadable(Exception):
    """A file's bytes cannot be turned into text; the message says why."""


def read_file(path: Path, where: str, options: ImportOptions) -> ImportedEntry | Rejected:
    """One file as an entry, or the reason it cannot be one."""
    rtf = path.suffix.lower() == ".rtf"
    max_chars = options.max_entry_chars
    room = max_chars + FRONT_MATTER_CHARS
    # UTF-8 takes at most 4 bytes a character, RTF markup many more: a file bigger than
    # that is too long whatever it says, and is not read at all.
    limit = room * RTF_OVERHEAD if rtf else room * UTF8_MAX + BOM_MAX
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_size > limit:
                return Rejected(
                    where,
                    f"It is {info.st_size:,} bytes, more than an entry can hold "
                    f"(max_entry_chars is {max_chars:,} characters).",
                )
            # Files are read one at a time and each only this far; what a folder holds
            # in all is not capped (the import holds its texts only while they fit,
            # and reads the folder again to write the rest): a folder of RTF files,
            # heavy with markup, still goes in.
            if rtf:
                text = rtf_text(read_limited(handle, limit))
            else:
                text = read_text(handle, room, decode=decode)
    except TooBig as exc:
        if exc.chars is not None:
            return Rejected(where, too_long(exc.chars, max_chars))
        return Rejected(
            where,
            f"It is more than {limit:,} bytes (it grew while it was read), more than an "
            f"entry can hold (max_entry_chars is {max_chars:,} characters).",
        )
    except Unreadable as exc:
        return Rejected(where, str(exc))
    except OSError as exc:
        return Rejected(where, f"It could not be read: {exc.strerror or exc}.")
    return parse_text(
        normalise_newlines(text),
        where=where,
        markdown=path.suffix.lower() in MARKDOWN,
        front_matter=not rtf,
        stem=path.stem,
        mtime=int(info.st_mtime),
    )


def decode(data: bytes) -> str:
    """The text of a file: UTF-8 (with or without a byte-order mark), or UTF-16 with one."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise Unreadable(f"It is damaged UTF-16 text ({exc.reason}).") from None
    else:
        if b"\x00" in data:
            raise Unreadable("It contains NUL bytes: it looks like a binary file, not text.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Unreadable(
                f"It is not UTF-8 text (byte {exc.start:,} cannot be read); save it as "
                "UTF-8 and import it again."
            ) from None
    if "\x00" in text:
        raise Unreadable("It contains NUL characters, which Charlie cannot store.")
    return text


def rtf_text(data: bytes) -> str:
    """The plain text of an RTF document."""
    if b"\x00" in data:
        raise Unreadable("It contains NUL bytes: it is not an RTF document.")
    # RTF is 7-bit with escapes for everything else; stray 8-bit bytes are most often
    # in the Windows code page RTF files declare by default.
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raw = data.decode("cp1252", errors="replace")
    if not raw.lstrip().startswith("{\\rtf"):
        raise Unreadable("It is not an RTF document (it does not start with {\\rtf).")
    try:
        return str(rtf_to_text(raw, errors="replace"))
    except (ValueError, LookupError, IndexError, RecursionError) as exc:
        raise Unreadable(f"Its RTF could not be read ({exc}).") from None


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """(fields, rest) for text starting with a ``---`` block of ``key: value`` lines;
    ({}, text) when there is none."""
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    for end in range(1, min(len(lines), FRONT_MATTER_LINES)):
        if lines[end].strip() in ("---", "..."):
            fields: dict[str, str] = {}
            last = ""
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep and key.strip() and not key.startswith((" ", "\t", "-", "#")):
                    last = key.strip().lower()
                    fields[last] = unquote(value.strip())
                elif last == "tags" and line.lstrip().startswith("- "):
                    fields["tags"] = add_block_item(fields["tags"], line.lstrip()[2:])
            return fields, "\n".join(lines[end + 1 :])
    return {}, text


def add_block_item(tags: str, item: str) -> str:
    """``tags`` (a front-matter value) with one more item of a YAML block list
    ("tags:" then "  - work" lines, as Obsidian writes them), as a flow list."""
    items = front_matter_tags(tags)
    return json.dumps([*items, unquote(item.strip())], ensure_ascii=False)


def front_matter_tags(value: str) -> list[str]:
    """The tags a front-matter ``tags:`` value gives: a flow list (``["a", "b"]``,
    ``[a, b]``) or words separated by commas or spaces."""
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        try:
            found = json.loads(value)
        except json.JSONDecodeError:
            found = [unquote(part.strip()) for part in value[1:-1].split(",")]
        return [str(t) for t in found if isinstance(t, str | int) and str(t).strip()]
    return [part for part in re.split(r"[,\s]+", value) if part]


def unquote(value: str) -> str:
    """A YAML scalar without its quotes."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        # YAML's double-quoted escapes are JSON's plus \xHH (Charlie's export writes \x85).
        try:
            return str(json.loads(_HEX_ESCAPE.sub(r"\\u00\1", value)))
        except json.JSONDecodeError:
            return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def name_date(stem: str) -> datetime | None:
    """The date and time a file name starts with (YYYY-MM-DD[ HH:MM[:SS]]), naive."""
    match = _NAME_DATE.match(stem)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) if g else None for g in match.groups())
    assert year is not None and month is not None and day is not None
    try:
        clock = time(hour, minute or 0, second or 0) if hour is not None else time(12)
        return datetime.combine(datetime(year, month, day).date(), clock)
    except (ValueError, OverflowError):
        return None


def parse_text(
    text: str, *, where: str, markdown: bool, front_matter: bool, stem: str, mtime: int
) -> ImportedEntry | Rejected:
    """An entry from a file's text: date, title and id from front matter, the name or
    the modification time."""
    fields, rest = split_front_matter(text) if front_matter else ({}, text)
    zone = None
    if fields.get("timezone"):
        zone = zone_named(fields["timezone"])
        if zone is None:
            return Rejected(where, f"Its timezone {fields['timezone'][:60]!r} is not a time zone.")
    if fields.get("date"):
        try:
            when = parse_when(fields["date"], zone)
        except (ValueError, OverflowError):
            return Rejected(
                where,
                f"Its front-matter date {fields['date'][:60]!r} is not a date "
                "(use YYYY-MM-DD, YYYY-MM-DD HH:MM or ISO 8601).",
            )
    elif (named := name_date(stem)) is not None:
        try:
            # Without a zone the time is the machine's local time, as on the command line.
            when = named.replace(tzinfo=zone) if zone is not None else named.astimezone()
        except (OverflowError, ValueError):
            return Rejected(
                where, f"The date its name starts with ({named:%Y-%m-%d}) is out of range."
            )
    else:
        try:
            when = datetime.fromtimestamp(mtime, UTC).astimezone(zone)
        except (OverflowError, ValueError, OSError):
            return Rejected(where, "It has no date and its modification time is out of range.")
    title = fields.get("title", "")
    # Below front matter the text is kept as written, so Charlie's own export comes
    # back unchanged; a plain file loses its leading blank lines and trailing space.
    body = rest if fields else tidy_body(rest)
    if "id" in fields and "journal" in fields and body.endswith("\n"):
        body = body[:-1]  # The one newline Charlie's export writes after every body.
    if not title and markdown:
        title, body = split_heading(body)
    given = fields.get("id", "")
    return ImportedEntry(
        source_id=f"id:{given}" if given else content_id(title, body, when),
        title=title,
        body=body,
        entry_at=when,
        where=where,
        same_as=given,
        tags=tuple(front_matter_tags(fields.get("tags", ""))),
        starred=fields.get("starred", "").strip().lower() in ("true", "yes"),
        journal=fields.get("journal", "").strip(),
    )
