"""The question of the day in an empty new entry.

It is the body's placeholder: drawn while the body is empty, gone at the first key, and
never part of the text, so it can never be saved into an entry. It is read in a thread
(a file or two) after the editor is on screen. Ctrl+G hides it until tomorrow, which is
remembered (backend/services/writing.py); the ``daily_prompt`` setting turns it off.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from textual.widgets import TextArea

from backend.errors import CharlieError
from backend.services.writing import Writing

if TYPE_CHECKING:
    from ui.app import CharlieApp

HIDE_KEY = "ctrl+g"
HINT = "(Ctrl+G hides today's question)"


class DailyPrompt:
    """Shows and hides the question in one editor's body."""

    def __init__(self, app: CharlieApp, body: TextArea) -> None:
        self.app = app
        self.body = body
        self.question: str | None = None
        """The question on show (None: none, or hidden)."""

    @property
    def showing(self) -> bool:
        return self.question is not None

    def _today(self) -> date:
        return self.app.now().astimezone().date()

    def ask(self) -> None:
        """Look for today's question in the background and show it when found."""
        writing, today = Writing(self.app.api.settings), self._today()

        def read() -> None:
            question = writing.prompt(today)
            if question is not None:
                self.app.call_from_thread(self._show, question)

        # On the screen: its worker handler reports a failure like any other.
        self.body.screen.run_worker(read, thread=True, group="editor-prompt", exit_on_error=False)

    def _show(self, question: str) -> None:
        if not self.body.is_attached:
            return
        self.question = question
        self.body.placeholder = f"{question}\n\n{HINT}"
        self.body.screen.refresh_bindings()

    def hide(self) -> None:
        """Hide the question, and remember that for today."""
        if self.question is None:
            return
        self.question = None
        self.body.placeholder = ""
        self.body.screen.refresh_bindings()
        writing, today, app = Writing(self.app.api.settings), self._today(), self.app

        def remember() -> None:
            try:
                writing.hide_prompt(today)
            except CharlieError as error:
                # Hidden here all the same; only tomorrow's editors would not know.
                app.call_from_thread(app.notify, str(error), severity="warning")

        # On the app: the editor may close before the file is written.
        app.run_worker(remember, thread=True, group="prompt-hide", exit_on_error=False)
        app.notify("Today's question is hidden until tomorrow")
