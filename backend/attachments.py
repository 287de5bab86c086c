"""Attachments: files (today, photos from Day One) kept beside the entries that show them.

A file is stored once, content-addressed, in the data directory:
``<data>/attachments/<sha256[:2]>/<sha256>.<ext>``, folders 0700 and files 0600 like
everything else there. Its name (``<sha256>.<ext>``) is what an entry holds in its
``attachments`` list, and what its text links to: ``![photo](attachment:<name>)``.
Storing the same content twice stores it once. Files are never changed once stored, so
backups can hard-link them (``backend.transfer.backup``).

A file is written whole (a temp file, fsynced, renamed, the folder fsynced) BEFORE the
entry that names it is written, so a crash leaves at worst a file no entry names, never
an entry naming a missing file. ``unreferenced`` finds such files; nothing removes them
on its own (a file no entry names costs disk, never words).

Only a few kinds of file are kept, chosen by extension (``KINDS``); anything else is
refused with a reason, as is a file over the size cap (the ``attachment_max_mb``
setting).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from backend.broker.atomic import atomic_file, fsync_dir
from backend.errors import CharlieError

KINDS = {
    "jpeg": "JPEG image",
    "jpg": "JPEG image",
    "png": "PNG image",
    "heic": "HEIC image",
    "gif": "GIF image",
    "webp": "WebP image",
}
"""The extensions kept, and what each is called in the reader."""
FOLDER = "attachments"
CHUNK = 1024 * 1024
MB = 1024 * 1024
_NAME = re.compile(r"[0-9a-f]{64}\.(?:" + "|".join(KINDS) + ")")
LINK = re.compile(r"(\]\()attachment:(" + _NAME.pattern + r")\)")
"""A Markdown link to an attachment in an entry's text (group 2 is its name)."""


class AttachmentError(CharlieError):
    """A file could not be kept as an attachment; the message says why."""


@dataclass(frozen=True)
class Stored:
    """A file kept in an attachment store."""

    name: str
    """``<sha256>.<ext>``."""
    size: int
    """Bytes."""


def is_name(value: object) -> bool:
    """Whether ``value`` is an attachment's stored name (``<sha256>.<ext>``)."""
    return isinstance(value, str) and _NAME.fullmatch(value) is not None


def kind_problem(kind: str) -> str:
    """Why a file of type ``kind`` (an extension, "jpeg") is not kept ("" if it is)."""
    if kind.lower() in KINDS:
        return ""
    shown = kind[:20] or "none"
    return f"Its type ({shown}) is not one Charlie keeps ({', '.join(KINDS)})."


def link(name: str) -> str:
    """The Markdown an entry's text shows an attachment with."""
    return f"![photo](attachment:{name})"


def relinked(text: str, names: Iterable[str], folder: str) -> str:
    """``text`` with its links to the attachments ``names`` pointing into ``folder``
    instead (a relative path, as an export writes them: ``attachments/<name>``)."""
    wanted = set(names)
    if not wanted:
        return text

    def swap(match: re.Match[str]) -> str:
        name = match.group(2)
        return f"{match.group(1)}{folder}/{name})" if name in wanted else match.group(0)

    return LINK.sub(swap, text)


def names_of(value: object) -> tuple[str, ...]:
    """An entry node's ``attachments`` as stored names: a list, or the text a verbose
    reply makes of one ("[a, b]"); anything not a name is left out; None is ()."""
    if value is None:
        return ()
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        text = value.strip().removeprefix("[").removesuffix("]")
        value = [part.strip() for part in text.split(",")]
    if not isinstance(value, list | tuple):
        return ()
    return tuple(v for v in value if is_name(v))


def store_root(data_dir: Path) -> Path:
    """The data directory's attachment store: ``<data>/attachments``."""
    return data_dir / FOLDER


def path_in(root: Path, name: str) -> Path:
    """Where the attachment ``name`` lives in the store at ``root``."""
    if not is_name(name):
        raise AttachmentError(f"{name[:80]!r} is not an attachment name.")
    return root / name[:2] / name


def _private_dirs(root: Path, folder: Path) -> None:
    """``folder`` (inside ``root``) and ``root``, created 0700 (mkdir honours the umask,
    so the mode is set again)."""
    for path in (root, folder):
        if not path.is_dir():
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(path, 0o700)


