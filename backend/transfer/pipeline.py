"""The one import pipeline: everything an import does to the database, whatever it reads.

A ``Source`` turns what the user gives into entries: ``backend.transfer.importer_source``
for the importer plugins (Day One, jrnl, files), ``backend.transfer.json_import`` for
Charlie's own JSON export. A source reads and checks all of it before ``run_pipeline`` is
called, so a source that cannot be read leaves nothing behind, not even a journal. Then,
as one step that rides through an owner change (``rejoining``: the step runs again, so it
must be, and is, safe to repeat):

1. Targeting (``find_target``): each journal the source imports into is found (by the
   id an export gives, else by name; the default journal when none is named) or marked
   to be created, which happens only once something is written.
2. Dedupe (``Presence``): what the journal holds is read once; the source counts what
   is there already as skipped and picks what is new.
3. A dry run stops here: the summary says what would be added, and nothing is written.
4. If anything is to be written, a backup is taken (reason "import"), then the journals
   marked are created, then the source writes: entries through ``EntryWriter``, in
   batches (``Batch``) that each commit in one MULTI with the entries' enrichment jobs
   (backlog priority, behind anything the user writes) and one change event, so a batch
   is all-or-nothing and an import killed half-way is finished by running it again. A
   source with more than entries (an export's entities and links) writes that in the
   same batches, after its entries.

A Redis error the rejoin cannot cure becomes a BrokerError saying the import can be run
again.
"""

from __future__ import annotations

import hashlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis

from backend.broker.ownership import rejoining
from backend.errors import BrokerError, ValidationError
from backend.graph.cypher import Graph
from backend.graph.journals import add_journal
from backend.graph.schema import create_episodes, entries_event
from backend.jobs.keys import EVENTS
from backend.jobs.records import BACKLOG
from backend.models import Journal
from backend.shared import Backend
from backend.transfer.backup import snapshot

BATCH_ITEMS = 200
"""A batch (one MULTI, one query) holds at most this many entries, entities or links."""


@dataclass(kw_only=True)
class Tally:
    """What an import did (or, for a dry run, would do) to one journal's entries."""

    added: int = 0
    skipped: int = 0
    """Entries already present in the journal (or twice in the source)."""
    queued: int = 0
    """New entries queued for enrichment."""


@dataclass(kw_only=True)
class Summary:
    """What an import did (or, for a dry run, would do): what every source reports."""

    source: str
    """The path imported, as given (``~`` expanded)."""
    dry_run: bool
    backup: str = ""
    """The backup taken before writing (a path), "" when none was taken."""


# -- targeting ------------------------------------------------------------------------


@dataclass
class Target:
    """A journal an import writes into: found, or created once something is written."""

    name: str
    journal: Journal | None
    """The journal, or None while it does not exist yet."""
    journal_id: str | None = None
    """The id it is looked up by and created with (an export's own), None for any."""
    created_at: int | None = None
    """When a journal created with ``journal_id`` was first created (ms)."""
    created: bool = False
    """``ensure`` created it."""

    def ensure(self, backend: Backend) -> Journal:
        """The journal, created now if it was not there (then ``created`` is set). One
        not there is looked for again first, so what an import writes goes where it went
        when journals were looked up as they were written (another part of the same
        import, or another process, may have created it meanwhile)."""
        if self.journal is not None:
            return self.journal
        found = _lookup(backend, self.name, self.journal_id)
        if found is not None:
            self.journal, self.name = found, found.name
            return found
        if self.journal_id is None:
            self.journal = backend.store.ensure_journal(self.name)
        else:
            created = self.created_at or int(time.time() * 1000)
            journal = add_journal(backend.broker.client, self.journal_id, self.name, created)
            if journal is None:
                raise ValidationError(f"A journal called {self.name!r} appeared meanwhile.")
            self.journal = journal
        self.name, self.created = self.journal.name, True
        return self.journal


def _lookup(backend: Backend, name: str, journal_id: str | None) -> Journal | None:
    if journal_id is not None:
        for found in backend.store.list_journals():
            if found.id == journal_id:
                return found
    return backend.store.find_journal(name)


def _default_journal(backend: Backend) -> Journal:
    # As the app's own lookup of it does, this rides through an owner change once (the
    # import as a whole rides through one more).
    return rejoining(backend.broker, backend.journal)


