"""Drafts: what editors show, kept durably (backend/drafts.py), per journal and across them."""

from __future__ import annotations

from datetime import datetime

from backend.drafts import Draft
from backend.errors import NotFoundError, ValidationError
from backend.models import Entry, split_tags
from backend.services.entries import Entries
from backend.services.friendly import friendly_errors
from backend.shared import Backend, JournalRef, JournalService
from backend.validation import local_zone, parse_entry_date


@friendly_errors
class JournalDrafts(JournalService):
    """The drafts of one journal."""

    def save(
        self,
        draft_id: str,
        *,
        entry_id: str | None,
        title: str,
        body: str,
        when: str = "",
        base_revision: int = 0,
        tags: str | None = None,
    ) -> Draft:
        """Keep what an editor shows, durably (see backend/drafts.py)."""
        return self._backend.drafts.save(
            self._journal,
            draft_id,
            entry_id=entry_id,
            title=title,
            body=body,
            when=when,
            base_revision=base_revision,
            tags=tags,
        )

    def discard(self, draft_id: str) -> bool:
        """Throw a draft away on purpose."""
        return self._backend.drafts.discard(self._journal, draft_id)

    def list(self) -> list[Draft]:
        """This journal's drafts, newest first."""
        return sorted(self._backend.drafts.of_journal(self._journal), key=lambda d: -d.saved_at)


@friendly_errors
class Drafts:
    """Drafts of every journal: list, find by id, restore."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def list(self) -> list[Draft]:
        """Drafts of every journal, newest first."""
        journals = self._backend.store.list_journals() or [self._backend.journal()]
        found = [d for j in journals for d in self._backend.drafts.of_journal(j)]
        return sorted(found, key=lambda d: -d.saved_at)

    def find(self, draft_id: str) -> Draft:
        """A draft by its id (a unique prefix is enough), in any journal."""
        matches = [d for d in self.list() if d.id.startswith(draft_id.strip())]
        if not matches or not draft_id.strip():
            raise NotFoundError(f"There is no draft {draft_id!r}.")
        if len(matches) > 1:
            raise ValidationError(f"{draft_id!r} matches several drafts; give more of its id.")
        return matches[0]

    def restore(self, draft_id: str, *, as_new: bool = False) -> Entry:
        """Save a draft as what it was meant to be, and remove it in the same transaction.

        A new entry's draft (or any draft ``as_new``) becomes a new entry. An edit's draft
        is saved over its entry only if the entry is still at the revision the edit began
        from: EditConflict or NotFoundError otherwise (then ``as_new`` keeps both).
        """
        draft = self.find(draft_id)
        when = _draft_time(draft)
        entries = Entries(self._backend, JournalRef(self._backend, draft.journal))
        if draft.entry_id is None or as_new:
            return entries.add(
                draft.body,
                title=draft.title,
                entry_at=when,
                draft_id=draft.id,
                tags=split_tags(draft.tags or ""),
            )
        return entries.edit(
            draft.entry_id,
            body=draft.body,
            title=draft.title,
            entry_at=when,
            expected_revision=draft.base_revision,
            draft_id=draft.id,
            # A draft without the Tags field keeps the entry's; a cleared field clears them.
            tags=None if draft.tags is None else split_tags(draft.tags),
        )


def _draft_time(draft: Draft) -> datetime | None:
    """The draft's When, if it reads as a date (else the entry keeps its time, or a new
    one gets the time the draft was saved)."""
    try:
        return parse_entry_date(draft.when) if draft.when.strip() else None
    except ValidationError:
        return None if draft.entry_id else draft.saved.astimezone(local_zone())
