"""The one backend a process shares: its broker connection and the collaborators built on it.

The root object (backend/root.py) opens one ``Backend`` and builds every service from it;
services and the transfer, graph and jobs code receive the ``Backend`` (or the one part of
it they need), never the root, so none of them can reach a sibling service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.broker.ownership import BrokerConnection, open_broker
from backend.drafts import Drafts
from backend.graph.schema import DEFAULT_JOURNAL_KEY
from backend.graph.store import Store
from backend.jobs.records import Jobs
from backend.jobs.retry import retry_policy
from backend.jobs.wakeups import Wakeups
from backend.models import Journal
from backend.settings import Settings
from backend.validation import check_journal_name


@dataclass
class Backend:
    """Settings, the broker connection, and the stores and queues that use it."""

    settings: Settings
    broker: BrokerConnection
    store: Store
    jobs: Jobs
    wakeups: Wakeups
    drafts: Drafts

    @classmethod
    def on(cls, settings: Settings, broker: BrokerConnection) -> Backend:
        """The collaborators for an open broker connection."""
        return cls(
            settings=settings,
            broker=broker,
            store=Store(broker.client, max_entry_chars=settings.max_entry_chars),
            jobs=Jobs(broker.client, retry_policy(settings)),
            wakeups=Wakeups(broker),
            drafts=Drafts(broker.client),
        )

    @classmethod
    def open(cls, settings: Settings, *, own: bool = True) -> Backend:
        """Attach to (or, if nobody owns it, start) the data directory's broker."""
        return cls.on(settings, open_broker(settings, own=own))

    def close(self) -> None:
        """Disconnect; if this process owns the broker, the server is shut down cleanly."""
        self.broker.close()

    def journal(self, name: str | None = None) -> Journal:
        """The named journal, or the default one (created on first use).

        The default journal is remembered by id, so renaming it keeps it the default.
        """
        if name is not None:
            found = self.store.find_journal(check_journal_name(name))
            if found is not None:
                return found
            if name.strip().casefold() != self.settings.default_journal.casefold():
                return self.store.journal(name)  # Raises NotFoundError.
        default_id: Any = self.broker.client.get(DEFAULT_JOURNAL_KEY)
        if default_id is not None:
            for journal in self.store.list_journals():
                if journal.id == default_id.decode():
                    return journal
        journal = self.store.ensure_journal(self.settings.default_journal)
        self.broker.client.set(DEFAULT_JOURNAL_KEY, journal.id)
        return journal


class JournalRef:
    """A journal as the caller named it (None: the default one), looked up when first
    used and then held by id, so a rename elsewhere does not strand it.

    Services check their input before they first use the journal, so a rejected call
    writes nothing, not even the default journal."""

    def __init__(self, backend: Backend, name: str | None) -> None:
        self._backend = backend
        self._name = name
        self._journal: Journal | None = None

    def get(self) -> Journal:
        if self._journal is None:
            self._journal = self._backend.journal(self._name)
        return self._journal


class JournalService:
    """What every service of one journal starts from: the Backend, and its journal as a
    :class:`JournalRef` (looked up on first use)."""

    def __init__(self, backend: Backend, journal: JournalRef) -> None:
        self._backend = backend
        self._ref = journal

    @property
    def _journal(self) -> Journal:
        return self._ref.get()
