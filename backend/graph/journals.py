"""The journal registry: one Redis hash (``JOURNALS_KEY``) of journal id -> name and
creation time. Names are unique without regard to case; every change of the hash is
one WATCH/MULTI, so two processes never register the same name."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import redis

from backend.errors import NotFoundError, ValidationError
from backend.graph.cypher import Graph, decode
from backend.graph.schema import JOURNALS_KEY, create_indexes, graph_key, journal_from_record
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
