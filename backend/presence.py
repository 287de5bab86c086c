"""Which editors have an entry open, so each can say "Also open in another window".

Each editor session refreshes its mark every few seconds; a mark expires on its own
(a crashed app cannot leave one behind). One sorted set per entry, session -> expiry.
"""

from __future__ import annotations

import time

import redis

OPEN_PREFIX = "charlie:open:"
OPEN_TTL_MS = 30_000


def open_key(journal_id: str, entry_id: str) -> str:
    return f"{OPEN_PREFIX}{journal_id}:{entry_id}"


def mark_open(client: redis.Redis, journal_id: str, entry_id: str, session: str) -> None:
    """This session has the entry open (call again within OPEN_TTL_MS to keep it)."""
    key = open_key(journal_id, entry_id)
    now = int(time.time() * 1000)
    with client.pipeline(transaction=True) as pipe:
        pipe.zadd(key, {session: now + OPEN_TTL_MS})
        pipe.pexpire(key, OPEN_TTL_MS)
        pipe.execute()


def mark_closed(client: redis.Redis, journal_id: str, entry_id: str, session: str) -> None:
    client.zrem(open_key(journal_id, entry_id), session)


def open_elsewhere(client: redis.Redis, journal_id: str, entry_id: str, session: str) -> int:
    """How many other sessions have the entry open now."""
    now = int(time.time() * 1000)
    members = client.zrangebyscore(open_key(journal_id, entry_id), now, "+inf")
    return sum(1 for m in members if m not in (session, session.encode()))
