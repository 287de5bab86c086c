"""Keeps a view of the knowledge graph current without reloading screens nobody sees.

Graph screens (entity pages, search, the period view, the reader's sidebar) hear about
every change (a curation, a finished enrichment). A visible screen reloads at once; one
covered by another screen only notes it and reloads when it shows again. Loads run one
at a time, and a burst of news while one runs costs exactly one more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from ui.workers import OneAtATime


class LiveReload:
    """Reload policy for one screen's data (the loader is a thread worker starter)."""

    def __init__(self, screen: Screen[Any], load: Callable[[], object]) -> None:
        self._screen = screen
        self._loads = OneAtATime(load)
        self._stale = False

    def now(self) -> None:
        """Load now (or right after the load that is running)."""
        self._stale = False
        self._loads.request()

    def changed(self) -> None:
        """The graph changed: load now if the screen is visible, else once it shows."""
        if self._screen.is_current:
            self.now()
        else:
            self._stale = True

    def resumed(self) -> None:
        """The screen shows again: catch up if anything changed meanwhile."""
        if self._stale:
            self.now()

    def done(self) -> None:
        """The running load ended (with a result or an error)."""
        self._loads.done()
