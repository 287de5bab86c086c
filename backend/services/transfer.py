"""Getting entries in and out: importers, Markdown and JSON export, re-importing an export.

The transfer modules are imported when first used, so commands that never import or
export do not pay for loading them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from backend.services.friendly import friendly_errors
from backend.shared import Backend

if TYPE_CHECKING:
    from backend.transfer.importer_source import ImportSummary
    from backend.transfer.importing import Rejected
    from backend.transfer.json_import import ExportImportSummary
    from backend.transfer.markdown_export import MarkdownExport

ImportProgress = Callable[[str, int, int | None], None]
"""``progress(stage, done, total)`` while an import runs."""
ExportProgress = Callable[[int, int], None]
"""``progress(done, total)`` while an export runs."""

__all__ = ["ExportImportSummary", "ImportSummary", "MarkdownExport", "Rejected", "Transfer"]


@friendly_errors
class Transfer:
    """Imports (every importer and our own JSON export go through one pipeline) and
    exports, on the shared backend."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def importers(self) -> dict[str, str]:
        """Installed importers: name -> one line saying what each reads."""
        from backend.transfer.importing import installed_importers, load_importer

        return {name: load_importer(name).description for name in sorted(installed_importers())}

    def import_entries(
        self,
        importer: str,
        source: Path | str,
        *,
        journal: str | None = None,
        dry_run: bool = False,
        recursive: bool = False,
        progress: ImportProgress | None = None,
    ) -> ImportSummary:
        """Import a source as backlog work (see backend.transfer.importer_source);
        ``progress(stage, done, total)`` is called from this thread as it goes."""
        from backend.transfer.importer_source import run_import

        return run_import(
            self._backend,
            importer,
            source,
            journal=journal,
            dry_run=dry_run,
            recursive=recursive,
            progress=progress,
        )

    def import_export(self, path: Path | str, *, dry_run: bool = False) -> ExportImportSummary:
        """Read a Charlie JSON export back in (see backend.transfer.json_import)."""
        from backend.transfer.json_import import import_json_export

        return import_json_export(self._backend, path, dry_run=dry_run)

    def export_markdown(
        self,
        directory: Path | str,
        *,
        journal: str | None = None,
        progress: ExportProgress | None = None,
    ) -> int:
        """One Markdown file per entry; returns how many were written."""
        from backend.transfer.markdown_export import export_markdown

        return export_markdown(self._backend, directory, journal=journal, progress=progress)

    def export_markdown_folder(
        self,
        directory: Path | str,
        *,
        journal: str | None = None,
        sync: bool = False,
        progress: ExportProgress | None = None,
    ) -> MarkdownExport:
        """One Markdown file per entry, and with ``sync`` the files an earlier export
        wrote for entries deleted since removed (never one edited since); returns what
        was written, removed and kept."""
        from backend.transfer.markdown_export import export_markdown_folder

        return export_markdown_folder(
            self._backend, directory, journal=journal, progress=progress, sync=sync
        )

    def export_json(
        self,
        path: Path | str,
        *,
        journal: str | None = None,
        progress: ExportProgress | None = None,
    ) -> int:
        """Every journal (or the one named) as one JSON document; returns the entries."""
        from backend.transfer.json_export import export_json

        return export_json(self._backend, path, journal=journal, progress=progress)
