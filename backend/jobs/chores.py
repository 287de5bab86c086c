"""Chores: the periodic duties an owner's supervisor does besides running the worker.

The supervisor ticks a few times a second. Each chore says how often it is worth doing,
and the supervisor calls it on the first tick at least ``interval`` seconds after the
last call (the first time, ``interval`` seconds after the supervisor was built), before
it looks after the worker. The supervisor brings its own chore (restarting a database
server that died); whoever builds it adds the rest, such as the daily backup, so the
jobs package needs to know nothing about them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Chore:
    """A duty the supervisor does every ``interval`` seconds, in its own thread."""

    name: str
    """What the chore is, in words (for logs and tests)."""
    interval: float
    """Seconds between two calls; 0 calls it every tick."""
    run: Callable[[], None]
    """The work. It runs in the supervisor's thread, so it should be quick or rare; an
    exception it raises is the tick's (logged, shown in the status, retried later)."""
