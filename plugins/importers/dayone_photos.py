"""Day One's photos: an entry's ``photos`` list, matched to the export zip's
``photos/<md5>.<type>`` members and kept as the entry's attachments.

Each photo is read once while the zip is scanned, a chunk at a time, to name it by its
content (``<sha256>.<type>``, ``backend.attachments``); the import pipeline reads it
again to store it when it writes the entry. The text's ``![](dayone-moment://<id>)``
link becomes ``![photo](attachment:<name>)``, so the photo keeps its place. A photo that
cannot be kept (its file is not in the zip, is unsafe, is over a size cap, is of a type
Charlie does not keep, or does not unpack) is a rejected item naming it, and the entry
is imported without it. The zip's safety rules hold for photos too: an unsafe member
(``../``, an absolute path, a symlink) is never read, nor one that unpacks to far more
than its packed size, and what photos unpack to is bounded by the import's caps
(``ImportOptions.max_attachment_bytes`` and ``max_attachments_bytes``).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

from backend.attachments import MB, kind_problem, link
from backend.transfer.importing import (
    READ_CHUNK,
    ImportedAttachment,
    ImportOptions,
    ImportSourceError,
    Rejected,
)
from backend.transfer.json_stream import JsonReader

MAX_PHOTOS = 1000
"""An entry's ``photos`` past this many are not read (and the import says so)."""
PHOTO_FIELD_CHARS = 256
"""``identifier``, ``md5`` and ``type`` are short; a longer one is not a photo's."""
PHOTO_RATIO = 20
"""A photo member unpacking to more than this many times its packed size, past
``RATIO_FLOOR`` bytes, is not a photo (images barely compress)."""
RATIO_FLOOR = 1024 * 1024
_MD5 = re.compile(r"[0-9A-Za-z]{1,64}")
"""Day One names a photo's file by its md5 (32 hex digits); anything but letters and
digits could climb out of ``photos/``, so it is not looked for."""
_MOMENT = re.compile(r"!\[[^\]\n]*\]\(dayone-moment://([^)\s/]+)\)")
NO_ZIP = (
    "{count} photo{s} of its entries {are} not imported: Day One keeps photos in the "
    "export zip, beside this file. Import the zip to keep them."
)
Unsafe = Callable[[zipfile.ZipInfo], str]
UNPACK_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
    RuntimeError,  # encrypted
    NotImplementedError,  # a compression method Python lacks
)


def read_photos(reader: JsonReader) -> list[dict[str, str]] | int:
    """An entry's ``photos`` as the fields Charlie uses (``identifier``, ``md5``,
    ``type``, each a short string or left out), read a value at a time; past
    ``MAX_PHOTOS`` the count of photos instead (the entry keeps none, saying so)."""
    if reader.peek()[0] != "start_array":
        reader.skip()
        return []
    reader.next()
    photos: list[dict[str, str]] = []
    count = 0
    for _ in reader.items():
        count += 1
        if count > MAX_PHOTOS or reader.peek()[0] != "start_map":
            reader.skip()
            continue
        reader.next()
        photo: dict[str, str] = {}
        for key in reader.keys():
            if key in ("identifier", "md5", "type"):
                value = reader.string()
                if value is not None and len(value) <= PHOTO_FIELD_CHARS:
                    photo[key] = value
            else:
                reader.skip()
        photos.append(photo)
    return count if count > MAX_PHOTOS else photos


def moment_ids(text: str) -> list[str]:
    """The identifiers of the photos a Day One text links to, in order."""
    return _MOMENT.findall(text)


def with_photo_links(text: str, links: dict[str, str]) -> str:
    """``text`` with the Day One links to the photos in ``links`` (by identifier) as
    links to their attachments, and links to the others' left for cleaning away; the
    photos it does not link to are linked at its end, so none is kept out of sight."""

    def swap(match: re.Match[str]) -> str:
        return links.get(match.group(1), match.group(0))

    out = _MOMENT.sub(swap, text)
    linked = set(moment_ids(text))
    missing = [md for ident, md in links.items() if ident not in linked]
    if missing:
        out = out.rstrip() + "\n\n" + "\n\n".join(missing)
    return out


