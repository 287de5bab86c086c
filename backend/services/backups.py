"""Backups: take one now, list them, restore one (backend/transfer/backup.py, restore.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.services.friendly import friendly_errors
from backend.shared import Backend

if TYPE_CHECKING:
    from backend.transfer.backup import BackupInfo
    from backend.transfer.restore import RestoreResult


@friendly_errors
class Backups:
    """The data directory's backups."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def snapshot(self, reason: str = "manual") -> Path:
        """Back up everything now; "manual" backups are kept until the user deletes them."""
        from backend.transfer.backup import snapshot

        return snapshot(self._backend, reason)

    def list(self) -> list[BackupInfo]:
        """Every backup, with its time, reason, size and whether rotation keeps it."""
        from backend.transfer.backup import list_backups

        return list_backups(self._backend.settings)

    def directory(self) -> Path:
        """Where backups live: ``<data>/backups``."""
        from backend.transfer.backup import backup_dir

        return backup_dir(self._backend.settings)

    def find(self, name: str) -> Path:
        """A backup by file name or path."""
        from backend.transfer.restore import resolve_backup

        return resolve_backup(self._backend.settings, name)

    def check(self, path: Path) -> dict[str, Any]:
        """A backup file's header (when and why it was taken), after checking the whole
        file: a truncated, altered or foreign one raises BackupError."""
        from backend.transfer.backup_file import read_backup

        header, _records = read_backup(path)
        return header

    def restore(self, path: Path) -> RestoreResult:
        """Replace everything with the backup's contents (a backup is taken first)."""
        from backend.transfer.restore import restore

        return restore(self._backend, path)
