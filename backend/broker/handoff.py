"""The handoff file: how every process that is not the owner finds and trusts its server.

The owner publishes ``<data>/broker.json`` atomically once its server answers, with a
fresh broker id it also stores in Redis. A client reads the handoff, connects to the
socket it names and checks that the broker id stored in Redis is the one in the handoff
before trusting it; a handoff whose owner process is gone is ignored.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from backend.broker.paths import Paths
from backend.broker.processes import process_start_ticks
from backend.errors import BrokerError

if TYPE_CHECKING:
    import redis

# redis-py is imported inside the functions that talk to the server: importing it takes
# about half a second, and the owner starts the server before that so the two overlap.

HANDOFF_FORMAT = 1
BROKER_ID_KEY = "charlie:broker_id"


@dataclass(frozen=True)
class Handoff:
    """What ``broker.json`` holds: how to reach the owner's server and how to trust it."""

    socket_path: str
    """The unix socket the server listens on."""
    redis_pid: int
    """The server's process id."""
    owner_pid: int
    """The owner's process id."""
    owner_started: int
    """The owner's start time in clock ticks since boot, so a reused pid is not trusted."""
    broker_id: str
    """A random id also stored in Redis under ``charlie:broker_id``."""
    started_at: float
    """When the server was started (UTC epoch seconds)."""
    format: int = HANDOFF_FORMAT
    """The version of this file's layout."""


def read_handoff(path: Path) -> Handoff | None:
    """The handoff in ``path``, or None if there is none or it is unreadable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Handoff(**raw)
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError):
        # A torn or foreign file cannot be trusted; callers treat it as absent.
        return None


def connect_socket(
    socket_path: str | Path, *, timeout: float = 10.0, retries: int = 3
) -> redis.Redis:
    """A Redis client on a unix socket.

    The socket timeout stays above Huey's 1 s blocking-read timeout, so a blocking pop
    is never cut off with its message already taken.
    """
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    return redis.Redis(
        unix_socket_path=str(socket_path),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries),
    )


def handoff_is_live(handoff: Handoff) -> bool:
    """Whether the owner that published ``handoff`` is still running."""
    return process_start_ticks(handoff.owner_pid) == handoff.owner_started


def verify(handoff: Handoff) -> redis.Redis:
    """Connect to the handoff's socket and prove it is the server the handoff names."""
    import redis

    client = connect_socket(handoff.socket_path)
    try:
        stored = client.get(BROKER_ID_KEY)
    except redis.RedisError as exc:
        client.close()
        raise BrokerError(
            f"Cannot reach the Charlie database at {handoff.socket_path}: {exc}"
        ) from exc
    found = stored.decode() if isinstance(stored, bytes) else str(stored or "none")
    if found != handoff.broker_id:
        client.close()
        raise BrokerError(
            f"Refusing to use the server on {handoff.socket_path}: its broker id ({found}) "
            f"does not match the handoff file ({handoff.broker_id}). The handoff is stale "
            "or the socket belongs to another server."
        )
    return client


def attach[O](
    paths: Paths,
    *,
    wait_seconds: float,
    take_over: Callable[[], O | None] | None = None,
) -> tuple[Handoff | None, redis.Redis | None, O | None]:
    """Attach as a client through the handoff, waiting for an owner to publish it.

    A handoff whose owner process is gone is ignored (a new owner is about to replace
    it). A live handoff whose server has another broker id is an error at once. With
    ``take_over``, whenever no live owner is published the lock is tried again: if it
    is free (the owner left), this process becomes the owner, and the returned owner is
    not None (its server is starting; the caller finishes it).
    """
    deadline = time.monotonic() + wait_seconds
    last_problem = f"no owner has published {paths.handoff} yet"
    while True:
        handoff = read_handoff(paths.handoff)
        if handoff is not None and handoff.format != HANDOFF_FORMAT:
            raise BrokerError(
                f"{paths.handoff} has format {handoff.format}; this Charlie reads format "
                f"{HANDOFF_FORMAT}. Quit the other Charlie version first."
            )
        if handoff is not None and handoff_is_live(handoff):
            try:
                return handoff, verify(handoff), None
            except BrokerError as exc:
                # The owner may have died between our liveness check and the connect, or
                # restarted its server (a new id, the handoff removed and then rewritten)
                # while the connect was retrying: only a live owner whose handoff still
                # names the mismatching id is a hard error.
                if (
                    handoff_is_live(handoff)
                    and "broker id" in str(exc)
                    and read_handoff(paths.handoff) == handoff
                ):
                    raise
                last_problem = str(exc)
        elif handoff is not None:
            last_problem = (
                f"{paths.handoff} was left by an owner (pid {handoff.owner_pid}) that is gone"
            )
        if take_over is not None and (handoff is None or not handoff_is_live(handoff)):
            owner = take_over()
            if owner is not None:
                return None, None, owner
        if time.monotonic() >= deadline:
            raise BrokerError(
                f"Could not attach to the Charlie database in {paths.data_dir} within "
                f"{wait_seconds:g} s: {last_problem}."
            )
        time.sleep(0.05)
