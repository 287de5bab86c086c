"""Journals and entries in FalkorDB: one graph per journal, entries as Episode nodes.

Every entry write is one MULTI that also moves the entry's revision (its edit-conflict
guard), publishes its change event and carries whatever the caller queues with it (the
enrichment job, the draft it came from). The journal registry is ``journals``; key
names, fields and row conversions are ``schema``.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import redis

from backend.attachments import names_of
from backend.errors import JournalGone, NotFoundError, ValidationError
from backend.graph.cypher import Graph, rows_of
from backend.graph.folding import folded_field
from backend.graph.journals import add_journal, read_journals, rename_journal
from backend.graph.schema import (
    COUNT_DOWN,
    ENTRY_FIELDS,
    JOURNALS_KEY,
    SUMMARY_FIELDS,
    create_episodes,
    entry_event,
    entry_from_row,
    episode_properties,
    graph_key,
    parse_cursor,
    revisions_key,
    summary_from_row,
)
from backend.graph.words import word_count
from backend.jobs.keys import EVENTS
from backend.models import Entry, Journal, Page, content_hash, entry_tags, to_epoch_and_offset
from backend.validation import check_journal_name

# Queues extra commands into an entry write's MULTI: (pipe, entry_id, content_hash).
Also = Callable[[redis.client.Pipeline, str, str], None]
PRUNE_UNMENTIONED = "MATCH (n:Entity) WHERE NOT ()-[:MENTIONS]->(n) DETACH DELETE n"
FIRST_WINDOW = 8 * 86400
"""Seconds of entries a page query looks at first (see ``Store._newest``); after that,
half the window the journal's last page needed."""
MIN_WINDOW = 3600


class RevisionConflict(Exception):
    """The entry's revision is not the one the edit started from (or it is gone)."""

    def __init__(self, revision: int | None) -> None:
        super().__init__(f"the entry is at revision {revision}")
        self.revision = revision
        """The stored revision now; None when the entry no longer exists."""


def _now_millis() -> int:
    return int(time.time() * 1000)


def new_entry_id() -> str:
    """16 random hex digits; a short prefix is enough to name an entry on the CLI."""
    return secrets.token_hex(8)


