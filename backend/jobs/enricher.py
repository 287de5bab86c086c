"""The body of a worker's enrichment jobs: read the entry, extract, plan, commit.

A worker holds the job it runs and, when its extractor is quick (the rules extractor,
which needs a millisecond where a model needs seconds), also the next one. Each commit
(backend/jobs/commit.py) reads in its check what the plan needs and the next entry,
sends the writes, and while the server applies them the worker extracts the next entry
and plans it as if the commit were applied: the journal one version on, with this
commit's new entities in the worker's copy (backend/graph/known.py). When that next
job's turn comes, its check reads the journal's state again under the WATCH; the plan
is used only if that state is exactly the one it was made on, and made again otherwise.
So a plan is never committed on a stale view, as with the plain loop, and the worker
and the server work at the same time instead of in turns.

With a slow extractor nothing is held ahead: a job claimed early would wait behind a
model call, and a just-saved entry behind two.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field

import redis

from backend.graph.enrich import (
    EntryRead,
    Plan,
    entry_from,
    entry_read_commands,
    queue_enrichment,
    read_entry,
    read_entry_state,
)
from backend.graph.extractor import Extraction, Extractor, ExtractorUnavailable, entry_text
from backend.graph.known import KnownEntities
from backend.graph.planning import (
    JournalState,
    entities_at,
    journal_state_commands,
    journal_state_from,
    plan_entry,
)
from backend.graph.schema import blocked_key, version_key
from backend.jobs.breaker import close_breaker, open_breaker
from backend.jobs.commit import PLAN_ATTEMPTS, Commit
from backend.jobs.keys import BREAKER_KEY
from backend.jobs.records import Claim, Jobs, NextClaim, Write

log = logging.getLogger("charlie.worker")


@dataclass
class Held:
    """A job this worker holds, and what it knows of it so far."""

    claim: Claim
    read: EntryRead | None = None
    """The entry as read: its text, and what else a plan needs at ``read.version``."""
    gone: bool = False
    """Deleted or edited since it was queued: the commit only records that."""
    extraction: Extraction | None = None
    failure: Exception | None = None
    """What the extractor raised for it, handled at its turn (it may have run ahead)."""
    trace: str = ""
    plan: Plan | None = None
    planned_on: JournalState | None = None
    """The journal's state the plan was made on: it is committed only on that state."""

    def file_read(self, read: EntryRead | None) -> None:
        self.read = read
        self.gone = read is None or read.content_hash != self.claim.content_hash


