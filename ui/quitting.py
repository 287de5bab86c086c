"""Quitting without losing words: the editors' text is saved (or kept as a draft) first.

The app's side of quitting, as a mixin of :class:`ui.app.CharlieApp`: Ctrl+Q saves the
editor's text before it quits; a closed terminal or a shutdown signal keeps every
editor's text as a draft and then quits cleanly; drafts left by editors that are gone
are offered again (ui/draft_offers.py, ui/draft_keeper.py).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ui.draft_offers import offer_journal_drafts
from ui.screens.editor import EditorScreen

if TYPE_CHECKING:
    from ui.app import CharlieApp

    _Mixin = CharlieApp
else:
    _Mixin = object

HANGUP_EXIT_SECONDS = 5.0


class KeepsDrafts(_Mixin):
    """Quit, keeping every word typed (see the module's docstring)."""

    async def action_quit(self) -> None:
        """Quit, saving the editor's text first so that quitting never loses writing.

        If that save fails (or stops for a conflict) the dialog says so, and a second
        Ctrl+Q while it is open quits anyway, keeping the editor's text as a draft.
        """
        screen = self.screen
        if getattr(screen, "offer_quit", False):
            self.keep_drafts_and_exit()
            return
        editors = [s for s in self.screen_stack if isinstance(s, EditorScreen)]
        if not editors:
            self.exit()
            return
        self._saving_to_quit = True
        editors[-1].save(then_quit=True)

    # -- drafts (ui/draft_offers.py, ui/draft_keeper.py) --------------------------------

    after_hangup: Callable[[], None] | None = None
    """Run if the app has not exited HANGUP_EXIT_SECONDS after its terminal closed:
    cli/tui.py shuts the backend down cleanly and ends the process."""

    exit_signals: tuple[int, ...] = ()
    """Signals that keep every editor's text as a draft and then quit cleanly. cli/tui.py
    sets SIGHUP and SIGTERM (a closed terminal, a logout, a shutdown); tests leave the
    test runner's signals alone."""

    def _handle_exit_signals(self) -> None:
        # Through the event loop, not signal.signal: the handler then runs between two
        # messages, never in the middle of an edit of the text it saves.
        loop = asyncio.get_running_loop()
        for signum in self.exit_signals:
            loop.add_signal_handler(signum, self.keep_drafts_and_exit, signum)

    def keep_drafts_and_exit(self, signum: int | None = None) -> None:
        """Write every open editor's text as a draft, waiting for it, then quit."""
        for screen in self.screen_stack:
            if isinstance(screen, EditorScreen):
                screen.keep_draft_now()
        if signum == signal.SIGHUP and self.after_hangup is not None:
            # The terminal is gone. Textual's shutdown still writes to it (restoring the
            # screen) and has been seen to wait on its output thread for good; the
            # drafts are kept, so past a bound the owner shuts down without it.
            timer = threading.Timer(HANGUP_EXIT_SECONDS, self.after_hangup)
            timer.daemon = True
            timer.start()
        self.exit()

    def save_to_quit_stopped(self) -> None:
        """The save before quitting stopped to ask the user (a conflict, a deleted entry):
        the next error shown is not about quitting."""
        self._saving_to_quit = False

    def offer_drafts(self, *, at_start: bool = False) -> None:
        """Offer the open journal's drafts left by editors that are gone, one at a time."""
        offer_journal_drafts(self, at_start=at_start)
