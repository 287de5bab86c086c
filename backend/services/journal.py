"""Journals: the list of them, and a handle on one that remembers which it is."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from backend.errors import ValidationError
from backend.models import Journal
from backend.services.drafts import JournalDrafts
from backend.services.entries import Entries
from backend.services.friendly import friendly_errors
from backend.shared import DEFAULT_JOURNAL_KEY, Backend, JournalRef

if TYPE_CHECKING:
    from backend.services.graph import Curation, GraphViews
    from backend.services.time import TimeViews


class JournalHandle:
    """One journal's entries, drafts, graph views and corrections.

    Making a handle reads nothing: the journal is looked up on first use (after the
    call's input was checked, so a rejected call writes nothing), then held by id, so a
    rename elsewhere does not strand the handle."""

    def __init__(self, backend: Backend, name: str | None) -> None:
        self._backend = backend
        ref = JournalRef(backend, name)
        self._ref = ref
        self.entries = Entries(backend, ref)
        self.drafts = JournalDrafts(backend, ref)

    # The graph services are built when first used: their modules bring entity
    # resolution (rapidfuzz) along, which `charlie new` and `list` never need.
    @cached_property
    def graph(self) -> GraphViews:
        """What the graph pages show."""
        from backend.services.graph import GraphViews

        return GraphViews(self._backend, self._ref)

    @cached_property
    def curation(self) -> Curation:
        """The user's corrections to the graph."""
        from backend.services.graph import Curation

        return Curation(self._backend, self._ref)

    @cached_property
    def time(self) -> TimeViews:
        """The journal by day, week, month and year (calendar, streaks, stats)."""
        from backend.services.time import TimeViews

        return TimeViews(self._backend, self._ref)

    @property
    def journal(self) -> Journal:
        """The journal itself (looked up now if it was not yet)."""
        return _journal(self)

    @property
    def name(self) -> str:
        return self.journal.name

    @property
    def id(self) -> str:
        return self.journal.id


@friendly_errors
class Journals:
    """Every journal by name; the default journal is created on first use."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def list(self) -> list[Journal]:
        journals = self._backend.store.list_journals()
        if not journals:
            journals = [self._backend.journal()]
        return journals

    def create(self, name: str) -> Journal:
        return self._backend.store.create_journal(name)

    def rename(self, old: str, new: str) -> Journal:
        return self._backend.store.rename_journal(old, new)

    def get(self, name: str | None = None) -> Journal:
        """The named journal, or the default one (created on first use)."""
        return self._backend.journal(name)

    def default_name(self) -> str:
        """The name of the journal used when none is named."""
        return self._backend.journal().name

    def open(self, name: str | None = None) -> JournalHandle:
        """A handle on the named journal, or on the default one (looked up on first use)."""
        return JournalHandle(self._backend, name)

    def overview(self) -> builtins.list[JournalInfo]:
        """Every journal with its number of entries (counted in one round trip) and
        whether it is the default, by name."""
        from backend.graph.journals import count_entries

        journals = self.list()
        default_id = self._backend.journal().id
        counts = count_entries(self._backend.broker.client, [j.id for j in journals])
        return [JournalInfo(j, counts.get(j.id, 0), j.id == default_id) for j in journals]

    def delete(self, name: str, *, expected_entries: int | None = None) -> DeletedJournal:
        """Delete a journal with its entries, drafts, graph and background jobs, after a
        backup of everything (see backend.graph.journals.delete_journal).

        The backup comes first: if it cannot be taken, nothing is deleted and the error
        says why. The last journal cannot be deleted; when the default one is, another
        becomes the default. With ``expected_entries`` (the count the user confirmed),
        a journal that holds another number by now is left alone."""
        from backend.graph.journals import delete_journal
        from backend.transfer.backup import snapshot
        from backend.transfer.backup_file import BackupError

        journal = self._backend.store.journal(name)  # NotFoundError before any backup.
        if len(self._backend.store.list_journals()) < 2:
            raise ValidationError(
                f"{journal.name!r} is your only journal, and Charlie keeps at least one: "
                "create another journal first, then delete this one."
            )
        try:
            # Kept until the user deletes it ("manual"): rotation must never take the
            # only copy of a deleted journal away.
            backup = snapshot(self._backend, "manual")
        except BackupError as exc:
            raise BackupError(
                f"Could not back up before deleting {journal.name!r}, so nothing was deleted: {exc}"
            ) from exc
        gone = delete_journal(
            self._backend.broker.client,
            journal.name,
            default_key=DEFAULT_JOURNAL_KEY,
            fallback_default=self._backend.settings.default_journal,
            expected_entries=expected_entries,
        )
        _forget_cached_home(self._backend.settings.data_dir, gone.journal.name)
        return DeletedJournal(
            name=gone.journal.name,
            entries=gone.entries,
            jobs=gone.jobs,
            backup=backup,
            default=self.default_name(),
        )


@dataclass(frozen=True)
class JournalInfo:
    """A journal as the journal list shows it."""

    journal: Journal
    entries: int
    """How many entries it holds."""
    default: bool
    """It is the journal used when none is named."""

    @property
    def name(self) -> str:
        return self.journal.name


@dataclass(frozen=True)
class DeletedJournal:
    """What deleting a journal did."""

    name: str
    entries: int
    """The entries it held, now deleted."""
    jobs: int
    """Its entries' background jobs removed with it."""
    backup: Path
    """The backup of everything taken just before."""
    default: str
    """The default journal's name now (another one if the deleted one was it)."""


def _forget_cached_home(data_dir: Path, name: str) -> None:
    """Remove the app's cached first page (services/home_cache.py) if it shows the
    deleted journal: its titles and previews must not outlive the journal."""
    from backend.services.home_cache import cache_path, read_home

    cached = read_home(data_dir)
    if cached is not None and cached.journal.casefold() == name.casefold():
        cache_path(data_dir).unlink(missing_ok=True)


@friendly_errors
class _Lookup:
    """The handle's one lookup, with the same error translation as every service."""

    def __init__(self, handle: JournalHandle) -> None:
        self._backend = handle._backend
        self._ref = handle._ref

    def journal(self) -> Journal:
        return self._ref.get()


def _journal(handle: JournalHandle) -> Journal:
    return _Lookup(handle).journal()
