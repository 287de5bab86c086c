"""The one object the UI and the CLI talk to. Nothing outside backend/ sees Redis or Cypher.

Every method validates its input first and writes nothing when it rejects it. Methods
are safe to call from several threads at once (the UI calls them from thread workers).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import re
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis

from backend import presence
from backend.broker.connection import BrokerConnection, describe, open_broker
from backend.drafts import Draft
from backend.errors import BrokerError, EditConflict, NotFoundError, ValidationError
from backend.graph import corrections, curation
from backend.graph import views as graph_views
from backend.graph.enrich import version_key
from backend.graph.extractor import ENTITY_TYPES
from backend.graph.resolution import normalise
from backend.graph.store import Also, Graph, RevisionConflict
from backend.jobs.records import (
    BACKLOG,
    EVENTS,
    INTERACTIVE,
    JobRecord,
    Jobs,
    enrich_job_id,
)
from backend.jobs.state import (
    BREAKER_KEY,
    inference_enabled,
    live_workers,
    set_editing,
    set_inference,
    supervisor_status,
)
from backend.jobs.wakeups import Wakeups
from backend.models import (
    AuthorPage,
    EntityPage,
    EntityRef,
    Entry,
    EntryEntities,
    Journal,
    Page,
    PeriodSummary,
    SearchResults,
    content_hash,
)
from backend.settings import Settings, save_settings
from backend.shared import Backend
from backend.validation import (
    check_body,
    check_title,
    local_zone,
    parse_entry_date,
)

if TYPE_CHECKING:
    from backend.transfer.importing import ImportSummary, Progress


def keyed_entry_id(journal: Journal, key: str) -> str:
    """The entry id a save with this ``id_key`` gets in this journal (16 hex digits)."""
    return hashlib.sha256(f"{journal.id}\0{key}".encode()).hexdigest()[:16]


def _both(first: Also | None, second: Also | None) -> Also | None:
    """One ``also`` that queues both (either may be None)."""
    if first is None or second is None:
        return first or second

    def both(pipe: redis.client.Pipeline, entry_id: str, content_hash: str) -> None:
        first(pipe, entry_id, content_hash)
        second(pipe, entry_id, content_hash)

    return both


DISK_FULL_BYTES = 32 * 1024 * 1024
"""Below this much free space, a failed write is reported as a full disk."""


def _lost(api: Any, exc: Exception) -> str:
    """What to tell the user when the database did not answer or refused a write."""
    data_dir = getattr(getattr(api, "settings", None), "data_dir", None)
    if data_dir is not None:
        try:
            free = shutil.disk_usage(data_dir).free
        except OSError:
            free = None
        if free is not None and (free < DISK_FULL_BYTES or "No space" in str(exc)):
            return (
                f"The disk holding {data_dir} is full ({free / 1e6:.0f} MB free); nothing "
                "was saved — free some space (what you typed is still here). Charlie "
                "carries on by itself once there is room."
            )
    return (
        f"Lost contact with the Charlie database ({exc}). If it keeps happening, restart "
        "Charlie; nothing saved is lost."
    )


def rejoining[R](api: Any, work: Callable[[], R]) -> R:
    """Run ``work``; if the server went away under it (its owner left, or our own server
    died), rejoin once — ownership moves as for every API call — and run it again.
    ``work`` must be safe to run twice (imports skip what is already there)."""
    try:
        return work()
    except redis.ConnectionError:
        try:
            rejoined = api.broker.rejoin()
        except BrokerError:
            rejoined = False
        if not rejoined:
            raise
    return work()


def _friendly_errors[T](cls: type[T]) -> type[T]:
    """Turn raw Redis errors from any public method into a BrokerError a user can read,
    after riding through an owner change once (see BrokerConnection.rejoin)."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(member) or name == "events":
            continue

        def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(method)
            def call(self: Any, *args: Any, **kwargs: Any) -> Any:
                if method.__name__ == "add_entry" and kwargs.get("id_key") is None:
                    # Retried below after an owner change: the same key means the same
                    # id, so a save that did commit is found, not added twice.
                    kwargs["id_key"] = secrets.token_hex(12)
                try:
                    return method(self, *args, **kwargs)
                except redis.ConnectionError as exc:
                    # The server went away (its owner left): ownership moves to whoever
                    # holds the lock now, maybe this process; then the call runs again.
                    try:
                        rejoined = self.broker.rejoin()
                    except BrokerError:
                        rejoined = False
                    if not rejoined:
                        raise BrokerError(_lost(self, exc)) from exc
                except redis.RedisError as exc:
                    raise BrokerError(_lost(self, exc)) from exc
                try:
                    return method(self, *args, **kwargs)
                except redis.RedisError as exc:
                    raise BrokerError(_lost(self, exc)) from exc

            return call

        setattr(cls, name, wrap(member))
    return cls


