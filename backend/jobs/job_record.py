"""A job record as stored, read whole for screens and the CLI (see backend/jobs/records.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.jobs.records import Claim

INTERACTIVE, BACKLOG = "interactive", "backlog"
"""A job's priority class: interactive jobs (saves, edits) run before the backlog."""


def _s(value: Any) -> str:
    """Redis replies are bytes here; decode one to text."""
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass
class JobRecord:
    """A job record as stored, for screens and the CLI."""

    id: str
    state: str
    kind: str = "enrich"
    journal_id: str = ""
    entry_id: str = ""
    content_hash: str = ""
    priority: str = INTERACTIVE
    attempts: int = 0
    max_attempts: int = 0
    crashes: int = 0
    worker: str = ""
    token: str = ""
    lease_expires: int = 0
    started_at: int = 0
    updated_at: int = 0
    run_after: int = 0
    last_error: str = ""
    last_traceback: str = ""
    last_failure: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_claim(self) -> Claim:
        """The claim its current holder has (for the owner, once that worker is dead)."""
        from backend.jobs.records import Claim

        return Claim(
            job_id=self.id,
            kind=self.kind,
            journal_id=self.journal_id,
            entry_id=self.entry_id,
            content_hash=self.content_hash,
            attempt=self.attempts,
            token=self.token,
        )

    @classmethod
    def from_hash(cls, raw: dict[Any, Any], history: list[Any]) -> JobRecord:
        data = {_s(k): _s(v) for k, v in raw.items()}
        ints = (
            "attempts",
            "max_attempts",
            "crashes",
            "lease_expires",
            "started_at",
            "updated_at",
            "run_after",
        )
        known = cls.__dataclass_fields__
        kwargs: dict[str, Any] = {
            k: (int(float(v)) if k in ints else v) for k, v in data.items() if k in known
        }
        kwargs["history"] = [json.loads(h) for h in history]
        return cls(**kwargs)
