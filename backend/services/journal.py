"""Journals: the list of them, and a handle on one that remembers which it is."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from backend.models import Journal
from backend.services.drafts import JournalDrafts
from backend.services.entries import Entries
from backend.services.friendly import friendly_errors
from backend.shared import Backend, JournalRef

if TYPE_CHECKING:
    from backend.services.graph import Curation, GraphViews


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
