"""The line under the editor's text, and the editor's "open here" marks.

Left: words and characters. Middle: "Also open in another window" while another editor
shows the same entry. Right: whether the text is kept as a draft ("Draft kept 14:32").
The widget also keeps this editor's marks (backend/presence.py) on the entry and on its
draft, so other windows can say the entry is being edited and never offer a draft that
is still being written; the marks are renewed every few seconds, dropped when the editor
closes, and expire by themselves if Charlie dies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label

from backend.errors import CharlieError

if TYPE_CHECKING:
    from ui.app import CharlieApp


def count_text(text: str) -> str:
    """ "12 words · 64 characters"."""
    words, chars = len(text.split()), len(text)
    return (
        f"{words:,} word{'' if words == 1 else 's'} · "
        f"{chars:,} character{'' if chars == 1 else 's'}"
    )


class EditorStatus(Horizontal):
    """Counts, "Also open in another window", and the draft's state."""

    DEFAULT_CSS = """
    EditorStatus {
        height: 1;
        padding: 0 2;
        color: $text-muted;
    }
    EditorStatus #editor-count, EditorStatus #editor-draft {
        width: auto;
    }
    EditorStatus #editor-elsewhere {
        width: 1fr;
        text-align: center;
        color: $warning;
        text-style: bold;
    }
    EditorStatus #editor-draft.-error {
        color: $error;
    }
    """
    PRESENCE_SECONDS = 10.0
    """How often the marks are renewed (they expire after 30 s)."""

    class Counted(Message):
        """How many other editors show the entry."""

        def __init__(self, others: int) -> None:
            super().__init__()
            self.others = others

    def __init__(self, session: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session = session
        """The editor's name in the marks."""
        self._marks: tuple[str, str | None, str] | None = None

    def compose(self) -> ComposeResult:
        yield Label(id="editor-count")
        yield Label(id="editor-elsewhere")
        yield Label(id="editor-draft")

    def on_mount(self) -> None:
        self.set_interval(self.PRESENCE_SECONDS, self._renew)

    def show_count(self, text: str) -> None:
        self.query_one("#editor-count", Label).update(count_text(text))

    def show_draft(self, text: str, *, error: bool = False) -> None:
        label = self.query_one("#editor-draft", Label)
        label.update(text)
        label.set_class(error, "-error")

    def follow(self, journal: str, draft_id: str, entry_id: str | None) -> None:
        """Mark this draft (and entry, if any) as open here, dropping earlier marks."""
        if self._marks is not None:
            old_draft, old_entry, old_journal = self._marks
            self._close(
                old_journal,
                [key for key in (old_draft, old_entry) if key not in (draft_id, entry_id)],
            )
        self._marks = (draft_id, entry_id, journal)
        if entry_id is None:
            self.query_one("#editor-elsewhere", Label).update("")
        self._renew()

    def _renew(self) -> None:
        if self._marks is not None:
            self._mark_open(*self._marks)

    @work(thread=True, exclusive=True, group="editor-presence", exit_on_error=False)
    def _mark_open(self, draft_id: str, entry_id: str | None, journal: str) -> None:
        api = cast("CharlieApp", self.app).api
        try:
            entries = api.journal(journal).entries
            # The draft's mark tells other apps this draft is being written.
            entries.mark_open(draft_id, self.session)
            others = 0
            if entry_id is not None:
                others = entries.mark_open(entry_id, self.session)
        except CharlieError as error:
            # Only a courtesy, and the marks expire by themselves; try again next round.
            self.log.warning("Could not mark the entry open", error)
            return
        self.post_message(self.Counted(others))

    def on_editor_status_counted(self, message: Counted) -> None:
        message.stop()
        if self._marks is None or self._marks[1] is None:
            text = ""
        elif message.others == 0:
            text = ""
        elif message.others == 1:
            text = "Also open in another window"
        else:
            text = f"Also open in {message.others} other windows"
        self.query_one("#editor-elsewhere", Label).update(text)

    def on_unmount(self) -> None:
        if self._marks is not None:
            draft_id, entry_id, journal = self._marks
            self._close(journal, [draft_id, entry_id])

    def _close(self, journal: str, keys: list[str | None]) -> None:
        app = cast("CharlieApp", self.app)
        api, session = app.api, self.session

        def close() -> None:
            marked = [key for key in keys if key is not None]
            try:
                if marked:
                    entries = api.journal(journal).entries
                    for key in marked:
                        entries.mark_closed(key, session)
            except CharlieError:
                pass  # The marks expire by themselves.

        # On the app: the editor may be closing, and its workers with it.
        app.run_worker(close, thread=True, group="presence", exit_on_error=False)
