"""What the background-work screens show, fetched in one go from a thread worker.

Everything here calls the backend and so runs only inside thread workers; nothing
touches Textual. Job records name their entry by ids; :class:`EntryTitles` turns those
into the journal name and entry title the user knows, and caches them, because the
queue screen refreshes every two seconds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from backend.errors import NotFoundError
from backend.services.queue import JobRecord

if TYPE_CHECKING:
    from backend.root import Charlie

QUEUED_SHOWN = 10
"""How many queued jobs the queue screen lists (the count covers all of them)."""
LISTED = 200
"""The most running, retrying or dead jobs a screen lists."""


@dataclass
class QueueStatus:
    """The state of background work in one reading: what the indicator summarises."""

    counts: dict[str, int] = field(default_factory=dict)
    """Jobs per state: queued, running, retry_wait, dead, done."""
    paused: dict[str, str] = field(default_factory=dict)
    """Why the queue is paused, by cause (empty while it runs)."""
    inference: bool = True
    """Whether background inference is switched on."""
    workers: list[dict[str, Any]] = field(default_factory=list)
    """Health records of the live workers."""
    supervisor: dict[str, Any] | None = None
    """The owner's supervisor status, None when no owner supervises a worker."""
    breaker: dict[str, str] = field(default_factory=dict)
    """The extractor breaker (reason, failures, retry_at) while it is open."""


def load_status(api: Charlie) -> QueueStatus:
    """Read the queue's state (a handful of small reads)."""
    queue = api.queue
    return QueueStatus(
        counts=queue.job_counts(),
        paused=queue.paused_reasons(),
        inference=queue.inference_enabled(),
        workers=queue.workers(),
        supervisor=queue.supervisor(),
        breaker=queue.breaker(),
    )


@dataclass(frozen=True)
class JobLabel:
    """Which entry a job is for, in the user's words."""

    journal: str
    """The journal's name."""
    title: str
    """The entry's title (or first line); a placeholder if the entry is gone."""


@dataclass
class JobRow:
    """A job record with its label."""

    record: JobRecord
    label: JobLabel


class EntryTitles:
    """Labels jobs with journal names and entry titles, cached by entry content.

    Safe to share between thread workers. Journal names are read again for every
    batch (renames happen); titles are cached by entry id and content hash, so an
    edited entry is looked up again.
    """

    LIMIT = 5000
    """Cached titles before the cache starts over."""

    def __init__(self, api: Charlie) -> None:
        self.api = api
        self._titles: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def label(self, records: list[JobRecord]) -> list[JobRow]:
        """Label every record (journal names are read once per call)."""
        if not records:
            return []
        journals = {journal.id: journal.name for journal in self.api.journals.list()}
        return [JobRow(record, self._label(record, journals)) for record in records]

    def _label(self, record: JobRecord, journals: dict[str, str]) -> JobLabel:
        journal = journals.get(record.journal_id)
        if journal is None:
            return JobLabel("?", "(entry in a journal that is gone)")
        key = (record.entry_id, record.content_hash)
        with self._lock:
            title = self._titles.get(key)
        if title is None:
            try:
                entry = self.api.journal(journal).entries.get(record.entry_id)
            except NotFoundError:
                return JobLabel(journal, "(deleted entry)")
            title = entry.display_title or "(untitled)"
            with self._lock:
                if len(self._titles) >= self.LIMIT:
                    self._titles.clear()
                self._titles[key] = title
        return JobLabel(journal, title)


@dataclass
class QueueDetails:
    """The job lists of the queue screen."""

    running: list[JobRow]
    queued: list[JobRow]
    retrying: list[JobRow]


def load_queue(api: Charlie, titles: EntryTitles) -> QueueDetails:
    """Running jobs, the first queued ones in the order they will run, and retries."""
    queue = api.queue
    return QueueDetails(
        running=titles.label(queue.list_jobs("running", LISTED)),
        queued=titles.label(queue.list_jobs("queued", QUEUED_SHOWN)),
        retrying=titles.label(queue.list_jobs("retry_wait", LISTED)),
    )


def load_dead(api: Charlie, titles: EntryTitles) -> list[JobRow]:
    """Dead jobs, most recent first."""
    return titles.label(api.queue.list_jobs("dead", LISTED))


def load_job(api: Charlie, titles: EntryTitles, job_id: str) -> JobRow:
    """One job with its history (NotFoundError once it is gone)."""
    return titles.label([api.queue.get_job(job_id)])[0]
