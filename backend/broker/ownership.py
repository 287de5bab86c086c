"""One database server per data directory, and a connection that follows its ownership.

The first process to take ``<data>/charlie.lock`` becomes the owner and starts the server
(see :mod:`backend.broker.server`); every other process is a client that attaches
through the handoff (see :mod:`backend.broker.handoff`). Ownership moves, it never
vanishes: when the owner leaves, a client's :meth:`BrokerConnection.rejoin` attaches to
the new owner or takes the lock and starts the server from the same files itself.
"""

from __future__ import annotations

import contextlib
import threading
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from backend.broker.handoff import BROKER_ID_KEY, Handoff, attach, read_handoff
from backend.broker.paths import Paths, prepare_data_dir
from backend.broker.server import Owner, acquire_and_spawn, cannot_write
from backend.errors import BrokerError
from backend.settings import Settings

if TYPE_CHECKING:
    import redis


class BrokerConnection:
    """A verified connection to the one server of a data directory.

    ``role`` is ``"owner"`` (this process started the server and holds the lock),
    ``"client"`` (attached through the handoff) or ``"external"`` (``broker_url``).
    """

    def __init__(
        self,
        role: str,
        client: redis.Redis,
        *,
        url: str,
        handoff: Handoff | None = None,
        owner: Owner | None = None,
        settings: Settings | None = None,
        may_own: bool = False,
    ) -> None:
        self.role = role
        self.client = client
        self.url = url
        self.handoff = handoff
        self._owner = owner
        self._settings = settings
        self._may_own = may_own
        self._rejoin_lock = threading.Lock()
        self.on_owner: Callable[[BrokerConnection], None] | None = None
        """Called when rejoin() made this process the owner (the app starts a worker)."""

    @property
    def is_owner(self) -> bool:
        return self._owner is not None

    @property
    def broker_id(self) -> str | None:
        return self.handoff.broker_id if self.handoff else None

    @property
    def redis_pid(self) -> int | None:
        return self.handoff.redis_pid if self.handoff else None

    def server_alive(self) -> bool:
        """For the owner: whether the server it started is still running."""
        return self._owner is not None and self._owner.server_alive()

    def restart_server(self) -> None:
        """For the owner: start the server again on the same files after it died.

        Clients keep their socket path; their connections reconnect on the next
        command. The handoff is rewritten with the new server's pid and broker id.
        """
        if self._owner is None:
            raise BrokerError("Only the owner can restart the database server.")
        with self._rejoin_lock:  # The supervisor and a failed call may both try.
            if self._owner.server_alive():
                return  # Restarted by the other one meanwhile.
            try:
                self._owner.restart_server().close()
            except OSError as exc:
                raise cannot_write(self._owner.paths, exc) from exc
            self.handoff = self._owner.handoff

    def rejoin(self) -> bool:
        """The server went away under a client (its owner left): attach to whoever owns
        the data directory now, or take the lock and start the server from the same
        files. Ownership moves; it never vanishes. For the owner: restart its own server
        if it died. True if the connection works again.

        The redis client object stays the same (everything built on it follows): only
        its connection pool is swapped for the new server's.
        """
        if self._owner is not None:
            # Our own server died (a CLI owner has no supervisor to notice): start it
            # again on the same files, as the supervisor would.
            self.restart_server()
            return self._answers()
        if self.role == "external" or self._settings is None:
            return False
        with self._rejoin_lock:
            if self._answers():
                return True  # Another thread rejoined already.
            fresh = begin_broker(self._settings, own=self._may_own).finish()
            old_pool = self.client.connection_pool
            self.client.connection_pool = fresh.client.connection_pool
            old_pool.disconnect()
            self.role, self.url, self.handoff = fresh.role, fresh.url, fresh.handoff
            self._owner = fresh._owner
        if self._owner is not None and self.on_owner is not None:
            self.on_owner(self)
        return True

    def _answers(self) -> bool:
        import redis

        try:
            found = self.client.get(BROKER_ID_KEY)
        except redis.RedisError:
            return False
        found_id = found.decode() if isinstance(found, bytes) else found
        handoff = read_handoff(Paths(self._settings.data_dir).handoff) if self._settings else None
        return handoff is not None and found_id == handoff.broker_id

    def close(self) -> None:
        """Disconnect; the owner also shuts its server down cleanly and frees the lock."""
        import redis

        with contextlib.suppress(redis.RedisError):
            self.client.close()
        if self._owner is not None:
            self._owner.shutdown()
            self._owner = None

    def __enter__(self) -> BrokerConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rejoined(broker: BrokerConnection) -> bool:
    """:meth:`BrokerConnection.rejoin`, with a failure to rejoin reported as False."""
    try:
        return broker.rejoin()
    except BrokerError:
        return False