def store_stream(root: Path, stream: BinaryIO, kind: str, max_bytes: int) -> Stored:
    """Keep what ``stream`` holds as an attachment of type ``kind`` in the store at
    ``root`` and return its name. Read a chunk at a time, at most ``max_bytes`` + 1
    bytes: past ``max_bytes`` it raises AttachmentError and keeps nothing. Content the
    store holds already is not written again. The file is on disk (fsynced, its name
    too) when this returns."""
    problem = kind_problem(kind)
    if problem:
        raise AttachmentError(problem)
    kind = kind.lower()
    _private_dirs(root, root)
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".incoming-", suffix=".tmp")  # 0600
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(min(CHUNK, max_bytes + 1 - size)):
                size += len(chunk)
                if size > max_bytes:
                    raise AttachmentError(too_big(max_bytes))
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        stored = Stored(f"{digest.hexdigest()}.{kind}", size)
        _settle(root, Path(tmp), stored.name)
        return stored
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _settle(root: Path, tmp: Path, name: str) -> None:
    """Put the fsynced temp file ``tmp`` in place as ``name`` (unless the store has it)."""
    final = path_in(root, name)
    if final.exists():
        return  # The same content, stored before: stored once.
    _private_dirs(root, final.parent)
    with contextlib.suppress(FileExistsError):  # Another process stored it meanwhile.
        os.link(tmp, final)
    fsync_dir(final.parent)


def too_big(max_bytes: int) -> str:
    """Why a file over the size cap is not kept."""
    return (
        f"It is bigger than {max_bytes / MB:,.0f} MB, the most Charlie keeps for one "
        "attachment (the attachment_max_mb setting)."
    )


def store_file(root: Path, source: Path, max_bytes: int) -> Stored:
    """Keep the file at ``source`` (its type from its extension) in the store at ``root``."""
    kind = source.suffix.lstrip(".")
    try:
        with source.open("rb") as stream:
            return store_stream(root, stream, kind, max_bytes)
    except OSError as exc:
        raise AttachmentError(f"Cannot read {source}: {exc.strerror or exc}.") from exc


def copy_stored(source_root: Path, root: Path, name: str, max_bytes: int) -> Stored:
    """Keep the attachment ``name`` of the store at ``source_root`` in the store at
    ``root`` too, checking that its content is the one its name says."""
    stored = store_file(root, path_in(source_root, name), max_bytes)
    if stored.name != name:
        raise AttachmentError(
            f"{path_in(source_root, name)} does not hold what its name says (it was changed "
            "or damaged), so it was not kept."
        )
    return stored


def link_into(source_root: Path, root: Path, name: str, *, sync: bool = True) -> bool:
    """Put the attachment ``name`` of the store at ``source_root`` in the store at
    ``root``: a hard link where both are on one file system (files are never changed
    once stored, so sharing one is safe), else a copy. Nothing if ``root`` has it.
    Returns whether it put one there; ``sync=False`` leaves its folder's fsync to the
    caller (``sync_folders``), for many at once. FileNotFoundError if the source
    store does not have it."""
    target = path_in(root, name)
    if target.exists():
        return False
    source = path_in(source_root, name)
    if not source.is_file():
        raise FileNotFoundError(str(source))
    _private_dirs(root, target.parent)
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    except OSError:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as stream:
                shutil.copyfileobj(stream, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    if sync:
        fsync_dir(target.parent)
    return True


def sync_folders(root: Path, names: Iterable[str]) -> None:
    """fsync the folders of the store at ``root`` that hold ``names`` (each once)."""
    for folder in sorted({name[:2] for name in names}):
        fsync_dir(root / folder)


def export_copy(root: Path, name: str, folder: Path) -> bool:
    """Copy the attachment ``name`` of the store at ``root`` to ``folder/name`` (an
    export's folder of attachments, flat, for people to open; created 0700, the file
    0600). A copy, not a link: an export leaves the data directory, and an image editor
    changing the exported file must not change the stored one. Not written again when a
    file of that name and size is there; not fsynced (the caller flushes the export).
    Returns False when the store lacks it."""
    source = path_in(root, name)
    try:
        size = source.stat().st_size
    except FileNotFoundError:
        return False
    target = folder / name
    with contextlib.suppress(FileNotFoundError):
        if target.stat().st_size == size:
            return True
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with atomic_file(target, sync=False) as out, source.open("rb") as stream:
        shutil.copyfileobj(stream, out, CHUNK)
    return True


def stored_names(root: Path) -> Iterator[str]:
    """The name of every attachment in the store at ``root``."""
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and len(folder.name) == 2:
            for path in sorted(folder.iterdir()):
                if is_name(path.name) and path.name.startswith(folder.name):
                    yield path.name


def unreferenced(root: Path, referenced: Iterable[str]) -> list[str]:
    """The attachments of the store at ``root`` that ``referenced`` does not name (a
    file stored for an entry whose write never happened, or of a deleted entry)."""
    named = set(referenced)
    return [name for name in stored_names(root) if name not in named]


def remove(root: Path, name: str) -> None:
    """Remove the attachment ``name`` from the store at ``root`` (gone already: fine)."""
    with contextlib.suppress(FileNotFoundError):
        path_in(root, name).unlink()
