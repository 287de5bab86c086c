"""How the app opens its screens (a mixin of :class:`ui.app.CharlieApp`, which keeps the
app module small): one ``action_open_*`` per screen, for its keys, the F-keys and the
command palette. Screens the home screen does not need are imported on first use, since
start-up time counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from ui.screens.dead_jobs import DeadJobsScreen
from ui.screens.editor import EditorScreen
from ui.screens.import_screen import ImportScreen
from ui.screens.queue import QueueScreen
from ui.screens.settings import SettingsScreen

if TYPE_CHECKING:
    from ui.app import CharlieApp

    _Mixin = CharlieApp
else:
    _Mixin = object


class OpensScreens(_Mixin):
    """``_open`` and the ``action_open_*`` actions."""

    def _open(self, screen: Screen[None]) -> None:
        """Open ``screen`` on top, or go back to the one of its kind already open.

        Escape then leads back the way the user came (Queue, then Dead jobs: Escape is
        the Queue again), and no kind of screen is ever open twice. Going back never
        closes an editor: with one above, the screen opens anew on top.
        """
        if isinstance(self.screen, type(screen)) or self.still_opening():
            return
        stack = self.screen_stack
        for depth, below in enumerate(stack):
            above = stack[depth + 1 :]
            if type(below) is type(screen) and not any(isinstance(s, EditorScreen) for s in above):
                for _ in above:
                    self.pop_screen()
                return
        self.push_screen(screen)

    def action_open_queue(self) -> None:
        """Show what the background worker is doing and what waits."""
        self._open(QueueScreen())

    def action_open_dead(self) -> None:
        """Show jobs that failed for good."""
        self._open(DeadJobsScreen())

    def action_open_settings(self) -> None:
        """Show the settings."""
        self._open(SettingsScreen())

    def action_open_import(self) -> None:
        """Import entries from another journaling app or a folder of files."""
        self._open(ImportScreen())

    def action_open_search(self) -> None:
        """Search entries and names."""
        from ui.screens.search import SearchScreen

        self._open(SearchScreen())

    def action_open_period(self) -> None:
        """Show who and what appeared this month."""
        from ui.screens.period import PeriodScreen

        self._open(PeriodScreen())

    def action_open_author(self) -> None:
        """Show the author's own page: their people, places, groups and activities."""
        from ui.screens.author import AuthorScreen

        self._open(AuthorScreen())

    def action_open_blocked(self) -> None:
        """List the names that are never picked out of entries."""
        from ui.dialogs.blocked import BlockedNames

        if not isinstance(self.screen, BlockedNames) and not self.still_opening():
            self.push_screen(BlockedNames())

    def action_open_doctor(self) -> None:
        """Check the setup and say what to fix (the report `charlie doctor` prints)."""
        from ui.screens.doctor import DoctorScreen

        if not isinstance(self.screen, DoctorScreen) and not self.still_opening():
            self.push_screen(DoctorScreen())

    def action_open_calendar(self) -> None:
        """Show the year's calendar: entries per day, streaks, words per week."""
        from ui.screens.calendar import CalendarScreen

        self._open(CalendarScreen())