def find_target(
    backend: Backend,
    name: str | None,
    *,
    journal_id: str | None = None,
    created_at: int | None = None,
) -> Target:
    """The journal to import into: with ``journal_id`` (an export's), the journal with
    that id, else the one called ``name``, else a new one with that id; without, the
    default journal for no name (created on first use), the one called ``name``, else
    a new one (the default journal when ``name`` is the default journal's name)."""
    if name is None:
        default = _default_journal(backend)
        return Target(default.name, default)
    found = _lookup(backend, name, journal_id)
    if found is not None:
        return Target(found.name, found)
    default_name = backend.settings.default_journal.casefold()
    if journal_id is None and name.strip().casefold() == default_name:
        default = _default_journal(backend)
        return Target(default.name, default)
    return Target(name, None, journal_id, created_at)


# -- dedupe ---------------------------------------------------------------------------


def content_key(chash: str, entry_at: int) -> bytes:
    """A digest of an entry's content hash and time: what tells an entry already there
    with the same title, text and time, whatever its id (16 bytes, so that an import
    holding one for every entry it found stays small)."""
    return hashlib.blake2b(f"{chash}\x00{entry_at}".encode(), digest_size=16).digest()


class Presence:
    """What a journal holds already, read once, to tell which entries found are new."""

    def __init__(self, graph: Graph | None, *, contents: bool = True) -> None:
        self.ids: set[str] = set()
        """The journal's entry ids."""
        self.contents: set[bytes] = set()
        """The ``content_key`` of each of its entries (with ``contents``)."""
        self.claimed: set[str] = set()
        if graph is None:
            return
        fields = "e.id, e.content_hash, e.entry_at" if contents else "e.id"
        for row in graph.read(f"MATCH (e:Episode) RETURN {fields}"):
            self.ids.add(row[0])
            if contents:
                self.contents.add(content_key(row[1], int(row[2])))

    def has(self, *ids: str) -> bool:
        """Whether the journal holds an entry with any of ``ids``."""
        return any(i in self.ids for i in ids if i)

    def claim(self, name: str, *, ids: tuple[str, ...] = (), content: bytes) -> bool:
        """Whether an entry is new: not in the journal by any of ``ids`` nor by its
        ``content`` (``content_key``), and ``name`` (its id in the source) not claimed
        earlier in this import. A new one is claimed."""
        if self.has(*ids) or content in self.contents or name in self.claimed:
            return False
        self.claimed.add(name)
        self.contents.add(content)
        return True


# -- batches --------------------------------------------------------------------------


class Batch[T]:
    """Items gathered to be written together: at most ``BATCH_ITEMS`` of them and, past
    its first, no more than ``max_cost`` (what the caller counts: characters, bytes)."""

    def __init__(self, write: Callable[[list[T]], None], max_cost: int) -> None:
        self.write = write
        self.max_cost = max_cost
        self.items: list[T] = []
        self.cost = 0

    def add(self, item: T, cost: int) -> None:
        """Gather ``item``; the items before it are written first if it would take the
        batch past ``max_cost``, and the batch once it is full."""
        if self.items and self.cost + cost > self.max_cost:
            self.flush()
        self.items.append(item)
        self.cost += cost
        if len(self.items) >= BATCH_ITEMS:
            self.flush()

    def flush(self) -> None:
        """Write what is gathered (nothing if nothing is)."""
        items, self.items, self.cost = self.items, [], 0
        if items:
            self.write(items)