@_friendly_errors
class QueueAPI:
    """Background work as the screens and the CLI see it (mixed into CharlieAPI)."""

    broker: BrokerConnection
    settings: Settings
    jobs: Jobs
    wakeups: Wakeups

    def job_counts(self) -> dict[str, int]:
        """Jobs per state (done counts the newest kept)."""
        return self.jobs.counts()

    def list_jobs(self, state: str, limit: int = 200) -> list[JobRecord]:
        if state not in ("queued", "running", "retry_wait", "dead", "done"):
            raise ValidationError(
                f"Unknown job state {state!r}: use queued, running, retry_wait, dead or done."
            )
        return self.jobs.list(state, limit)

    def get_job(self, job_id: str) -> JobRecord:
        record = self.jobs.get(job_id)
        if record is None:
            raise NotFoundError(f"There is no job {job_id!r}.")
        return record

    def retry_job(self, job_id: str) -> None:
        """Give a dead job a fresh set of attempts."""
        if not self.jobs.retry_dead(job_id):
            raise ValidationError(f"Job {job_id!r} is not dead, so there is nothing to retry.")
        self.wakeups.send(priority=10)

    def retry_all_dead(self) -> int:
        count = sum(self.jobs.retry_dead(r.id) for r in self.jobs.list("dead", 100_000))
        if count:
            self.wakeups.send(count, priority=10)
        return count

    def discard_job(self, job_id: str) -> None:
        """Drop a dead job for good (the entry stays; it is just not enriched)."""
        if not self.jobs.discard(job_id):
            raise ValidationError(f"Job {job_id!r} is not dead; only dead jobs are discarded.")

    def paused_reasons(self) -> dict[str, str]:
        """Why the queue is paused (empty when it runs)."""
        return self.jobs.paused()

    def inference_enabled(self) -> bool:
        return inference_enabled(self.broker.client)

    def set_inference(self, enabled: bool) -> None:
        """Turn background inference on or off (persisted); off pauses the queue."""
        set_inference(self.broker.client, self.jobs, enabled)
        if enabled:
            self.wakeups.send(self.jobs.counts()["queued"] or 1, priority=10)

    def set_editing(self, editing: bool) -> None:
        """The editor is open (refresh at least every 30 s) or closed."""
        set_editing(self.broker.client, editing)

    def workers(self) -> list[dict[str, Any]]:
        """Health records of the workers seen in the last few seconds."""
        return live_workers(self.broker.client)

    def supervisor(self) -> dict[str, Any] | None:
        """The owner's supervisor status (restarts, crash loop), None if none runs."""
        return supervisor_status(self.broker.client)

    def events(self, stop: threading.Event) -> Iterator[dict[str, Any]]:
        """Job transitions as they happen (Redis pub/sub), until ``stop`` is set.

        Yields ``{}`` about once a second with no event, so a screen can reconcile
        from the records: a missed event is harmless."""
        pubsub = self.broker.client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(EVENTS)
        idle = 0
        try:
            while not stop.is_set():
                # Short waits, so a stop request is seen within a quarter second.
                message = pubsub.get_message(timeout=0.25)
                if message:
                    idle = 0
                    yield json.loads(message["data"])
                else:
                    idle += 1
                    if idle % 4 == 0:
                        yield {}
        finally:
            pubsub.close()

    def save_settings(self, **changes: object) -> Settings:
        """Validate and write settings to the config file; most apply at next start."""
        self.settings = save_settings(self.settings, **changes)
        return self.settings

    def breaker(self) -> dict[str, str]:
        raw: dict[Any, Any] = self.broker.client.hgetall(BREAKER_KEY)
        return {k.decode(): v.decode() for k, v in raw.items()}


