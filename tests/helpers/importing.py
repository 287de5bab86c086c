"""Helpers shared by the importer tests (this module holds no tests of its own)."""

from __future__ import annotations

from backend.models import Entry
from backend.root import Charlie


def all_entries(api: Charlie, journal: str | None = None) -> list[Entry]:
    """Every entry of a journal (the default one unless named), newest first."""
    ids = [e.id for e in api.journal(journal).entries.list(limit=100_000).entries]
    return [api.journal(journal).entries.get(i) for i in ids]


def queued_jobs(api: Charlie) -> int:
    """How many enrichment jobs wait in the queue."""
    return api.queue.job_counts()["queued"]
