"""What the database's change events say, merged so that a burst costs the UI one look.

Every write by any process (this app, another window, the CLI, an import, the worker)
publishes an event on one pub/sub channel. The app's event thread notes each one in a
:class:`ChangeFeed`; the UI takes everything noted so far in one :class:`Changes` and
tells the screens, which decide from it whether what they show is out of date. The
feed posts to the UI only when it goes from empty to not empty, so there is at most one
message waiting at any time, however many events arrive (an import of 10,000 entries
queues 10,000 jobs), and nothing waits behind a timer.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DATA_EVENTS = {"entry", "entries", "graph", "draft", "restored"}
"""Events about entries, the graph or drafts; every other event is about jobs."""


@dataclass
class Changes:
    """Everything that changed since the screens last heard."""

    entries: dict[str, str] = field(default_factory=dict)
    """Entry id -> the last thing done to it: ``added``, ``edited`` or ``deleted``."""
    journals: set[str] = field(default_factory=set)
    """Ids of journals whose entries (or graph) changed, including imported batches."""
    drafts: set[str] = field(default_factory=set)
    """Ids of journals whose drafts changed."""
    enriched: list[str] = field(default_factory=list)
    """Entries whose enrichment was committed, in order, each once."""
    jobs: bool = False
    """Background work moved (the queue should be read again)."""
    everything: bool = False
    """All data was replaced (a restore): every view is out of date."""

    def note(self, event: Mapping[str, Any]) -> None:
        """Merge one event in (an empty one, the backend's idle tick, changes nothing)."""
        if not event:
            return
        kind, journal = event.get("event"), event.get("journal")
        if kind not in DATA_EVENTS:
            self.jobs = True
            entry_id = enriched_entry(event)
            if entry_id is not None and entry_id not in self.enriched:
                self.enriched.append(entry_id)
            return
        if kind == "restored":
            self.everything = self.jobs = True
        elif kind == "draft" and isinstance(journal, str):
            self.drafts.add(journal)
        elif isinstance(journal, str):
            self.journals.add(journal)
            entry_id, action = event.get("entry"), event.get("action")
            if isinstance(entry_id, str) and isinstance(action, str):
                self.entries[entry_id] = action
            if kind == "graph":  # An import's last step: entities and drafts.
                self.drafts.add(journal)

    @property
    def data(self) -> bool:
        """Whether entries, the graph or drafts changed (screens need to hear it)."""
        return bool(self.everything or self.journals or self.drafts)

    def entries_changed(self, journal_id: str | None) -> bool:
        """Whether the entries of this journal changed (None: not known, so any)."""
        if self.everything:
            return True
        return bool(self.journals) if journal_id is None else journal_id in self.journals

    def drafts_changed(self, journal_id: str | None) -> bool:
        """Whether the drafts of this journal changed (None: not known, so any)."""
        if self.everything:
            return True
        return bool(self.drafts) if journal_id is None else journal_id in self.drafts


def enriched_entry(event: Mapping[str, Any]) -> str | None:
    """The entry id of a job event that says an enrichment was committed, else None.

    Enrichment job ids are ``enrich:<journal id>:<entry id>`` and entry ids are unique
    across journals, so the last part is enough.
    """
    job = event.get("job")
    if event.get("event") != "done" or not isinstance(job, str) or not job.startswith("enrich:"):
        return None
    return job.rsplit(":", 1)[-1] or None


class ChangeFeed:
    """Collects events on the event thread until the UI takes them (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Changes | None = None

    def add(self, event: Mapping[str, Any]) -> bool:
        """Note an event. True when the UI has to be told: nothing was waiting before,
        so no message is on its way yet (otherwise that message's taker gets this too)."""
        if not event:
            return False
        with self._lock:
            first = self._pending is None
            if self._pending is None:
                self._pending = Changes()
            self._pending.note(event)
        return first

    def take(self) -> Changes:
        """Everything noted since the last take (empty if nothing was)."""
        with self._lock:
            changes, self._pending = self._pending or Changes(), None
        return changes
