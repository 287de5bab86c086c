"""One place where raw Redis errors become messages a user can read.

Every service class is decorated with :func:`friendly_errors`: a public method that loses
its server rides through an owner change once (the broker rejoins, maybe as the new
owner) and runs again; any other Redis error becomes a :class:`BrokerError` that says
what happened and that nothing saved is lost.
"""

from __future__ import annotations

import functools
import inspect
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from backend.broker.ownership import rejoined
from backend.errors import BrokerError
from backend.shared import Backend

OWNER_CHANGES = 3
"""How many owner changes one call rides through. Short-lived owners (CLI commands) can
hand the data directory on twice while a client's call waits; the server, and what it
saved, is the same each time."""

DISK_FULL_BYTES = 32 * 1024 * 1024
"""Below this much free space, a failed write is reported as a full disk."""


def lost_contact(data_dir: Path | None, exc: Exception) -> str:
    """What to tell the user when the database did not answer or refused a write."""
    if data_dir is not None:
        try:
            free = shutil.disk_usage(data_dir).free
        except OSError:
            free = None
        if free is not None and (free < DISK_FULL_BYTES or "No space" in str(exc)):
            return (
                f"The disk holding {data_dir} is full ({free / 1e6:.0f} MB free); nothing "
                "was saved — free some space (what you typed is still here). Charlie "
                "carries on by itself once there is room."
            )
    return (
        f"Lost contact with the Charlie database ({exc}). If it keeps happening, restart "
        "Charlie; nothing saved is lost."
    )


def friendly_errors[T](cls: type[T]) -> type[T]:
    """Wrap every public method of a service (which keeps its Backend in ``_backend``).

    A method with an ``id_key`` parameter gets a fresh key when the caller gave none,
    before the first attempt: the rerun after an owner change then finds a save that did
    commit instead of adding it twice. Generators (event streams) are left alone."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        if inspect.isgeneratorfunction(member):
            continue
        setattr(cls, name, _translated(member))
    return cls


def _translated(method: Callable[..., Any]) -> Callable[..., Any]:
    keyed = "id_key" in inspect.signature(method).parameters

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        backend: Backend = self._backend
        if keyed and kwargs.get("id_key") is None:
            kwargs["id_key"] = secrets.token_hex(12)
        for changes in range(OWNER_CHANGES + 1):
            try:
                return method(self, *args, **kwargs)
            except redis.ConnectionError as exc:
                # The server went away (its owner left): ownership moves to whoever
                # holds the lock now, maybe this process; then the call runs again.
                if changes == OWNER_CHANGES or not rejoined(backend.broker):
                    raise BrokerError(lost_contact(backend.settings.data_dir, exc)) from exc
            except redis.RedisError as exc:
                raise BrokerError(lost_contact(backend.settings.data_dir, exc)) from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

    return call
