"""The journal registry: one Redis hash (``JOURNALS_KEY``) of journal id -> name and
creation time. Names are unique without regard to case; every change of the hash is
one WATCH/MULTI, so two processes never register the same name. Deleting a journal
(``delete_journal``) removes it and every key of it in one MULTI."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

from backend.drafts import drafts_key
from backend.errors import NotFoundError, ValidationError
from backend.graph.cypher import Graph, decode, rows_of
from backend.graph.schema import (
    JOURNALS_KEY,
    create_indexes,
    graph_key,
    journal_from_record,
    revisions_key,
)
from backend.jobs.keys import DEAD, DONE, EVENTS, QUEUED, RETRY, RUNNING, job_key
from backend.models import Journal, from_millis


def read_journals(client: redis.Redis) -> list[Journal]:
    """Every journal, by name (without case)."""
    journals = [
        journal_from_record(jid, blob) for jid, blob in client.hgetall(JOURNALS_KEY).items()
    ]
    return sorted(journals, key=lambda j: j.name.casefold())


def name_taken(records: Mapping[Any, Any], name: str) -> bool:
    """Whether a journal in ``records`` (the registry hash's values) is called ``name``."""
    return any(json.loads(b)["name"].casefold() == name.casefold() for b in records.values())


def add_journal(client: redis.Redis, journal_id: str, name: str, created: int) -> Journal | None:
    """Register the journal ``journal_id`` called ``name`` (already checked), created at
    ``created`` (ms), and give its graph its indexes. None, with nothing written, if a
    journal of that name exists (or appeared while this looked)."""
    record = json.dumps({"name": name, "created": created})
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(JOURNALS_KEY)
                if name_taken(pipe.hgetall(JOURNALS_KEY), name):
                    pipe.unwatch()
                    return None
                pipe.multi()
                pipe.hset(JOURNALS_KEY, journal_id, record)
                pipe.execute()
                break
            except redis.WatchError:
                continue  # The registry changed meanwhile: look again.
    create_indexes(Graph(client, graph_key(journal_id)))
    return journal_from_record(journal_id, record)


def rename_journal(client: redis.Redis, old: str, new: str) -> Journal:
    """Call the journal ``old`` ``new`` (already checked); its entries stay where they
    are. NotFoundError if there is no ``old``, ValidationError if ``new`` is taken."""
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(JOURNALS_KEY)
                current = pipe.hgetall(JOURNALS_KEY)
                target = None
                for jid, blob in current.items():
                    if json.loads(blob)["name"].casefold() == old.strip().casefold():
                        target = (decode(jid), json.loads(blob))
                if target is None:
                    pipe.unwatch()
                    raise NotFoundError(f"There is no journal called {old.strip()!r}.")
                jid, data = target
                if data["name"].casefold() != new.casefold() and name_taken(current, new):
                    pipe.unwatch()
                    raise ValidationError(f"A journal called {new!r} already exists.")
                data["name"] = new
                pipe.multi()
                pipe.hset(JOURNALS_KEY, jid, json.dumps(data))
                pipe.execute()
                return Journal(id=jid, name=new, created_at=from_millis(data["created"]))
            except redis.WatchError:
                continue


# -- entry counts and deleting a journal ------------------------------------------------

COUNT_EPISODES = "MATCH (e:Episode) RETURN count(e)"
SCAN_BATCH = 1000
"""Keys per SCAN page and per DEL/ZREM while a journal is deleted."""


def count_entries(client: redis.Redis, journal_ids: list[str]) -> dict[str, int]:
    """How many entries each journal holds, in one round trip: one graph per journal
    means one count per graph, so the counts go out together in one pipeline (FalkorDB
    answers a count of a label from its own statistics, without reading the nodes)."""
    with client.pipeline(transaction=False) as pipe:
        for journal_id in journal_ids:
            pipe.execute_command("GRAPH.RO_QUERY", graph_key(journal_id), COUNT_EPISODES)
        replies = pipe.execute(raise_on_error=False)
    counts: dict[str, int] = {}
    for journal_id, reply in zip(journal_ids, replies, strict=True):
        # A journal registered a moment ago may have no graph yet: it holds nothing.
        rows = [] if isinstance(reply, Exception) else rows_of(reply)
        counts[journal_id] = int(rows[0][0]) if rows else 0
    return counts


@dataclass(frozen=True)
class DeletedJournal:
    """What deleting a journal removed."""

    journal: Journal
    entries: int
    """How many entries it held when it went."""
    jobs: int
    """How many job records of its entries went with it (queued, running or kept)."""
    new_default_id: str | None
    """The journal that is the default now, when the deleted one was the default."""


class EntryCountChanged(ValidationError):
    """The journal holds another number of entries than the one the user confirmed."""


def journal_keys(client: redis.Redis, journal_id: str) -> list[str]:
    """Every key that belongs to one journal: its graph and every key named after it
    (``graph_key(id):*``: entity version, blocked names, type overrides, and any added
    later under that prefix), its revisions, its drafts and its entries' job records."""
    keys = [graph_key(journal_id), revisions_key(journal_id), drafts_key(journal_id)]
    for pattern in (f"{graph_key(journal_id)}:*", f"{job_key('')}*:{journal_id}:*"):
        keys += [decode(k) for k in client.scan_iter(match=pattern, count=SCAN_BATCH)]
    return keys


def job_ids_of(client: redis.Redis, journal_id: str) -> list[str]:
    """The ids of every job of the journal's entries that is listed in a state (job ids
    are ``<kind>:<journal id>:<entry id>``)."""
    ids: set[str] = set()
    for zset in (QUEUED, RUNNING, RETRY, DEAD, DONE):
        for member, _score in client.zscan_iter(zset, match=f"*:{journal_id}:*", count=SCAN_BATCH):
            ids.add(decode(member))
    return sorted(ids)


def delete_journal(
    client: redis.Redis,
    name: str,
    *,
    default_key: str,
    fallback_default: str,
    expected_entries: int | None = None,
) -> DeletedJournal:
    """Delete the journal called ``name`` and everything of it in one MULTI: its graph,
    revisions, drafts, per-journal keys and its entries' job records (taken off every
    state list, whatever their state), and its place in the registry.

    A worker in the middle of one of its jobs cannot bring any of it back: its commit
    WATCHes the job record, which this deletes, so the commit writes nothing; its
    heartbeat, failure and release all check the record and find none. A new entry
    written into the journal meanwhile changes its revisions (WATCHed): then everything
    is looked at again. The last journal cannot be deleted. When the deleted journal was
    the default (``default_key`` holds its id), the journal called ``fallback_default``
    becomes the default, else the first left by name. With ``expected_entries`` (the
    count the user confirmed), a journal that holds another number by now is refused
    (EntryCountChanged) and nothing is deleted."""
    wanted = name.strip().casefold()
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(JOURNALS_KEY)
                registry = {decode(k): json.loads(v) for k, v in pipe.hgetall(JOURNALS_KEY).items()}
                found = [jid for jid, data in registry.items() if data["name"].casefold() == wanted]
                if not found:
                    pipe.unwatch()
                    raise NotFoundError(f"There is no journal called {name.strip()!r}.")
                jid = found[0]
                journal = journal_from_record(jid, json.dumps(registry[jid]))
                if len(registry) == 1:
                    pipe.unwatch()
                    raise ValidationError(
                        f"{journal.name!r} is your only journal, and Charlie keeps at least "
                        "one: create another journal first, then delete this one."
                    )
                pipe.watch(revisions_key(jid), default_key)
                entries = count_entries(client, [jid])[jid]
                if expected_entries is not None and entries != expected_entries:
                    pipe.unwatch()
                    raise EntryCountChanged(
                        f"{journal.name!r} now holds {_entries(entries)}, not "
                        f"{_entries(expected_entries)}: nothing was deleted; look again "
                        "and confirm."
                    )
                keys = journal_keys(client, jid)
                job_ids = job_ids_of(client, jid)
                new_default = None
                if decode(pipe.get(default_key)) == jid:
                    new_default = _next_default(registry, jid, fallback_default)
                pipe.multi()
                for start in range(0, len(job_ids), SCAN_BATCH):
                    chunk = job_ids[start : start + SCAN_BATCH]
                    for zset in (QUEUED, RUNNING, RETRY, DEAD, DONE):
                        pipe.zrem(zset, *chunk)
                for start in range(0, len(keys), SCAN_BATCH):
                    pipe.delete(*keys[start : start + SCAN_BATCH])
                pipe.hdel(JOURNALS_KEY, jid)
                if new_default is not None:
                    pipe.set(default_key, new_default)
                # Queue screens read the queue again. No entry or graph event: a screen
                # showing the journal would look for it and find none; the app that
                # deleted it opens another journal instead.
                pipe.publish(EVENTS, json.dumps({"event": "journal_deleted", "journal": jid}))
                pipe.execute()
            except redis.WatchError:
                continue  # Written to meanwhile: look again.
            jobs = len({k.removesuffix(":history") for k in keys if k.startswith(job_key(""))})
            return DeletedJournal(journal, entries, max(jobs, len(job_ids)), new_default)


def _next_default(registry: Mapping[str, Any], deleted: str, fallback: str) -> str:
    """The journal that becomes the default when the default one is deleted."""
    left = sorted(
        ((data["name"], jid) for jid, data in registry.items() if jid != deleted),
        key=lambda pair: pair[0].casefold(),
    )
    for journal_name, jid in left:
        if journal_name.casefold() == fallback.strip().casefold():
            return jid
    return left[0][1]


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"