class ZipPhotos:
    """The ``photos/`` members of one Day One export zip, read as entries name them.

    One per reading of the zip: it counts what the photos unpack to against the
    import's total cap, and remembers each photo read (an export may show one photo in
    several entries; it is read and counted once)."""

    def __init__(
        self, archive: zipfile.ZipFile, zip_name: str, options: ImportOptions, unsafe: Unsafe
    ) -> None:
        self.archive = archive
        self.unsafe = unsafe
        """Why a member must not be read ("" if it may): the zip's own rule."""
        self.zip_name = zip_name
        self.max_bytes = options.max_attachment_bytes
        self.left = options.max_attachments_bytes
        self.members = {
            info.filename.lower(): info
            for info in archive.infolist()
            if info.filename.lower().startswith("photos/") and not info.is_dir()
        }
        self._read: dict[str, ImportedAttachment | str] = {}

    def keep(
        self, photos: list[dict[str, str]], where: str
    ) -> tuple[list[ImportedAttachment], dict[str, str], list[Rejected]]:
        """The attachments of an entry's ``photos`` (each file once), the links its
        text gets (by photo identifier) and a rejected item for each photo not kept."""
        kept: list[ImportedAttachment] = []
        links: dict[str, str] = {}
        rejected: list[Rejected] = []
        for n, photo in enumerate(photos):
            ident = photo.get("identifier", "")
            label = f"{where}, photo {ident or photo.get('md5') or n + 1}"
            found = self._find(photo)
            if isinstance(found, str):
                rejected.append(Rejected(label, f"{found} The entry is imported without it."))
                continue
            if found not in kept:
                kept.append(found)
            if ident:
                links.setdefault(ident, link(found.name))
            else:
                links.setdefault(f"#{n}", link(found.name))
        return kept, links, rejected

    def _find(self, photo: dict[str, str]) -> ImportedAttachment | str:
        """The photo's file as an attachment, or why it is not kept."""
        md5, kind = photo.get("md5", ""), photo.get("type", "").lower()
        if not _MD5.fullmatch(md5):
            return (
                f"Its file name ({md5[:40]!r}) is not a Day One photo name (letters and "
                "digits), so it was not looked for."
            )
        problem = kind_problem(kind)
        if problem:
            return problem
        member = f"photos/{md5}.{kind}".lower()
        if member not in self._read:
            self._read[member] = self._read_member(member)
        return self._read[member]

    def _read_member(self, member: str) -> ImportedAttachment | str:
        info = self.members.get(member)
        if info is None:
            return f"Its file {member} is not in {self.zip_name}."
        unsafe = self.unsafe(info)
        if unsafe:
            return f"Its file {info.filename} is not read: {unsafe}"
        packed = max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and info.file_size / packed > PHOTO_RATIO:
            return (
                f"Its file {info.filename} unpacks to {info.file_size / packed:,.0f} times its "
                "packed size, which a photo never does; it was not read."
            )
        if info.file_size > self.max_bytes:
            return _over_cap(self.max_bytes)
        if info.file_size > self.left:
            return _over_total()
        try:
            with self.archive.open(info) as stream:
                digest, size = _digest(stream, min(self.max_bytes, self.left))
        except _TooBig:
            return _over_cap(self.max_bytes) if self.left >= self.max_bytes else _over_total()
        except UNPACK_ERRORS as exc:
            return f"Its file {info.filename} could not be unpacked ({exc})."
        self.left -= size
        kind = member.rpartition(".")[2]
        return ImportedAttachment(
            name=f"{digest}.{kind}",
            ref=info.filename,
            size=size,
            where=f"{self.zip_name}: {info.filename}",
        )


class _TooBig(Exception):
    pass


def _digest(stream: IO[bytes], limit: int) -> tuple[str, int]:
    """The sha256 and size of what ``stream`` holds, read a chunk at a time; _TooBig
    past ``limit`` bytes (having read one more, no further)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(min(READ_CHUNK, limit + 1 - size)):
        size += len(chunk)
        if size > limit:
            raise _TooBig
        digest.update(chunk)
    return digest.hexdigest(), size


def _over_cap(max_bytes: int) -> str:
    return (
        f"It is bigger than {max_bytes / MB:,.0f} MB, the most Charlie keeps for one "
        "photo (the attachment_max_mb setting)."
    )


def _over_total() -> str:
    return (
        "The import's photos passed the most one import keeps (the "
        "import_attachments_max_mb setting); import the rest in parts."
    )


def no_zip(label: str, count: int) -> Rejected:
    """The one item saying a plain ``Journal.json`` had ``count`` photos it cannot hold."""
    many = count != 1
    return Rejected(
        label,
        NO_ZIP.format(count=f"{count:,}", s="s" if many else "", are="are" if many else "is"),
    )


@contextmanager
def zip_members(source: Path, unsafe: Unsafe) -> Iterator[Callable[[str], BinaryIO]]:
    """While open: a function opening a photo member of the zip at ``source`` by name,
    to read it again (the pipeline stores it). Members ``unsafe`` names are never opened."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ImportSourceError(f"{source} is not a readable zip file now ({exc}).") from exc

    def open_member(name: str) -> BinaryIO:
        try:
            info = archive.getinfo(name)
        except KeyError:
            raise ImportSourceError(f"{name} is not in {source.name} now.") from None
        why = unsafe(info)
        if why:
            raise ImportSourceError(f"{name} is not read: {why}")
        try:
            return archive.open(info)  # type: ignore[return-value]
        except UNPACK_ERRORS as exc:
            raise ImportSourceError(f"{name} could not be unpacked ({exc}).") from exc

    with archive:
        yield open_member


def too_many(count: int) -> str:
    """Why an entry's photos were not read."""
    return (
        f"It has {count:,} photos; Charlie reads at most {MAX_PHOTOS:,} for one entry, so "
        "none of them were imported (the entry is)."
    )