class Store:
    """Journals (a Redis hash of id -> name) and their entries (graph nodes)."""

    def __init__(self, client: redis.Redis, *, max_entry_chars: int) -> None:
        self.client = client
        self.max_entry_chars = max_entry_chars
        # The window each journal's last page query needed (a hint, by graph key).
        self._windows: dict[str, int] = {}

    # -- journals --------------------------------------------------------------------

    def list_journals(self) -> list[Journal]:
        """Every journal, by name."""
        return read_journals(self.client)

    def find_journal(self, name: str) -> Journal | None:
        wanted = name.strip().casefold()
        for journal in self.list_journals():
            if journal.name.casefold() == wanted:
                return journal
        return None

    def journal(self, name: str) -> Journal:
        """The journal called ``name`` or NotFoundError."""
        found = self.find_journal(name)
        if found is None:
            raise NotFoundError(f"There is no journal called {name.strip()!r}.")
        return found

    def create_journal(self, name: str) -> Journal:
        """Create a journal with its graph and indexes; an existing name is an error."""
        name = check_journal_name(name)
        journal = add_journal(self.client, secrets.token_hex(8), name, _now_millis())
        if journal is None:
            raise ValidationError(f"A journal called {name!r} already exists.")
        return journal

    def ensure_journal(self, name: str) -> Journal:
        """The journal called ``name``, created if it does not exist yet."""
        found = self.find_journal(name)
        if found is not None:
            return found
        try:
            return self.create_journal(name)
        except ValidationError:
            # Another process created it between our look and our write.
            found = self.find_journal(name)
            if found is None:
                raise
            return found

    def rename_journal(self, old: str, new: str) -> Journal:
        """Give a journal a new name; its entries stay where they are."""
        return rename_journal(self.client, old, check_journal_name(new))

    def graph(self, journal: Journal) -> Graph:
        return Graph(self.client, graph_key(journal.id))

    # -- entries ---------------------------------------------------------------------

    def add_entry(
        self,
        journal: Journal,
        *,
        title: str,
        body: str,
        entry_at: datetime,
        source: str,
        entry_id: str | None = None,
        also: Also | None = None,
        tags: Iterable[str] = (),
        starred: bool = False,
    ) -> Entry:
        """Store a new entry (inputs already validated) and return it as stored, with
        the tag words of its text and ``tags`` as its tags.

        ``also(pipe, entry_id, content_hash)`` may queue more commands (the job for
        the entry) that commit in the same MULTI/EXEC as the entry itself. With an
        ``entry_id`` that is already stored, nothing is written and that entry is
        returned: a retried save (same id) never adds the entry twice.
        """
        epoch, offset = to_epoch_and_offset(entry_at)
        new_id = entry_id or new_entry_id()
        params = episode_properties(
            new_id,
            title=title,
            body=body,
            entry_at=epoch,
            utc_offset=offset,
            source=source,
            now=_now_millis(),
            tags=tags,
            starred=starred,
        )
        graph = self.graph(journal)
        revisions = revisions_key(journal.id)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    # Every entry written here has a revision field, so watching the
                    # hash makes "not there yet" and the create one atomic step; watching
                    # the journals makes "the journal is still there" part of it too.
                    pipe.watch(JOURNALS_KEY, revisions)
                    if not pipe.hexists(JOURNALS_KEY, journal.id):
                        pipe.unwatch()
                        raise JournalGone(journal.name)
                    if entry_id is not None and pipe.hexists(revisions, entry_id):
                        pipe.unwatch()
                        return self.get_entry(journal, entry_id)
                    pipe.multi()
                    pipe.execute_command(*create_episodes(graph, [params], returning=True))
                    pipe.hset(revisions, new_id, 1)
                    if also is not None:
                        also(pipe, new_id, str(params["content_hash"]))
                    pipe.publish(EVENTS, entry_event(journal.id, new_id, "added"))
                    replies = pipe.execute()
                    break
                except redis.WatchError:
                    continue  # Another entry of the journal was written: look again.
        return entry_from_row(rows_of(replies[0])[0], journal=journal.name, revision=1)

    def revision(self, journal: Journal, entry_id: str) -> int:
        """The entry's revision: 1 when written, one more with every change."""
        return int(self.client.hget(revisions_key(journal.id), entry_id) or 0)

    def update_entry(
        self,
        journal: Journal,
        entry_id: str,
        *,
        title: str,
        body: str,
        entry_at: datetime,
        expected_revision: int,
        also: Also | None = None,
        tags: Iterable[str] = (),
    ) -> Entry:
        """Replace an entry's title, body and time (inputs already validated), only if it
        is still at ``expected_revision``; the revision goes up by one in the same
        transaction. Its tags become the tag words of the new text and ``tags`` (its own
        tags, given beside the text); whether it is starred is left as it is. Raises
        RevisionConflict (nothing written) if it moved on or is gone.
        """
        epoch, offset = to_epoch_and_offset(entry_at)
        revisions = revisions_key(journal.id)
        graph = self.graph(journal)
        params = {
            "id": entry_id,
            "title": title,
            "body": body,
            "entry_at": epoch,
            "utc_offset": offset,
            "updated_at": _now_millis(),
            "content_hash": content_hash(title, body),
            "tags": list(entry_tags(title, body, tags)),
            "folded": folded_field(title, body, epoch),  # search (graph/folding.py)
            "words": word_count(title, body),  # totals without reading bodies (graph/words.py)
        }
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    # Every write of an entry changes its revision field, so watching the
                    # hash makes the check and the write one atomic step.
                    pipe.watch(revisions)
                    stored = pipe.hget(revisions, entry_id)
                    if stored is None:
                        pipe.unwatch()
                        if not self._exists(graph, entry_id):
                            raise RevisionConflict(None)
                        # An entry from before revisions: give it revision 0 first, so a
                        # delete racing this edit changes the watched hash too.
                        self.client.hsetnx(revisions, entry_id, 0)
                        continue
                    current = int(stored)
                    if current != expected_revision:
                        pipe.unwatch()
                        raise RevisionConflict(current)
                    pipe.multi()
                    pipe.execute_command(
                        *graph.command(
                            "MATCH (e:Episode {id: $id}) SET e.title = $title, e.body = $body, "
                            "e.entry_at = $entry_at, e.utc_offset = $utc_offset, "
                            "e.updated_at = $updated_at, e.tags = $tags, "
                            "e.folded = $folded, e:Searchable, e.words = $words, "
                            f"e.content_hash = $content_hash RETURN {ENTRY_FIELDS}",
                            params,
                        )
                    )
                    pipe.hset(revisions, entry_id, current + 1)
                    if also is not None:
                        also(pipe, entry_id, str(params["content_hash"]))
                    pipe.publish(EVENTS, entry_event(journal.id, entry_id, "edited"))
                    replies = pipe.execute()
                    break
                except redis.WatchError:
                    continue
        rows = rows_of(replies[0])
        if not rows:  # Deleted between our look and the write: it wrote nothing.
            raise RevisionConflict(None)
        return entry_from_row(rows[0], journal=journal.name, revision=current + 1)

    def set_starred(self, journal: Journal, entry_id: str, starred: bool) -> bool:
        """Star or unstar an entry; False if there is no such entry. It writes only
        ``starred``, leaving the revision as it is: an edit saved at the same moment
        (which writes everything but ``starred``) loses nothing, and an editor open on
        the entry does not see a conflict. Publishes the entry's change event."""
        graph = self.graph(journal)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.execute_command(
                *graph.command(
                    "MATCH (e:Episode {id: $id}) SET e.starred = $starred RETURN e.id",
                    {"id": entry_id, "starred": bool(starred)},
                )
            )
            pipe.publish(EVENTS, entry_event(journal.id, entry_id, "starred"))
            replies = pipe.execute()
        return bool(rows_of(replies[0]))

    @staticmethod
    def _exists(graph: Graph, entry_id: str) -> bool:
        return bool(graph.read("MATCH (e:Episode {id: $id}) RETURN 1", {"id": entry_id}))

    def delete_entry(
        self,
        journal: Journal,
        entry_id: str,
        also: Also | None = None,
        *,
        expected_revision: int | None = None,
    ) -> bool:
        """Delete an entry and prune entities nobody mentions any more, in one MULTI
        with whatever ``also`` queues. True if it existed; deleting twice is harmless.

        With ``expected_revision`` (the version the user saw), an entry changed since
        raises RevisionConflict and nothing is deleted: a delete never takes with it
        words someone else saved meanwhile.
        """
        graph = self.graph(journal)
        revisions = revisions_key(journal.id)
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    if expected_revision is not None:
                        pipe.watch(revisions)
                        stored = pipe.hget(revisions, entry_id)
                        if stored is not None and int(stored) != expected_revision:
                            pipe.unwatch()
                            raise RevisionConflict(int(stored))
                        pipe.multi()
                    self._queue_delete(pipe, graph, entry_id)
                    pipe.hdel(revisions, entry_id)
                    if also is not None:
                        also(pipe, entry_id, "")
                    pipe.publish(EVENTS, entry_event(journal.id, entry_id, "deleted"))
                    replies = pipe.execute()
                    break
                except redis.WatchError:
                    continue
        rows = rows_of(replies[2])
        return bool(rows and rows[0][0])

    @staticmethod
    def _queue_delete(pipe: redis.client.Pipeline, graph: Graph, entry_id: str) -> None:
        # The stored mention counts (schema.TALLY) go down with the edges.
        pipe.execute_command(
            *graph.command(
                f"MATCH (:Episode {{id: $id}})-[:MENTIONS]->(n:Entity) {COUNT_DOWN}",
                {"id": entry_id},
            )
        )
        # Its relationships go too, even between entities other entries mention.
        pipe.execute_command(
            *graph.command(
                "MATCH (:Episode {id: $id})-[:MENTIONS]->(:Entity)"
                "-[r:RELATES {episode: $id}]->(:Entity) DELETE r",
                {"id": entry_id},
            )
        )
        pipe.execute_command(
            *graph.command(
                "MATCH (e:Episode {id: $id}) DETACH DELETE e RETURN count(e)",
                {"id": entry_id},
            )
        )
        pipe.execute_command(*graph.command(PRUNE_UNMENTIONED))

    def get_entry(self, journal: Journal, entry_id: str) -> Entry:
        # Its attachments come after the fields every entry read returns (only the
        # reader and exports need them).
        rows = self.graph(journal).read(
            f"MATCH (e:Episode {{id: $id}}) RETURN {ENTRY_FIELDS}, e.attachments",
            {"id": entry_id},
        )
        if not rows:
            raise NotFoundError(f"There is no entry {entry_id} in {journal.name!r}.")
        entry = entry_from_row(
            rows[0][:-1], journal=journal.name, revision=self.revision(journal, entry_id)
        )
        attachments = names_of(rows[0][-1])
        return dataclasses.replace(entry, attachments=attachments) if attachments else entry

    def find_entry_ids(self, journal: Journal, prefix: str) -> list[str]:
        """Ids in this journal starting with ``prefix`` (for short ids on the command line)."""
        rows = self.graph(journal).read(
            "MATCH (e:Episode) WHERE e.id STARTS WITH $prefix RETURN e.id LIMIT 10",
            {"prefix": prefix},
        )
        return [row[0] for row in rows]

    def count_entries(self, journal: Journal) -> int:
        rows = self.graph(journal).read("MATCH (e:Episode) RETURN count(e)")
        return int(rows[0][0]) if rows else 0

    # Pagination is keyset over (entry_at, created_at, id), newest first. FalkorDB 4's
    # index scans answered ``e.entry_at = $t AND e.id < $id`` and string ranges such as
    # ``e.key < $s`` with rows that fail the condition, so each query below uses only
    # numeric ranges or an equality on entry_at (and rows are checked again here), and
    # ties within one second are ordered in Python (most recently written first). The
    # cursor is "<at>:<created>:<id>".
    def list_entries(
        self, journal: Journal, *, limit: int = 100, before: str | None = None
    ) -> Page:
        """A page of entries, newest first, starting just older than cursor ``before``."""
        graph = self.graph(journal)
        rows: list[list[Any]] = []
        at: int | None = None
        if before is not None:
            at, tie_key = parse_cursor(before)
            rows = sorted(
                (r for r in self._same_second(graph, at) if (r[5], r[0]) < tie_key),
                key=lambda r: (r[5], r[0]),
                reverse=True,
            )
        if len(rows) <= limit:
            rows += self._newest(graph, at, limit + 1 - len(rows))
        more = len(rows) > limit
        rows = rows[:limit]
        entries = [summary_from_row(row) for row in rows]
        last = rows[-1] if rows else None
        cursor = f"{last[3]}:{last[5]}:{last[0]}" if more and last else None
        return Page(entries=entries, next_cursor=cursor)

    def _newest(self, graph: Graph, below: int | None, wanted: int) -> list[list[Any]]:
        """The ``wanted`` newest entries with entry_at < ``below`` (None: any), newest first.

        FalkorDB sorts every row a range matches before it cuts, so an open range over a
        100,000-entry journal sorts them all (50 ms a page). Asking for a window of time
        just below ``below`` first, and widening it only while it holds too few entries,
        sorts about a page. Every entry at or after the window's start is in it, so a
        full window is exactly the answer; one that is not, with nothing older than its
        start, is too.
        """
        upper = int(time.time()) if below is None else below
        window = max(MIN_WINDOW, self._windows.get(graph.key, FIRST_WINDOW) // 2)
        while True:
            lower = upper - window
            # The first page's range has no upper end: entries dated later than now are in.
            where = "e.entry_at >= $lower" + ("" if below is None else " AND e.entry_at < $at")
            rows = [
                r
                for r in graph.read(
                    f"MATCH (e:Episode) WHERE {where} WITH e ORDER BY e.entry_at DESC, "
                    f"e.created_at DESC, e.id DESC LIMIT $limit RETURN {SUMMARY_FIELDS}",
                    {"lower": lower, "at": below, "limit": wanted},
                )
                if r[3] >= lower and (below is None or r[3] < below)
            ]
            if len(rows) >= wanted or not graph.read(
                "MATCH (e:Episode) WHERE e.entry_at < $lower RETURN 1 LIMIT 1", {"lower": lower}
            ):
                self._windows[graph.key] = window
                return rows
            # Grow by what the window held: a sparse stretch is crossed in a step or two.
            window *= min(64, max(2, 2 * wanted // max(1, len(rows))))

    def _same_second(self, graph: Graph, at: int) -> list[list[Any]]:
        return graph.read(
            f"MATCH (e:Episode) WHERE e.entry_at = $at RETURN {SUMMARY_FIELDS}", {"at": at}
        )

    def neighbours(self, journal: Journal, entry: Entry) -> tuple[str | None, str | None]:
        """The ids of the entries just older and just newer than ``entry``."""
        at = to_epoch_and_offset(entry.entry_at)[0]
        created = int(entry.created_at.timestamp() * 1000)
        older = self.list_entries(journal, limit=1, before=f"{at}:{created}:{entry.id}").entries
        graph = self.graph(journal)
        newer_ties = sorted(
            (r[5], r[0]) for r in self._same_second(graph, at) if (r[5], r[0]) > (created, entry.id)
        )
        if newer_ties:
            newer: str | None = newer_ties[0][1]
        else:
            newer = self._next_newer(graph, at)
        return (older[0].id if older else None, newer)

    @staticmethod
    def _next_newer(graph: Graph, at: int) -> str | None:
        """The id of the oldest entry with entry_at > ``at`` (windowed as ``_newest``)."""
        window = FIRST_WINDOW
        while True:
            rows = graph.read(
                "MATCH (e:Episode) WHERE e.entry_at > $at AND e.entry_at <= $upper "
                "RETURN e.id, e.entry_at ORDER BY e.entry_at ASC, e.created_at ASC, e.id ASC "
                "LIMIT 1",
                {"at": at, "upper": at + window},
            )
            rows = [r for r in rows if at < r[1] <= at + window]
            if rows:
                return str(rows[0][0])
            if not graph.read(
                "MATCH (e:Episode) WHERE e.entry_at > $upper RETURN 1 LIMIT 1",
                {"upper": at + window},
            ):
                return None
            window *= 16
