"""One journal's entries: save, edit, delete, read, page, and which editors show them.

Every method validates its input first and writes nothing when it rejects it. A save
queues the entry's enrichment job in the same transaction as its write (DESIGN.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

import redis

from backend import presence
from backend.errors import EditConflict, NotFoundError, ValidationError
from backend.graph.schema import version_key
from backend.graph.store import Also, RevisionConflict
from backend.graph.tags import filtered_page
from backend.jobs.records import BACKLOG, INTERACTIVE, enrich_job_id
from backend.models import Entry, Journal, Page, content_hash, normalise_tag
from backend.services.friendly import friendly_errors
from backend.services.tags import TagViews, check_tag
from backend.validation import check_body, check_title, local_zone


def keyed_entry_id(journal: Journal, key: str) -> str:
    """The entry id a save with this ``id_key`` gets in this journal (16 hex digits)."""
    return hashlib.sha256(f"{journal.id}\0{key}".encode()).hexdigest()[:16]


def both(first: Also | None, second: Also | None) -> Also | None:
    """One ``also`` that queues both (either may be None)."""
    if first is None or second is None:
        return first or second

    def run_both(pipe: redis.client.Pipeline, entry_id: str, content_hash: str) -> None:
        first(pipe, entry_id, content_hash)
        second(pipe, entry_id, content_hash)

    return run_both


def check_time(entry_at: datetime | None) -> datetime:
    """The entry's time: now when none is given, local time when it has no zone."""
    if entry_at is None:
        return datetime.now(local_zone())
    if not isinstance(entry_at, datetime):
        raise ValidationError("The entry time must be a date and time.")
    if entry_at.tzinfo is None:
        entry_at = entry_at.replace(tzinfo=local_zone())
    return entry_at


