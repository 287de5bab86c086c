"""Drafts: what is on an editor's screen, kept as durably as a saved entry.

The editor writes its text here a second or two after the last keystroke, when focus
moves, on SIGHUP/SIGTERM and when a save fails, so a closed terminal, ``kill -9`` or a
flat battery loses nothing typed. Each editor session has its own draft (two windows on
one entry never overwrite each other's); a draft names the entry it edits (none for a
new entry), the revision that edit started from, and the journal it belongs to.

Drafts live in one Redis hash per journal (``charlie:drafts:<journal id>``: draft id
-> JSON), so they are in the fsynced append-only file, in every backup, in the JSON
export, and never enriched. Saving an entry removes the draft it came from in the same
transaction; a draft is otherwise only removed when the user discards it.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

import redis

from backend.errors import JournalGone, NotFoundError, ValidationError
from backend.graph.schema import JOURNALS_KEY
from backend.jobs.keys import EVENTS
from backend.models import Journal, first_line

PREFIX = "charlie:drafts:"
PREVIEW_WORDS = 12


_clock = threading.Lock()
_last_saved_at = 0
TIE_WINDOW_MS = 1000
"""How far behind this process's previous save a new stamp may be and still count as a tie."""


def _next_saved_at() -> int:
    """Now in ms; after this process's previous draft save if that was in the same ms.

    Two saves within one millisecond would otherwise tie and "newest first" would be a coin
    toss between them. A clock that stepped back further than TIE_WINDOW_MS is believed.
    """
    global _last_saved_at
    now = int(time.time() * 1000)
    with _clock:
        if _last_saved_at - TIE_WINDOW_MS < now <= _last_saved_at:
            now = _last_saved_at + 1
        _last_saved_at = now
        return now


def drafts_key(journal_id: str) -> str:
    return f"{PREFIX}{journal_id}"


def new_draft_id() -> str:
    """A fresh draft id for one editor session: ``d`` and 12 hex digits."""
    return "d" + secrets.token_hex(6)


@dataclass(frozen=True)
class Draft:
    """The text of one editor session that is not saved as an entry (yet)."""

    id: str
    journal_id: str
    entry_id: str | None
    """The entry being edited; None for a new entry."""
    title: str
    body: str
    when: str
    """The When field as typed (it may not parse yet)."""
    base_revision: int
    """The entry's revision when the edit began (0 for a new entry)."""
    saved_at: int
    """When this draft was last written, in ms since the epoch."""
    tags: str | None = None
    """The editor's Tags field as typed; None for a draft from before the field (or from
    something without it), which leaves an edited entry's tags as they are."""
    journal: str = ""
    """The journal's name (filled in when read, so a rename shows)."""

    @property
    def words(self) -> int:
        return len(f"{self.title} {self.body}".split())

    @property
    def saved(self) -> datetime:
        return datetime.fromtimestamp(self.saved_at / 1000, UTC)

    @property
    def preview(self) -> str:
        """The first words, for lists."""
        words = (self.title + " " + first_line(self.body)).split()
        text = " ".join(words[:PREVIEW_WORDS])
        return text + (" …" if len(words) > PREVIEW_WORDS else "")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Draft:
        data = json.loads(raw)
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


class Drafts:
    """The drafts of every journal on one broker."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def save(
        self,
        journal: Journal,
        draft_id: str,
        *,
        entry_id: str | None,
        title: str,
        body: str,
        when: str = "",
        base_revision: int = 0,
        tags: str | None = None,
    ) -> Draft:
        """Write (or overwrite) this session's draft; when this returns it is on disk."""
        if not draft_id or not draft_id.isalnum() or len(draft_id) > 64:
            raise ValidationError(f"{draft_id!r} is not a draft id.")
        draft = Draft(
            journal=journal.name,
            id=draft_id,
            journal_id=journal.id,
            entry_id=entry_id,
            title=title,
            body=body,
            when=when,
            base_revision=base_revision,
            saved_at=_next_saved_at(),
            tags=tags,
        )
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    # A draft of a deleted journal would be kept where nothing shows it.
                    pipe.watch(JOURNALS_KEY)
                    if not pipe.hexists(JOURNALS_KEY, journal.id):
                        pipe.unwatch()
                        raise JournalGone(journal.name)
                    pipe.multi()
                    pipe.hset(drafts_key(journal.id), draft_id, draft.to_json())
                    pipe.publish(EVENTS, _event(journal.id, draft_id, "saved"))
                    pipe.execute()
                    return draft
                except redis.WatchError:
                    continue  # A journal was created, renamed or deleted: look again.

    def forget(self, pipe: redis.client.Pipeline, journal: Journal, draft_id: str) -> None:
        """Queue the draft's removal into a transaction (the save that replaces it)."""
        pipe.hdel(drafts_key(journal.id), draft_id)
        pipe.publish(EVENTS, _event(journal.id, draft_id, "removed"))

    def discard(self, journal: Journal, draft_id: str) -> bool:
        """Throw a draft away on purpose. True if there was one."""
        with self.client.pipeline(transaction=True) as pipe:
            self.forget(pipe, journal, draft_id)
            removed, _ = pipe.execute()
        return bool(removed)

    def get(self, journal: Journal, draft_id: str) -> Draft:
        raw = self.client.hget(drafts_key(journal.id), draft_id)
        if raw is None:
            raise NotFoundError(f"There is no draft {draft_id} in {journal.name!r}.")
        return replace(Draft.from_json(raw), journal=journal.name)

    def of_journal(self, journal: Journal) -> list[Draft]:
        """The journal's drafts, newest first."""
        raw = self.client.hvals(drafts_key(journal.id))
        drafts = (replace(Draft.from_json(r), journal=journal.name) for r in raw)
        return sorted(drafts, key=lambda d: -d.saved_at)


def _event(journal_id: str, draft_id: str, action: str) -> str:
    return json.dumps(
        {"event": "draft", "journal": journal_id, "draft": draft_id, "action": action}
    )
