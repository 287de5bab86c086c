"""The Textual app: owns the API object, the clock, the open journal and error reporting.

``charlie.py`` builds a :class:`backend.api.CharlieAPI` and hands it to
:class:`CharlieApp`; when the API cannot be opened it shows :class:`StartupErrorApp`
instead. Tests build the same app on a temporary data directory with a fixed clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path, PurePath

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from backend.api import CharlieAPI
from backend.errors import CharlieError
from ui.dialogs.error import ErrorDialog
from ui.dialogs.help import HelpScreen, binding_sections
from ui.messages import EntriesChanged, JournalRenamed
from ui.screens.editor import EditorScreen
from ui.screens.home import HomeScreen
from ui.screens.startup_error import StartupErrorScreen

Clock = Callable[[], datetime]

_HERE = Path(__file__).parent
CSS_FILES: list[str | PurePath] = [
    _HERE / "app.tcss",
    _HERE / "screens" / "home.tcss",
    _HERE / "screens" / "editor.tcss",
    _HERE / "screens" / "reader.tcss",
    _HERE / "screens" / "startup_error.tcss",
    _HERE / "dialogs" / "dialogs.tcss",
]


def system_clock() -> datetime:
    """Now, as an aware datetime in the machine's time zone."""
    return datetime.now().astimezone()


class CharlieApp(App[None]):
    """Charlie's terminal UI on top of one CharlieAPI."""

    TITLE = "Charlie"
    CSS_PATH = CSS_FILES
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        # F1 too, because ? types a question mark while a text field has the focus.
        Binding("f1", "help", "Help"),
    ]

    def __init__(
        self, api: CharlieAPI, *, clock: Clock | None = None, journal: str | None = None
    ) -> None:
        """Show ``journal`` (default: the settings' default journal) of ``api``.

        ``clock`` returns an aware "now"; tests pass a fixed one so that "This week"
        and the editor's prefilled date do not depend on when they run.
        """
        super().__init__()
        self.api = api
        """The only way to the data."""
        self.clock: Clock = clock or system_clock
        """Where "now" comes from."""
        # Kept as a name, never None: after the default journal is renamed, asking the
        # backend for "the default" would quietly create a fresh, empty one.
        self.journal: str = journal or api.settings.default_journal
        """The name of the open journal."""
        self._saving_to_quit = False

    def now(self) -> datetime:
        """The current time from the app's clock."""
        return self.clock()

    def get_default_screen(self) -> Screen[None]:
        """The entry list is the bottom of the screen stack."""
        return HomeScreen()

    def on_mount(self) -> None:
        self.sub_title = self.journal

    @property
    def home(self) -> HomeScreen:
        """The home screen (always the bottom of the stack)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, HomeScreen)
        return screen

    def show_error(self, error: BaseException) -> None:
        """The one place errors reach the user.

        A CharlieError's message is written for the user and shown as-is in a dialog;
        anything else is a bug or an outage the backend did not translate, so it gets
        a short notification and the full story in the Textual log.
        """
        offer_quit, self._saving_to_quit = self._saving_to_quit, False
        if offer_quit:
            # Whatever failed, the user asked to quit: say so, and let them insist.
            text = str(error) if isinstance(error, CharlieError) else repr(error)
            self.push_screen(
                ErrorDialog(text, title="Could not save before quitting", offer_quit=True)
            )
            return
        if isinstance(error, CharlieError):
            self.push_screen(ErrorDialog(str(error)))
            return
        self.log.error("Unexpected error", error)
        self.notify(
            f"{type(error).__name__}: {error}",
            title="Unexpected error",
            severity="error",
            timeout=10,
        )

    def switch_journal(self, name: str) -> None:
        """Open another journal."""
        self.journal = name
        self.sub_title = name
        self.home.reload(fresh=True)

    def on_entries_changed(self, message: EntriesChanged) -> None:
        """An entry was saved or deleted somewhere: the list must catch up."""
        self.home.request_reload(message.entry_id)

    def on_journal_renamed(self, message: JournalRenamed) -> None:
        """Follow a rename of the open journal."""
        if message.old.casefold() == self.journal.casefold():
            self.journal = message.new
            self.sub_title = message.new

    def action_help(self) -> None:
        """Show every key that works here, read from the bindings."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(binding_sections(self.screen)))

    async def action_quit(self) -> None:
        """Quit, saving the editor's text first so that quitting never loses writing.

        If that save fails the error dialog says so, and a second Ctrl+Q while it is
        open quits anyway (for when the data cannot be reached at all).
        """
        screen = self.screen
        if isinstance(screen, ErrorDialog) and screen.offer_quit:
            self.exit()
            return
        editors = [s for s in self.screen_stack if isinstance(s, EditorScreen)]
        if not editors:
            self.exit()
            return
        self._saving_to_quit = True
        editors[-1].save(then_quit=True)


class StartupErrorApp(App[None]):
    """Shown instead of CharlieApp when the data directory or database cannot be opened."""

    TITLE = "Charlie"
    CSS_PATH = CSS_FILES

    def __init__(self, message: str) -> None:
        """``message`` is the CharlieError's text, shown as-is."""
        super().__init__()
        self.message = message
        """What went wrong."""

    def get_default_screen(self) -> Screen[None]:
        """The only screen: what went wrong and how to quit."""
        return StartupErrorScreen(self.message)