def rejoining[R](broker: BrokerConnection, work: Callable[[], R], *, changes: int = 3) -> R:
    """Run ``work``; if the server went away under it (its owner left, or our own server
    died), rejoin — ownership moves as for every API call — and run it again, riding
    through up to ``changes`` owner changes. ``work`` must be safe to run again (imports
    skip what is already there)."""
    import redis

    for change in range(changes + 1):
        try:
            return work()
        except redis.ConnectionError:
            if change == changes or not rejoined(broker):
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def open_broker(settings: Settings, *, own: bool = True) -> BrokerConnection:
    """Connect to this data directory's server, starting it if nobody owns it.

    With ``own=False`` the caller only ever attaches as a client (the worker does this):
    it waits for an owner's handoff and never starts a server.
    """
    return begin_broker(settings, own=own).finish()


class PendingBroker:
    """A broker being opened: the owner's server is already starting in the background.

    ``finish()`` waits for it (or, for a client, attaches through the handoff). Between
    the two the caller can do slow work of its own, such as importing the UI.
    """

    def __init__(
        self, settings: Settings, paths: Paths | None, owner: Owner | None, *, own: bool = False
    ) -> None:
        self.settings = settings
        self.paths = paths
        self.owner = owner
        self.own = own

    def finish(self) -> BrokerConnection:
        if self.settings.broker_url:
            return _open_external(self.settings.broker_url)
        assert self.paths is not None
        paths = self.paths
        take_over = (lambda: acquire_and_spawn(paths, self.settings)) if self.own else None
        if self.owner is None:
            handoff, client, self.owner = attach(
                paths, wait_seconds=self.settings.broker_wait_seconds, take_over=take_over
            )
            if self.owner is None:
                assert handoff is not None and client is not None
                return BrokerConnection(
                    "client",
                    client,
                    url=f"unix://{handoff.socket_path}",
                    handoff=handoff,
                    settings=self.settings,
                    may_own=self.own,
                )
        try:
            handoff, client = self.owner.finish()
        except OSError as exc:
            self.owner.abandon()
            raise cannot_write(paths, exc) from exc
        except BaseException:
            self.owner.abandon()
            raise
        url = f"unix://{handoff.socket_path}"
        return BrokerConnection(
            "owner",
            client,
            url=url,
            handoff=handoff,
            owner=self.owner,
            settings=self.settings,
            may_own=self.own,
        )


def begin_broker(settings: Settings, *, own: bool = True) -> PendingBroker:
    """Take ownership and start the server if nobody owns the data directory yet."""
    if settings.broker_url:
        return PendingBroker(settings, None, None)
    paths = Paths(settings.data_dir)
    prepare_data_dir(paths)
    owner = acquire_and_spawn(paths, settings) if own else None
    return PendingBroker(settings, paths, owner, own=own)


def _open_external(url: str) -> BrokerConnection:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=10.0, socket_connect_timeout=10.0)
    try:
        client.ping()
    except redis.RedisError as exc:
        if isinstance(exc, redis.AuthenticationError) or any(
            sign in str(exc) for sign in ("NOAUTH", "HELLO must be called", "WRONGPASS")
        ):
            why = "it wants a password, and the one in broker_url (if any) is not it"
        else:
            why = str(exc)
        raise BrokerError(f"Cannot reach the FalkorDB server at {redact(url)}: {why}") from exc
    return BrokerConnection("external", client, url=url)


def redact(url: str) -> str:
    """A broker URL fit to show: any password (in the user part or the query) hidden."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = urllib.parse.urlencode(
        [
            (k, "***" if k.lower() == "password" else v)
            for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


def describe(conn: BrokerConnection) -> dict[str, Any]:
    """A plain summary of a connection, for `charlie status` and the UI."""
    return {
        "role": conn.role,
        "url": redact(conn.url),
        "broker_id": conn.broker_id,
        "redis_pid": conn.redis_pid,
    }