@_friendly_errors
class CharlieAPI(QueueAPI):
    """Journals, entries and background work on one data directory's broker."""

    def __init__(self, settings: Settings, broker: BrokerConnection) -> None:
        self.backend = Backend.on(settings, broker)
        self.settings = settings
        self.broker = broker
        self.store = self.backend.store
        self.jobs = self.backend.jobs
        self.wakeups = self.backend.wakeups
        self.drafts = self.backend.drafts

    @classmethod
    def open(cls, settings: Settings, *, own: bool = True) -> CharlieAPI:
        """Attach to (or, if nobody owns it, start) the data directory's broker."""
        return cls(settings, open_broker(settings, own=own))

    def close(self) -> None:
        """Disconnect; if this process owns the broker, the server is shut down cleanly."""
        self.broker.close()

    def __enter__(self) -> CharlieAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def status(self) -> dict[str, Any]:
        """Where the data lives and how this process reaches it."""
        return {"data_dir": str(self.settings.data_dir), **describe(self.broker)}

    # -- journals --------------------------------------------------------------------

    def list_journals(self) -> list[Journal]:
        """Every journal by name; the default journal is created on first use."""
        journals = self.store.list_journals()
        if not journals:
            journals = [self.journal()]
        return journals

    def create_journal(self, name: str) -> Journal:
        return self.store.create_journal(name)

    def rename_journal(self, old: str, new: str) -> Journal:
        return self.store.rename_journal(old, new)

    def journal(self, name: str | None = None) -> Journal:
        """The named journal, or the default one (created on first use)."""
        return self.backend.journal(name)

    @property
    def default_journal(self) -> str:
        """The name of the journal used when none is named."""
        return self.journal().name

    # -- entries ---------------------------------------------------------------------

    def add_entry(
        self,
        body: str,
        *,
        title: str = "",
        entry_at: datetime | None = None,
        journal: str | None = None,
        source: str = "tui",
        draft_id: str | None = None,
        id_key: str | None = None,
    ) -> Entry:
        """Validate and store a new entry. When this returns, the entry is on disk.

        ``draft_id``: the draft this entry was written in, removed in the same transaction.
        ``id_key``: any text naming this save (a script's own id for it); a save with a
        key already used in this journal adds nothing and returns that entry, so a
        retried command cannot add an entry twice.
        """
        body = check_body(body, self.settings.max_entry_chars)
        title = check_title(title)
        when = self._check_time(entry_at)
        target = self.journal(journal)
        priority = BACKLOG if source == "import" else INTERACTIVE
        entry = self.store.add_entry(
            target,
            title=title,
            body=body,
            entry_at=when,
            source=source,
            entry_id=None if id_key is None else keyed_entry_id(target, id_key),
            also=_both(self._enqueue_for(target, priority), self._forget_draft(target, draft_id)),
        )
        self._wake(priority)
        return entry

    def _forget_draft(self, journal: Journal, draft_id: str | None) -> Also | None:
        if draft_id is None:
            return None

        def forget(pipe: redis.client.Pipeline, _entry_id: str, _hash: str) -> None:
            self.drafts.forget(pipe, journal, draft_id)

        return forget

    def _enqueue_for(self, journal: Journal, priority: str) -> Also:
        """Queue the entry's enrichment job in the same transaction as its write."""

        def enqueue(pipe: redis.client.Pipeline, entry_id: str, content_hash: str) -> None:
            self.jobs.enqueue(journal.id, entry_id, content_hash, priority=priority, pipe=pipe)

        return enqueue

    def _wake(self, priority: str) -> None:
        # A lost wake-up is harmless (the owner's sweeper re-sends it), so a failure
        # here must not undo a save that already committed: send() never raises.
        self.wakeups.send(priority=10 if priority == INTERACTIVE else 0)

    def edit_entry(
        self,
        entry_id: str,
        *,
        body: str | None = None,
        title: str | None = None,
        entry_at: datetime | None = None,
        journal: str | None = None,
        expected_revision: int | None = None,
        draft_id: str | None = None,
    ) -> Entry:
        """Change any of an entry's body, title and time; the others stay as they were.

        With ``expected_revision`` (the revision the user's edit began from), a change
        made meanwhile elsewhere raises EditConflict and nothing is written. Without it,
        the change applies to the newest version (the fields not given are kept from it,
        never from a stale read). A deleted entry raises NotFoundError. ``draft_id``: the
        editor's draft, removed in the same transaction as the save.
        """
        target = self.journal(journal)
        new_body = None if body is None else check_body(body, self.settings.max_entry_chars)
        new_title = None if title is None else check_title(title)
        when = None if entry_at is None else self._check_time(entry_at)
        while True:
            current = self.store.get_entry(target, entry_id)
            if expected_revision is not None and current.revision != expected_revision:
                raise EditConflict(current, expected_revision)
            final_body = current.body if new_body is None else new_body
            final_title = current.title if new_title is None else new_title
            changed = content_hash(final_title, final_body) != current.content_hash
            try:
                entry = self.store.update_entry(
                    target,
                    entry_id,
                    title=final_title,
                    body=final_body,
                    entry_at=current.entry_at if when is None else when,
                    expected_revision=current.revision,
                    also=_both(
                        self._enqueue_for(target, INTERACTIVE) if changed else None,
                        self._forget_draft(target, draft_id),
                    ),
                )
            except RevisionConflict:
                continue  # Read again: gone (NotFoundError), a conflict, or a retry.
            if changed:
                self._wake(INTERACTIVE)
            return entry

    def reenrich(self, entry_id: str, *, journal: str | None = None) -> bool:
        """Queue the entry for enrichment again, ahead of backlog work."""
        target = self.journal(journal)
        entry = self.store.get_entry(target, entry_id)
        queued = bool(
            self.jobs.enqueue(target.id, entry.id, entry.content_hash, priority=INTERACTIVE)
        )
        self._wake(INTERACTIVE)
        return queued

    def delete_entry(
        self, entry_id: str, *, journal: str | None = None, expected_revision: int | None = None
    ) -> bool:
        """Delete an entry, cancel and forget its job and prune entities nobody mentions
        any more, in one transaction. True if it existed; a second call is harmless.

        With ``expected_revision`` (the version the user saw), an entry changed elsewhere
        meanwhile raises EditConflict and stays. Safe while a worker is enriching the
        entry: its commit watches the job record, which this removes, so its result is
        discarded."""
        target = self.journal(journal)
        job_id = enrich_job_id(target.id, entry_id)

        def cancel(pipe: redis.client.Pipeline, _entry_id: str, _hash: str) -> None:
            self.jobs.cancel(job_id, pipe=pipe)
            self.jobs.forget(job_id, pipe)
            pipe.incr(version_key(target.id))  # Entities may have been pruned.

        try:
            return self.store.delete_entry(
                target, entry_id, also=cancel, expected_revision=expected_revision
            )
        except RevisionConflict:
            current = self.store.get_entry(target, entry_id)
            raise EditConflict(current, expected_revision or 0) from None

    def get_entry(self, entry_id: str, *, journal: str | None = None) -> Entry:
        return self.store.get_entry(self.journal(journal), entry_id)

    # -- drafts and open editors -------------------------------------------------------

    def save_draft(
        self,
        draft_id: str,
        *,
        entry_id: str | None,
        title: str,
        body: str,
        when: str = "",
        base_revision: int = 0,
        journal: str | None = None,
    ) -> Draft:
        """Keep what an editor shows, durably (see backend/drafts.py)."""
        return self.drafts.save(
            self.journal(journal),
            draft_id,
            entry_id=entry_id,
            title=title,
            body=body,
            when=when,
            base_revision=base_revision,
        )

    def discard_draft(self, draft_id: str, *, journal: str | None = None) -> bool:
        """Throw a draft away on purpose."""
        return self.drafts.discard(self.journal(journal), draft_id)

    def list_drafts(self, *, journal: str | None = None) -> list[Draft]:
        """Drafts of one journal, or of every journal when none is named; newest first."""
        journals = [self.journal(journal)] if journal is not None else self.list_journals()
        found = [d for j in journals for d in self.drafts.of_journal(j)]
        return sorted(found, key=lambda d: -d.saved_at)

    def find_draft(self, draft_id: str) -> Draft:
        """A draft by its id (a unique prefix is enough), in any journal."""
        matches = [d for d in self.list_drafts() if d.id.startswith(draft_id.strip())]
        if not matches or not draft_id.strip():
            raise NotFoundError(f"There is no draft {draft_id!r}.")
        if len(matches) > 1:
            raise ValidationError(f"{draft_id!r} matches several drafts; give more of its id.")
        return matches[0]

    def restore_draft(self, draft_id: str, *, as_new: bool = False) -> Entry:
        """Save a draft as what it was meant to be, and remove it in the same transaction.

        A new entry's draft (or any draft ``as_new``) becomes a new entry. An edit's draft
        is saved over its entry only if the entry is still at the revision the edit began
        from: EditConflict or NotFoundError otherwise (then ``as_new`` keeps both).
        """
        draft = self.find_draft(draft_id)
        when = self._draft_time(draft)
        if draft.entry_id is None or as_new:
            return self.add_entry(
                draft.body,
                title=draft.title,
                entry_at=when,
                journal=draft.journal,
                draft_id=draft.id,
            )
        return self.edit_entry(
            draft.entry_id,
            body=draft.body,
            title=draft.title,
            entry_at=when,
            journal=draft.journal,
            expected_revision=draft.base_revision,
            draft_id=draft.id,
        )

    @staticmethod
    def _draft_time(draft: Draft) -> datetime | None:
        """The draft's When, if it reads as a date (else the entry keeps its time, or a
        new one gets the time the draft was saved)."""
        try:
            return parse_entry_date(draft.when) if draft.when.strip() else None
        except ValidationError:
            return None if draft.entry_id else draft.saved.astimezone(local_zone())

    def mark_open(self, entry_id: str, session: str, *, journal: str | None = None) -> int:
        """Say this editor session shows the entry; returns how many others do too."""
        target = self.journal(journal)
        presence.mark_open(self.broker.client, target.id, entry_id, session)
        return presence.open_elsewhere(self.broker.client, target.id, entry_id, session)

    def mark_closed(self, entry_id: str, session: str, *, journal: str | None = None) -> None:
        presence.mark_closed(self.broker.client, self.journal(journal).id, entry_id, session)

    def open_elsewhere(self, entry_id: str, session: str, *, journal: str | None = None) -> int:
        """How many other editor sessions show the entry now."""
        target = self.journal(journal)
        return presence.open_elsewhere(self.broker.client, target.id, entry_id, session)

    def resolve_entry_id(self, prefix: str, *, journal: str | None = None) -> str:
        """The full id of the one entry whose id starts with ``prefix``."""
        prefix = prefix.strip().lower()
        if len(prefix) < 4 or any(c not in "0123456789abcdef" for c in prefix):
            raise ValidationError(f"{prefix!r} is not an entry id (at least 4 hex digits).")
        matches = self.store.find_entry_ids(self.journal(journal), prefix)
        if not matches:
            raise NotFoundError(f"There is no entry with an id starting {prefix!r}.")
        if len(matches) > 1:
            raise ValidationError(f"{prefix!r} matches several entries; give more digits.")
        return matches[0]

    def list_entries(
        self,
        *,
        journal: str | None = None,
        limit: int = 100,
        before: str | None = None,
    ) -> Page:
        """A page of entries, newest first; pass ``page.next_cursor`` as ``before``."""
        if limit < 1:
            raise ValidationError("A page holds at least one entry.")
        return self.store.list_entries(self.journal(journal), limit=limit, before=before)

    def count_entries(self, *, journal: str | None = None) -> int:
        return self.store.count_entries(self.journal(journal))

    def neighbours(
        self, entry_id: str, *, journal: str | None = None
    ) -> tuple[str | None, str | None]:
        """(older id, newer id) around an entry, for previous/next in the reader."""
        target = self.journal(journal)
        return self.store.neighbours(target, self.store.get_entry(target, entry_id))

    # -- the knowledge graph ---------------------------------------------------------

    def _graph(self, journal: str | None) -> tuple[Journal, Graph]:
        target = self.journal(journal)
        return target, self.store.graph(target)

    def entry_entities(self, entry_id: str, *, journal: str | None = None) -> EntryEntities:
        """What an entry mentions and the relationships it states (for the reader)."""
        return graph_views.entry_entities(self._graph(journal)[1], entry_id)

    def entity(self, entity_id: str, *, journal: str | None = None, limit: int = 100) -> EntityPage:
        """An entity's page: quotes, first and last mention, company, relationships."""
        return graph_views.entity_page(self._graph(journal)[1], entity_id, limit=limit)

    def author(
        self, *, journal: str | None = None, now: datetime | None = None, limit: int = 10
    ) -> AuthorPage:
        """The author's own page: entries, first and last, and their most mentioned
        people, places, groups and activities, overall and this month and year (of
        ``now``, default the machine's local time)."""
        moment = now or datetime.now(local_zone())
        return graph_views.author_page(self._graph(journal)[1], now=moment, limit=limit)

    def entities(
        self, *, type: str | None = None, journal: str | None = None, limit: int = 500
    ) -> list[EntityRef]:
        """Entities, most mentioned first."""
        if type is not None and type not in ENTITY_TYPES:
            raise ValidationError(f"{type!r} is not a type; use one of {', '.join(ENTITY_TYPES)}.")
        return graph_views.list_entities(self._graph(journal)[1], type_=type, limit=limit)

    def find_entity(
        self, name: str, *, type: str | None = None, journal: str | None = None
    ) -> EntityRef | None:
        """The entity called ``name`` (exactly, after normalising; or by an alias)."""
        key = normalise(name)
        rows = self._graph(journal)[1].read(
            "MATCH (n:Entity) WHERE (n.key = $key OR $key IN coalesce(n.aliases, [])) "
            "AND ($type = '' OR n.type = $type) RETURN n.id, n.name, n.type ORDER BY n.id LIMIT 1",
            {"key": key, "type": type or ""},
        )
        return EntityRef(rows[0][0], rows[0][1], rows[0][2]) if rows else None

    def search(self, text: str, *, journal: str | None = None, limit: int = 20) -> SearchResults:
        """Entries and entities matching what the user typed (last word as a prefix)."""
        return graph_views.search(self._graph(journal)[1], text, limit=limit)

    def period(self, year: int, month: int, *, journal: str | None = None) -> PeriodSummary:
        """Who and what appeared in a month (local time)."""
        if not 1 <= month <= 12 or not 1 <= year <= 9999:
            raise ValidationError(f"{year}-{month:02} is not a month.")
        zone = local_zone()
        start = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        return graph_views.period(self._graph(journal)[1], start, end)

    def rename_entity(self, entity_id: str, new_name: str, *, journal: str | None = None) -> str:
        """Rename an entity; the old name stays an alias. Returns the stored name."""
        return curation.rename(self.broker.client, self.journal(journal).id, entity_id, new_name)

    def merge_entities(self, keep_id: str, other_id: str, *, journal: str | None = None) -> None:
        """Fold ``other_id`` into ``keep_id`` (its type wins), keeping every quote."""
        curation.merge(self.broker.client, self.journal(journal).id, keep_id, other_id)

    def remove_entity_from_entry(
        self, entry_id: str, entity_id: str, *, journal: str | None = None
    ) -> None:
        """Unlink an entity from one entry, for good (re-enrichment respects it)."""
        curation.remove_from_entry(
            self.broker.client, self.journal(journal).id, entry_id, entity_id
        )

    def retype_entity(self, entity_id: str, new_type: str, *, journal: str | None = None) -> None:
        """Give an entity another type; its names are read as that type from now on."""
        corrections.retype(self.broker.client, self.journal(journal).id, entity_id, new_type)

    def link_entity(
        self, entry_id: str, name: str, type: str, *, journal: str | None = None
    ) -> str:
        """Link a name the extractor missed to an entry (an existing entity of that type,
        or a new one), for good. Returns the entity's id."""
        return corrections.link(self.broker.client, self.journal(journal).id, entry_id, name, type)

    def split_entity(
        self,
        entity_id: str,
        entry_ids: list[str],
        into: str,
        *,
        type: str | None = None,
        journal: str | None = None,
    ) -> str:
        """Move an entity's mentions in ``entry_ids`` to the entity ``into`` (new or
        existing), for good. Returns its id."""
        return corrections.split(
            self.broker.client, self.journal(journal).id, entity_id, entry_ids, into, type
        )

    def delete_entity(self, entity_id: str, *, journal: str | None = None) -> None:
        """Remove an entity from every entry."""
        curation.delete_everywhere(self.broker.client, self.journal(journal).id, entity_id)

    def block_name(self, name: str, *, journal: str | None = None) -> int:
        """Never extract ``name`` again; removes entities called that. Returns how many."""
        return curation.block(self.broker.client, self.journal(journal).id, name)

    def unblock_name(self, name: str, *, journal: str | None = None) -> int:
        """Allow ``name`` again and re-enrich the entries that contain it. Returns how
        many entries were queued."""
        target, graph = self._graph(journal)
        if curation.unblock(self.broker.client, target.id, name) is None:
            raise NotFoundError(f"{name!r} is not blocked.")
        query = " ".join(re.findall(r"\w+", name))
        if not query:
            return 0
        rows = graph.read(
            "CALL db.idx.fulltext.queryNodes('Episode', $q) YIELD node "
            "RETURN node.id, node.content_hash",
            {"q": query},
        )
        with self.broker.client.pipeline(transaction=True) as pipe:
            for entry_id, chash in rows:
                self.jobs.enqueue(target.id, entry_id, chash, priority=INTERACTIVE, pipe=pipe)
            pipe.execute()
        if rows:
            self._wake(INTERACTIVE)
        return len(rows)

    def blocked_names(self, *, journal: str | None = None) -> list[str]:
        return curation.blocked_names(self.broker.client, self.journal(journal).id)

    # -- import ----------------------------------------------------------------------

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
        progress: Progress | None = None,
    ) -> ImportSummary:
        """Import a source as backlog work (see backend.transfer.importing.run_import);
        ``progress(stage, done, total)`` is called from this thread as it goes."""
        from backend.transfer.importing import run_import

        return run_import(
            self,
            importer,
            source,
            journal=journal,
            dry_run=dry_run,
            recursive=recursive,
            progress=progress,
        )

    @staticmethod
    def _check_time(entry_at: datetime | None) -> datetime:
        if entry_at is None:
            return datetime.now(local_zone())
        if not isinstance(entry_at, datetime):
            raise ValidationError("The entry time must be a date and time.")
        if entry_at.tzinfo is None:
            entry_at = entry_at.replace(tzinfo=local_zone())
        return entry_at
