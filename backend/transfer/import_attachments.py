"""The attachments (photos) of the entries an import writes, stored right before them.

An importer finds an entry's files while it reads the source and names each by its
content (``ImportedAttachment``); when the pipeline writes that entry, each file is read
from the source again (``Importer.open_attachments``) and stored in the data
directory's attachment store (``backend.attachments``), fsynced, before the MULTI that
writes the entry and its ``attachments`` list. So a crash leaves at worst a stored file
no entry names. A file that cannot be stored now (the source changed, or is gone) is
reported as a rejected item and the entry is written without it: never dropped without
a word.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

from backend.attachments import AttachmentError, path_in, store_file, store_root, store_stream
from backend.settings import Settings
from backend.transfer.importing import ImportedAttachment, Importer, ImportSourceError, Rejected


class AttachmentWriter:
    """Stores the attachments of an import's entries as they are written. Use it as a
    context manager around the writing: the source's files are opened on first need
    and closed at its end."""

    def __init__(
        self, settings: Settings, importer: Importer, source: Path, rejected: list[Rejected]
    ) -> None:
        self.root = store_root(settings.data_dir)
        self.max_bytes = settings.attachment_max_mb * 1024 * 1024
        self.importer = importer
        self.source = source
        self.rejected = rejected
        """Where a file that could not be stored is reported."""
        self.stored = 0
        """Files stored (or found stored already)."""
        self._stack = ExitStack()
        self._open: Callable[[str], BinaryIO] | None = None

    def __enter__(self) -> AttachmentWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        self._open = None

    def store(self, attachments: tuple[ImportedAttachment, ...]) -> list[str]:
        """Store ``attachments`` (each fsynced) and return the names of those stored,
        in order; each one that could not be is reported in ``rejected``."""
        names: list[str] = []
        for item in attachments:
            try:
                name = self._store(item)
            except (ImportSourceError, AttachmentError, OSError) as exc:
                self.rejected.append(
                    Rejected(
                        item.where,
                        f"It could not be kept now: {exc} The entry was imported without it.",
                    )
                )
                continue
            if name not in names:
                names.append(name)
            self.stored += 1
        return names

    def _store(self, item: ImportedAttachment) -> str:
        if self._open is None:
            self._open = self._stack.enter_context(self.importer.open_attachments(self.source))
        kind = item.name.rpartition(".")[2]
        with self._open(item.ref) as stream:
            stored = store_stream(self.root, stream, kind, self.max_bytes)
        if stored.name != item.name:
            raise AttachmentError(
                "its content changed since the source was read (import it again to keep "
                "the new one)."
            )
        return stored.name


class ExportAttachments:
    """Stores the attachments of the entries a JSON export import writes, from the
    folder the export wrote beside its file (``<file>.attachments/<name>``), each
    checked to hold what its name says. An entry keeps the names stored (or in the
    store already); one neither here nor there is left off its list and named in
    ``missing``."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        self.root = store_root(settings.data_dir)
        self.folder = folder
        self.max_bytes = settings.attachment_max_mb * 1024 * 1024
        self.missing: list[str] = []
        """``<entry id>: <name>`` of each attachment that could not be kept, and why."""
        self.stored = 0

    def props(self, props: dict[str, object]) -> dict[str, object]:
        """An entry node's properties, its files stored first (fsynced) and its
        ``attachments`` list the names kept."""
        listed = props.get("attachments")
        if not isinstance(listed, list) or not listed:
            props.pop("attachments", None)
            return props
        kept: list[str] = []
        for name in listed:
            if not isinstance(name, str):
                continue
            why = self._keep(name)
            if why:
                self.missing.append(f"{props.get('id')}: {name} ({why})")
            else:
                kept.append(name)
        if kept:
            props["attachments"] = kept
        else:
            props.pop("attachments", None)
        return props

    def _keep(self, name: str) -> str:
        """Store ``name`` from the export's folder; why not ("" when it is kept)."""
        if path_in(self.root, name).is_file():
            self.stored += 1
            return ""
        source = self.folder / name
        if not source.is_file():
            return f"not in the store nor in {self.folder}"
        try:
            stored = store_file(self.root, source, self.max_bytes)
        except AttachmentError as exc:
            return str(exc)
        if stored.name != name:
            return "the file does not hold what its name says"
        self.stored += 1
        return ""