@dataclass
class Enricher:
    """The jobs one worker holds and runs (see the module's doc)."""

    jobs: Jobs
    client: redis.Redis
    extractor: Extractor
    worker_id: str
    lease_ms: int
    fuzzy_threshold: float = 90.0
    max_entities: int = 50
    known: KnownEntities = field(default_factory=KnownEntities)
    """This worker's copy of each journal's entities (plans skip reading them all)."""
    current: Held | None = None
    ahead: Held | None = None
    """With a quick extractor: the next job, claimed by the last commit."""
    stopping: threading.Event = field(default_factory=threading.Event)
    _claims: threading.Lock = field(default_factory=threading.Lock)

    @property
    def depth(self) -> int:
        """How many jobs are held beyond the one running."""
        return 1 if self.extractor.quick else 0

    def claim_first(self) -> bool:
        """Claim jobs when none is held (later ones come with each commit); False if
        there is none to take."""
        with self.claiming():
            for _ in range(1 + self.depth):
                claim = self.jobs.claim(self.worker_id, lease_ms=self.lease_ms)
                if claim is None:
                    break
                # Held at once: if the next claim fails, this one is still renewed.
                if self.current is None:
                    self.current = Held(claim)
                else:
                    self.ahead = Held(claim)
        return self.current is not None

    def run(self) -> bool:
        """Run the current job; returns whether to keep draining (False: the extractor
        is unavailable, or the database is not answering: every held job was given back).

        Every way out ends the attempt: an exception anywhere in the job (not only in
        the extractor) fails it with its traceback, and a database error gives the job
        back uncharged. None may escape to Huey, which would leave the job running with
        no heartbeat until the owner killed this healthy worker as hung.
        """
        held = self.current
        assert held is not None
        try:
            return self._run(held)
        except redis.RedisError as exc:
            log.warning("database error in job %s: %s; giving it back", held.claim.job_id, exc)
            self.give_back(f"database error: {exc}")
            return False  # The sweeper wakes us again once the database answers.
        except Exception as exc:  # noqa: BLE001 - recorded on the job, with its traceback
            log.exception("job %s failed outside the extractor", held.claim.job_id)
            self._fail_quietly(held.claim, f"{type(exc).__name__}: {exc}", traceback.format_exc())
            with self.claiming():
                if self.current is held:  # Not if it failed after its commit moved on.
                    self._advance([])
            return True

    def held(self) -> list[Claim]:
        """The jobs this worker holds now."""
        return [h.claim for h in (self.current, self.ahead) if h is not None]

    @contextlib.contextmanager
    def claiming(self) -> Iterator[None]:
        """Held while jobs are claimed and filed under current or ahead, so a SIGTERM
        (:meth:`give_back_all`) finds every job this worker holds, even those a commit
        on its way claims."""
        with self._claims:
            if self.stopping.is_set():
                # Stopped: the signal handler gives our jobs back and ends the process.
                self._claims.release()
                threading.Event().wait()
            yield

    def give_back_all(self, reason: str) -> None:
        """Stopping on purpose (SIGTERM): every job held goes back uncharged, and none
        is claimed from now on. Waits for a commit on its way (a moment: never a model
        call) so the jobs it claims are given back too."""
        self.stopping.set()
        # Well within the owner's grace before it kills us (then the jobs are reaped).
        if not self._claims.acquire(timeout=2.0):
            log.warning("a commit did not return in time; giving back the jobs known")
        for claim in self.held():
            with contextlib.suppress(redis.RedisError):
                self.jobs.release(claim, reason)

    def give_back(self, reason: str) -> None:
        """Release every job held, uncharged (draining stops)."""
        for claim in self.held():
            self._give_back(claim, reason)
        with self.claiming():
            self.current = self.ahead = None

    # -- one job -----------------------------------------------------------------------

    def _run(self, held: Held) -> bool:
        claim = held.claim
        if held.read is None and not held.gone:
            held.file_read(read_entry(self.client, claim.journal_id, claim.entry_id))
        if not held.gone and held.extraction is None and held.failure is None:
            self._extract(held)
        if held.failure is not None:
            return self._extraction_failed(held)
        return self._commit(held)

    def _extract(self, held: Held) -> None:
        assert held.read is not None
        try:
            self.extractor.load()
            held.extraction = self.extractor.extract(entry_text(held.read.title, held.read.body))
        except Exception as exc:  # noqa: BLE001 - handled at the job's turn (_extraction_failed)
            held.failure, held.trace = exc, traceback.format_exc()

    def _extraction_failed(self, held: Held) -> bool:
        exc = held.failure
        if isinstance(exc, ExtractorUnavailable):
            self.jobs.release(held.claim, f"extractor unavailable: {exc.reason}")
            with self.claiming():
                self.current = None
            open_breaker(self.client, self.jobs, exc.reason)
            self.give_back(f"extractor unavailable: {exc.reason}")
            return False
        self.jobs.fail(held.claim, f"{type(exc).__name__}: {exc}", held.trace)
        with self.claiming():
            self._advance([])
        return True

    def _commit(self, held: Held) -> bool:
        """Commit the job's result (or, if its entry is gone, that there was nothing to
        do), claiming the next jobs in the same transaction."""
        journal_id = held.claim.journal_id
        watch = () if held.gone else (version_key(journal_id), blocked_key(journal_id))
        for _ in range(PLAN_ATTEMPTS):
            with Commit(self.client, held.claim, watch) as commit:
                ahead = self.ahead
                reads = [] if held.gone else journal_state_commands(journal_id)
                read_ahead = ahead is not None and ahead.read is None and not ahead.gone
                if ahead is not None and read_ahead:
                    reads += entry_read_commands(ahead.claim.journal_id, ahead.claim.entry_id)
                replies = commit.check(reads)
                if replies is None:  # No longer ours (reaped, superseded, cancelled).
                    with self.claiming():
                        self._advance([])
                    if not held.gone:
                        close_breaker(self.client)  # The extractor worked all the same.
                    return True
                if ahead is not None and read_ahead:
                    version, reply = replies[-2:]
                    ahead.file_read(
                        entry_from(ahead.claim.journal_id, ahead.claim.entry_id, version, reply)
                    )
                state = None if held.gone else journal_state_from(*replies[:3])
                write = None if state is None else self._write(held, state)
                with self.claiming():
                    commit.send(write, self._next(), 1 + self.depth - (ahead is not None))
                    speculated = state is not None and self._work_ahead(held, state)
                    applied, claims = commit.receive()
                    if applied:
                        self._advance(claims)
                if applied:
                    if state is not None and not speculated:
                        self.known.committed(journal_id)
                    return True
                # A watched key changed: the state is read again and the plan checked.
                if speculated:
                    self._undo_speculation(journal_id)
        self._give_back(held.claim, "its journal kept changing while it was planned")
        with self.claiming():
            self._advance([])
        close_breaker(self.client)  # The extractor worked all the same.
        return True

    def _write(self, held: Held, state: JournalState) -> Write:
        plan = self._plan_for(held, state)

        def write(pipe: redis.client.Pipeline) -> None:
            # The extractor worked: its breaker closes with the commit (no round trip).
            pipe.delete(BREAKER_KEY)
            queue_enrichment(pipe, held.claim.journal_id, plan)

        return write

    def _plan_for(self, held: Held, state: JournalState) -> Plan:
        """The job's plan on ``state`` (read under the commit's WATCH): the one made
        ahead if it was made on exactly this state, else made now."""
        if held.plan is not None and held.planned_on == state:
            return held.plan
        read, extraction = held.read, held.extraction
        assert read is not None and extraction is not None
        entry = read
        if read.version != state.version:
            claim = held.claim
            entry = read_entry_state(
                self.client, claim.journal_id, claim.entry_id, claim.content_hash, state.version
            )
            held.read = dataclasses.replace(entry, title=read.title, body=read.body)
        held.plan = self._plan(held, state, entry, extraction)
        held.planned_on = state
        return held.plan

    def _plan(
        self, held: Held, state: JournalState, entry: EntryRead, extraction: Extraction
    ) -> Plan:
        index = entities_at(self.client, held.claim.journal_id, state.version, self.known)
        assert held.read is not None
        return plan_entry(
            state,
            entry,
            index,
            entry_text(held.read.title, held.read.body),
            extraction,
            threshold=self.fuzzy_threshold,
            max_entities=self.max_entities,
            known=self.known,
        )

    # -- the next job, while the server writes this one --------------------------------

    def _work_ahead(self, held: Held, state: JournalState) -> bool:
        """Extract the next job's entry and, in the same journal, plan it as if this
        commit were applied. True if the worker's copy of the entities was moved on
        for that (undone by _undo_speculation if the commit is not applied)."""
        ahead = self.ahead
        if ahead is None or ahead.gone or ahead.read is None:
            return False
        if ahead.extraction is None and ahead.failure is None:
            self._extract(ahead)
        journal_id = held.claim.journal_id
        if (
            ahead.extraction is None
            or ahead.claim.journal_id != journal_id
            or ahead.read.version != state.version
        ):
            return False
        # Applied, this commit raises the version by one and adds what its plan adds.
        self.known.committed(journal_id)
        after = dataclasses.replace(state, version=state.version + 1)
        ahead.read = dataclasses.replace(ahead.read, version=after.version)
        if self.known.index(journal_id, after.version) is not None:
            try:
                ahead.plan = self._plan(ahead, after, ahead.read, ahead.extraction)
                ahead.planned_on = after
            except Exception:  # noqa: BLE001 - not lost: planned again at its turn, where it fails
                log.debug("planning job %s ahead failed", ahead.claim.job_id, exc_info=True)
                ahead.plan = ahead.planned_on = None
        return True

    def _undo_speculation(self, journal_id: str) -> None:
        """The commit planned ahead of was not applied: the copy of the entities and the
        next job's read are of a state that never was."""
        self.known.forget(journal_id)
        ahead = self.ahead
        if ahead is not None:
            ahead.plan = ahead.planned_on = None
            if ahead.read is not None:
                ahead.read = dataclasses.replace(ahead.read, version=-1)

    # -- claims --------------------------------------------------------------------------

    def _advance(self, claims: list[Claim]) -> None:
        """The current job is over: the next one held becomes current, then ``claims``
        (call under :meth:`claiming`)."""
        queue = ([self.ahead] if self.ahead is not None else []) + [Held(c) for c in claims]
        self.current = queue[0] if queue else None
        self.ahead = queue[1] if len(queue) > 1 else None
        if len(queue) > 2:  # More than asked for: never, but not to be lost if it were.
            for extra in queue[2:]:
                self._give_back(extra.claim, "claimed beyond what the worker holds")

    def _next(self) -> NextClaim:
        """How a commit claims this worker's next job: not while a probe is due, nor,
        with no model loaded, while the user types (as drain checks before a claim)."""
        return NextClaim(self.worker_id, self.lease_ms, "p" if self.extractor.loaded else "pe")

    def _give_back(self, claim: Claim, reason: str) -> None:
        """Release the job uncharged, trying for a while (a restarting server answers
        BUSY LOADING for a moment); if it never answers, the owner reaps it."""
        deadline = time.monotonic() + self.lease_ms / 2000
        while True:
            try:
                self.jobs.release(claim, reason)
                return
            except redis.RedisError as exc:
                if time.monotonic() >= deadline:
                    log.warning("could not give job %s back: %s", claim.job_id, exc)
                    return
                time.sleep(0.2)

    def _fail_quietly(self, claim: Claim, error: str, trace: str) -> None:
        try:
            self.jobs.fail(claim, error, trace)
        except redis.RedisError as exc:
            log.warning("could not record the failure of job %s: %s", claim.job_id, exc)
            self._give_back(claim, f"database error: {exc}")