@friendly_errors
class Entries(TagViews):
    """The entries of one journal (with their tags and stars: ``TagViews``)."""

    def add(
        self,
        body: str,
        *,
        title: str = "",
        entry_at: datetime | None = None,
        source: str = "tui",
        draft_id: str | None = None,
        id_key: str | None = None,
        tags: Iterable[str] = (),
        starred: bool = False,
    ) -> Entry:
        """Validate and store a new entry. When this returns, the entry is on disk.

        Its tags are the ``#tag`` words of its title and text and ``tags`` (given
        beside the text: "#Work", "work" and "Work" are one tag); ``starred`` stars it.

        ``draft_id``: the draft this entry was written in, removed in the same transaction.
        ``id_key``: any text naming this save (a script's own id for it); a save with a
        key already used in this journal adds nothing and returns that entry, so a
        retried command cannot add an entry twice.
        """
        body = check_body(body, self._backend.settings.max_entry_chars)
        title = check_title(title)
        when = check_time(entry_at)
        given = check_given_tags(tags)
        target = self._journal
        priority = BACKLOG if source == "import" else INTERACTIVE
        entry = self._backend.store.add_entry(
            target,
            title=title,
            body=body,
            entry_at=when,
            source=source,
            entry_id=None if id_key is None else keyed_entry_id(target, id_key),
            also=both(self._enqueue(priority), self._forget_draft(draft_id)),
            tags=given,
            starred=bool(starred),
        )
        return entry

    def _forget_draft(self, draft_id: str | None) -> Also | None:
        if draft_id is None:
            return None

        def forget(pipe: redis.client.Pipeline, _entry_id: str, _hash: str) -> None:
            self._backend.drafts.forget(pipe, self._journal, draft_id)

        return forget

    def _enqueue(self, priority: str) -> Also:
        """Queue the entry's enrichment job in the same transaction as its write (the
        job's script also wakes a worker: no step after the commit can fail)."""
        journal_id = self._journal.id

        def enqueue(pipe: redis.client.Pipeline, entry_id: str, content_hash: str) -> None:
            self._backend.jobs.enqueue(
                journal_id, entry_id, content_hash, priority=priority, pipe=pipe
            )

        return enqueue

    def edit(
        self,
        entry_id: str,
        *,
        body: str | None = None,
        title: str | None = None,
        entry_at: datetime | None = None,
        expected_revision: int | None = None,
        draft_id: str | None = None,
        tags: Iterable[str] | None = None,
    ) -> Entry:
        """Change any of an entry's body, title and time; the others stay as they were.

        Its tags follow the ``#tag`` words of the new text; ``tags`` replaces the tags
        given beside the text (None keeps them: ``Entry.own_tags``). The star stays.

        With ``expected_revision`` (the revision the user's edit began from), a change
        made meanwhile elsewhere raises EditConflict and nothing is written. Without it,
        the change applies to the newest version (the fields not given are kept from it,
        never from a stale read). A deleted entry raises NotFoundError. ``draft_id``: the
        editor's draft, removed in the same transaction as the save.
        """
        store, target = self._backend.store, self._journal
        limit = self._backend.settings.max_entry_chars
        new_body = None if body is None else check_body(body, limit)
        new_title = None if title is None else check_title(title)
        when = None if entry_at is None else check_time(entry_at)
        new_tags = None if tags is None else check_given_tags(tags)
        while True:
            current = store.get_entry(target, entry_id)
            if expected_revision is not None and current.revision != expected_revision:
                raise EditConflict(current, expected_revision)
            final_body = current.body if new_body is None else new_body
            final_title = current.title if new_title is None else new_title
            changed = content_hash(final_title, final_body) != current.content_hash
            try:
                entry = store.update_entry(
                    target,
                    entry_id,
                    title=final_title,
                    body=final_body,
                    entry_at=current.entry_at if when is None else when,
                    expected_revision=current.revision,
                    tags=current.own_tags if new_tags is None else new_tags,
                    also=both(
                        self._enqueue(INTERACTIVE) if changed else None,
                        self._forget_draft(draft_id),
                    ),
                )
            except RevisionConflict:
                continue  # Read again: gone (NotFoundError), a conflict, or a retry.
            return entry

    def reenrich(self, entry_id: str) -> bool:
        """Queue the entry for enrichment again, ahead of backlog work."""
        entry = self._backend.store.get_entry(self._journal, entry_id)
        return bool(
            self._backend.jobs.enqueue(
                self._journal.id, entry.id, entry.content_hash, priority=INTERACTIVE
            )
        )

    def delete(self, entry_id: str, *, expected_revision: int | None = None) -> bool:
        """Delete an entry, cancel and forget its job and prune entities nobody mentions
        any more, in one transaction. True if it existed; a second call is harmless.

        With ``expected_revision`` (the version the user saw), an entry changed elsewhere
        meanwhile raises EditConflict and stays. Safe while a worker is enriching the
        entry: its commit watches the job record, which this removes, so its result is
        discarded."""
        target, jobs = self._journal, self._backend.jobs
        job_id = enrich_job_id(target.id, entry_id)

        def cancel(pipe: redis.client.Pipeline, _entry_id: str, _hash: str) -> None:
            jobs.cancel(job_id, pipe=pipe)
            jobs.forget(job_id, pipe)
            pipe.incr(version_key(target.id))  # Entities may have been pruned.

        try:
            return self._backend.store.delete_entry(
                target, entry_id, also=cancel, expected_revision=expected_revision
            )
        except RevisionConflict:
            current = self._backend.store.get_entry(target, entry_id)
            raise EditConflict(current, expected_revision or 0) from None

    def get(self, entry_id: str) -> Entry:
        return self._backend.store.get_entry(self._journal, entry_id)

    def resolve_id(self, prefix: str) -> str:
        """The full id of the one entry whose id starts with ``prefix``."""
        prefix = prefix.strip().lower()
        if len(prefix) < 4 or any(c not in "0123456789abcdef" for c in prefix):
            raise ValidationError(f"{prefix!r} is not an entry id (at least 4 hex digits).")
        matches = self._backend.store.find_entry_ids(self._journal, prefix)
        if not matches:
            raise NotFoundError(f"There is no entry with an id starting {prefix!r}.")
        if len(matches) > 1:
            raise ValidationError(f"{prefix!r} matches several entries; give more digits.")
        return matches[0]

    def list(
        self,
        *,
        limit: int = 100,
        before: str | None = None,
        tag: str | None = None,
        starred: bool = False,
    ) -> Page:
        """A page of entries, newest first; pass ``page.next_cursor`` as ``before``.
        With ``tag`` only the entries carrying it, with ``starred`` only starred ones."""
        if limit < 1:
            raise ValidationError("A page holds at least one entry.")
        wanted = None if tag is None else check_tag(tag)
        if wanted is None and not starred:
            return self._backend.store.list_entries(self._journal, limit=limit, before=before)
        graph = self._backend.store.graph(self._journal)
        return filtered_page(graph, tag=wanted, starred=starred, limit=limit, before=before)

    def count(self) -> int:
        return self._backend.store.count_entries(self._journal)

    def neighbours(self, entry_id: str) -> tuple[str | None, str | None]:
        """(older id, newer id) around an entry, for previous/next in the reader."""
        store = self._backend.store
        return store.neighbours(self._journal, store.get_entry(self._journal, entry_id))

    def mark_open(self, entry_id: str, session: str) -> int:
        """Say this editor session shows the entry; returns how many others do too."""
        client = self._backend.broker.client
        presence.mark_open(client, self._journal.id, entry_id, session)
        return presence.open_elsewhere(client, self._journal.id, entry_id, session)

    def mark_closed(self, entry_id: str, session: str) -> None:
        presence.mark_closed(self._backend.broker.client, self._journal.id, entry_id, session)

    def open_elsewhere(self, entry_id: str, session: str) -> int:
        """How many other editor sessions show the entry now."""
        client = self._backend.broker.client
        return presence.open_elsewhere(client, self._journal.id, entry_id, session)


def check_given_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags given beside an entry's text, normalised ("#Work" is "work"); a text or
    something else that is not a list of tags is a ValidationError."""
    given = None if isinstance(tags, str) else list(tags)
    if given is None or not all(isinstance(t, str) for t in given):
        raise ValidationError("Tags must be given as a list of words.")
    return tuple(t for t in (normalise_tag(t) for t in given) if t)
