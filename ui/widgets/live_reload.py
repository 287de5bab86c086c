"""Keeps a screen's data current without reloading screens nobody sees.

Screens hear about every change: their own user's actions (a correction, a save) and
news from other processes through the database's change events (another window, the
CLI, an import, the worker's enrichment). A visible screen reloads; one covered by
another screen only notes it and reloads when it shows again. Loads run one at a time,
and news from elsewhere starts at most one every :data:`LIVE_GAP_SECONDS`, so a burst
of thousands of events costs a few reloads a second, the last one after the burst.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import ModalScreen, Screen

from ui.workers import Paced

LIVE_GAP_SECONDS = 0.3
"""The least time between two reloads of one screen caused by news from elsewhere."""


def in_view(screen: Screen[Any]) -> bool:
    """Whether the screen can be seen: on top, or under dialogs only.

    (``Screen.is_current`` also counts the screen right under a full screen, which
    Textual keeps in case the one on top is see-through.)
    """
    for top in reversed(screen.app.screen_stack):
        if top is screen:
            return True
        if not isinstance(top, ModalScreen):
            return False
    return False


class LiveReload:
    """Reload policy for one screen's data (the loader is a thread worker starter)."""

    def __init__(
        self, screen: Screen[Any], load: Callable[[], object], *, gap: float = LIVE_GAP_SECONDS
    ) -> None:
        self._screen = screen
        self._loads = Paced(screen, load, gap)
        self._stale = False

    @property
    def busy(self) -> bool:
        """Whether a load is running or waiting for its turn."""
        return self._loads.busy

    def now(self) -> None:
        """Load now (or right after the load that is running)."""
        self._stale = False
        self._loads.request()

    def changed(self, *, paced: bool = False) -> None:
        """The data changed: load if the screen is visible, else once it shows.

        ``paced``: the news came from elsewhere, possibly in a burst, so wait for the gap
        since the last load (this screen's own actions load at once).
        """
        if not in_view(self._screen):
            self._stale = True
        elif paced:
            self._loads.soon()
        else:
            self.now()

    def resumed(self) -> None:
        """The screen shows again: catch up if anything changed meanwhile."""
        if self._stale:
            self.now()

    def done(self) -> None:
        """The running load ended (with a result or an error)."""
        self._loads.done()
