"""The root object: one shared Backend for a data directory, and the services on it.

The UI and the CLI hold a :class:`Charlie` and use only what it hands out::

    with Charlie.open(settings) as charlie:
        journal = charlie.journal("Work")        # a JournalHandle
        entry = journal.entries.add("Saw Ana.")
        charlie.queue.job_counts()

Services are built from the Backend, never from the root, so none reaches a sibling.
"""

from __future__ import annotations

from typing import Any

from backend.broker.ownership import describe
from backend.services.backups import Backups
from backend.services.drafts import Drafts
from backend.services.friendly import friendly_errors
from backend.services.journal import JournalHandle, Journals
from backend.services.queue import Queue
from backend.services.transfer import Transfer
from backend.settings import Settings, save_settings
from backend.shared import Backend


@friendly_errors
class Charlie:
    """Journals, entries and background work on one data directory's broker."""

    def __init__(self, backend: Backend) -> None:
        self.backend = self._backend = backend
        self.journals = Journals(backend)
        self.drafts = Drafts(backend)
        self.queue = Queue(backend)
        self.transfer = Transfer(backend)
        self.backups = Backups(backend)

    @classmethod
    def open(cls, settings: Settings, *, own: bool = True) -> Charlie:
        """Attach to (or, if nobody owns it, start) the data directory's broker."""
        return cls(Backend.open(settings, own=own))

    def close(self) -> None:
        """Disconnect; if this process owns the broker, the server is shut down cleanly."""
        self.backend.close()

    def __enter__(self) -> Charlie:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def settings(self) -> Settings:
        return self.backend.settings

    def save_settings(self, **changes: object) -> Settings:
        """Validate and write settings to the config file; most apply at next start."""
        self.backend.settings = save_settings(self.backend.settings, **changes)
        return self.backend.settings

    def journal(self, name: str | None = None) -> JournalHandle:
        """A handle on the named journal, or on the default one (created on first use)."""
        return self.journals.open(name)

    def status(self) -> dict[str, Any]:
        """Where the data lives and how this process reaches it."""
        return {"data_dir": str(self.settings.data_dir), **describe(self.backend.broker)}
