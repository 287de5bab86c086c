"""Keeps one editor session's draft in the database, without ever making typing wait.

The editor hands over a :class:`Snapshot` of its fields (on the UI thread, which is
cheap) and writes it from a thread worker. Writes of one session go through one lock,
so they land in order and only the newest snapshot is written; the entry's save takes
the same lock, so a draft write can never land after the save that removed the draft
(which would leave a stale draft to be offered again). No Textual in here: the editor
owns the workers, this owns the ordering.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backend.drafts import Draft
    from backend.root import Charlie


@dataclass(frozen=True)
class Snapshot:
    """What the editor's fields hold at one moment."""

    title: str
    when: str
    """The When field exactly as typed (it may not parse yet)."""
    body: str
    tags: str | None = None
    """The Tags field as typed; None: not known (a draft from before the field)."""

    @classmethod
    def of_draft(cls, draft: Draft) -> Snapshot:
        return cls(draft.title, draft.when, draft.body, draft.tags)


@dataclass(frozen=True)
class _Stored:
    """What the database holds for this session's draft."""

    snapshot: Snapshot
    entry_id: str | None
    base_revision: int


class DraftKeeper:
    """The draft of one editor session: its id, what it edits, and what is stored."""

    LOCK_SECONDS = 5.0
    """How long a synchronous write (on a signal) waits for one already under way."""

    def __init__(
        self,
        api: Charlie,
        journal: str,
        draft_id: str,
        *,
        entry_id: str | None,
        base_revision: int,
        stored: Snapshot | None = None,
    ) -> None:
        self.api = api
        self.journal = journal
        """The journal's name (drafts belong to a journal)."""
        self.draft_id = draft_id
        self.entry_id = entry_id
        """The entry being edited (None: a new entry)."""
        self.base_revision = base_revision
        """The revision the edit began from; a conflict on save is judged against it."""
        self.finished = False
        """True once the entry was saved (taking the draft with it) or the draft
        discarded on purpose: from then on nothing is written."""
        self._lock = threading.Lock()
        self._pending: tuple[Snapshot, bool] | None = None
        self._stored = None if stored is None else _Stored(stored, entry_id, base_revision)

    @property
    def has_draft(self) -> bool:
        """Whether the database holds a draft of this session (as far as it knows)."""
        return self._stored is not None

    def needs_write(self, snapshot: Snapshot, clean: bool) -> bool:
        """Whether writing ``snapshot`` would change what is stored.

        ``clean``: the fields hold nothing unsaved (an empty new entry, or an edit that
        matches the stored entry), so the right draft is none at all.
        """
        if self.finished:
            return False
        if clean:
            return self._stored is not None
        return self._stored != _Stored(snapshot, self.entry_id, self.base_revision)

    def offer(self, snapshot: Snapshot, clean: bool) -> None:
        """Make ``snapshot`` the next thing :meth:`flush` writes (a newer one replaces it)."""
        self._pending = (snapshot, clean)

    def flush(self, *, wait: float | None = None) -> bool:
        """Write the newest offered snapshot; called from a thread (or on a signal).

        Returns False when ``wait`` seconds passed before a write under way finished.
        Backend errors propagate (the caller decides how to show them).
        """
        if not self._lock.acquire(timeout=-1 if wait is None else wait):
            return False
        pending, self._pending = self._pending, None
        try:
            if pending is None or self.finished:
                return True
            snapshot, clean = pending
            if not self.needs_write(snapshot, clean):
                return True
            drafts = self.api.journal(self.journal).drafts
            if clean:
                drafts.discard(self.draft_id)
                self._stored = None
            else:
                drafts.save(
                    self.draft_id,
                    entry_id=self.entry_id,
                    title=snapshot.title,
                    body=snapshot.body,
                    when=snapshot.when,
                    base_revision=self.base_revision,
                    tags=snapshot.tags,
                )
                self._stored = _Stored(snapshot, self.entry_id, self.base_revision)
            return True
        except BaseException:
            # Not written: offer it again, unless something newer came meanwhile.
            if self._pending is None:
                self._pending = pending
            raise
        finally:
            self._lock.release()

    def finish[T](self, save: Callable[[], T]) -> T:
        """Run the entry's save (which removes the draft) with no draft write in between."""
        with self._lock:
            result = save()
            self.finished = True
            self._stored = None
            return result

    def discard(self) -> None:
        """Throw the draft away on purpose (from a thread); nothing is written after."""
        with self._lock:
            self.finished = True
            if self._stored is not None:
                self.api.journal(self.journal).drafts.discard(self.draft_id)
                self._stored = None