class EntryWriter[R]:
    """Writes new entries into one journal, a batch at a time: each batch is one MULTI
    holding the entries (``create_episodes``: an entry whose id is there already is
    left as it is), the enrichment jobs of those to ``queue`` (backlog) and one change
    event; then a wake-up if it queued any (a lost one is harmless: the owner's sweeper
    re-sends it). ``node(row, now)`` gives a row's node properties, ``now`` being the
    batch's time (ms)."""

    def __init__(
        self,
        backend: Backend,
        journal: Journal,
        tally: Tally,
        *,
        node: Callable[[R, int], dict[str, Any]],
        cost: Callable[[R], int],
        max_cost: int,
        queue: Callable[[R], bool] = lambda row: True,
        added_ids: list[str] | None = None,
        written: Callable[[], None] | None = None,
    ) -> None:
        self.backend = backend
        self.journal = journal
        self.graph = backend.store.graph(journal)
        self.tally = tally
        self.node = node
        self.cost = cost
        self.queue = queue
        self.added_ids = added_ids
        """Each entry written has its id appended here, if given."""
        self.written = written
        """Called after each batch (progress)."""
        self.batch: Batch[R] = Batch(self._write, max_cost)

    def add(self, row: R) -> None:
        """Write ``row`` with the rows of its batch."""
        self.batch.add(row, self.cost(row))

    def flush(self) -> None:
        """Write the rows still gathered."""
        self.batch.flush()

    def _write(self, rows: list[R]) -> None:
        now = int(time.time() * 1000)
        nodes = [(self.node(row, now), self.queue(row)) for row in rows]
        jobs = [(props["id"], props["content_hash"]) for props, queued in nodes if queued]
        client = self.backend.broker.client
        with client.pipeline(transaction=True) as pipe:
            pipe.execute_command(*create_episodes(self.graph, [props for props, _ in nodes]))
            for entry_id, chash in jobs:
                self.backend.jobs.enqueue(
                    self.journal.id, entry_id, chash, priority=BACKLOG, pipe=pipe, now=now
                )
            pipe.publish(EVENTS, entries_event(self.journal.id, len(nodes)))
            pipe.execute()
        self.tally.added += len(nodes)
        self.tally.queued += len(jobs)
        if self.added_ids is not None:
            self.added_ids.extend(props["id"] for props, _ in nodes)
        if self.written is not None:
            self.written()


# -- the pipeline ---------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """A journal a source imports into, as it names it."""

    name: str | None
    """None: the default journal."""
    journal_id: str | None = None
    created_at: int | None = None


class Source[S: Summary](ABC):
    """What one import reads, read and checked through already, as the pipeline takes it."""

    again: str = "entries already written are skipped."
    """Why running the import again is safe (ends the message of a lost connection)."""
    by_content: bool = True
    """An entry whose title, text and time are in the journal already is there, whatever
    its id (``Presence.contents``). Not for an export, whose entries keep their ids."""

    @abstractmethod
    def start(self, dry_run: bool) -> S:
        """A fresh summary for one attempt (an owner change starts another)."""

    @abstractmethod
    def journals(self) -> list[Wanted]:
        """The journals this source imports into."""

    @abstractmethod
    def select(self, n: int, target: Target, presence: Presence, summary: S) -> int:
        """Pick the new entries for journal ``n`` (``presence`` is what its target holds),
        count the others in ``summary``, and, for a dry run, what would be added;
        returns how many are to be added."""

    def writes(self, adding: int) -> bool:
        """Whether, with ``adding`` entries to add, this import writes anything."""
        return adding > 0

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around the backup and the writing (an export checks its file is the one it
        checked, and keeps it open)."""
        yield

    @abstractmethod
    def write(self, backend: Backend, targets: list[Target], summary: S) -> None:
        """Write what ``select`` picked into the targets (each journal exists now)."""


def run_pipeline[S: Summary](backend: Backend, source: Source[S], *, dry_run: bool) -> S:
    """Import ``source`` (see the module docstring); with ``dry_run`` nothing is written."""

    def attempt() -> S:
        summary = source.start(dry_run)
        targets: list[Target] = []
        adding = 0
        for n, wanted in enumerate(source.journals()):
            target = find_target(
                backend, wanted.name, journal_id=wanted.journal_id, created_at=wanted.created_at
            )
            targets.append(target)
            graph = backend.store.graph(target.journal) if target.journal is not None else None
            presence = Presence(graph, contents=source.by_content)
            adding += source.select(n, target, presence, summary)
            del presence  # All of a journal's ids: not held while writing.
        if dry_run or not source.writes(adding):
            return summary
        with source.writing():
            summary.backup = str(snapshot(backend, reason="import"))
            for target in targets:
                target.ensure(backend)
            source.write(backend, targets, summary)
        return summary

    try:
        # Safe to run again after an owner change: what was written is skipped.
        return rejoining(backend.broker, attempt)
    except redis.RedisError as exc:
        raise BrokerError(
            f"Lost contact with the Charlie database during the import ({exc}). Run the "
            f"same import again: {source.again}"
        ) from exc
