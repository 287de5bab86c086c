"""Asks before a journal is deleted: the user types its name, as with a repository on
a code host, because a whole journal is too much to lose to one stray key."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


def entries_text(count: int) -> str:
    """The count in words: "1 entry", "12 entries"."""
    return f"{count:,} entr{'y' if count == 1 else 'ies'}"


class DeleteJournal(ModalScreen[bool]):
    """Dismisses with True once the journal's name is typed and confirmed, False to keep
    it. Keep has the focus until the name is typed; Delete stays disabled until then."""

    BINDINGS = [Binding("escape", "keep", "Keep")]

    def __init__(self, name: str, entries: int, *, is_open: bool) -> None:
        super().__init__()
        self.journal_name = name
        """The journal to delete, as the list shows it."""
        self.entries = entries
        """How many entries it holds (the delete is refused if that changes meanwhile)."""
        self.is_open = is_open
        """It is the journal open now (another one opens after the delete)."""

    def compose(self) -> ComposeResult:
        then = " Another journal opens afterwards." if self.is_open else ""
        with Vertical(id="delete-journal-box", classes="dialog"):
            yield Label(f"Delete the journal “{self.journal_name}”?", classes="dialog-title")
            yield Static(
                f"It holds {entries_text(self.entries)}. Everything in it goes: entries, "
                f"drafts, people, places and background jobs.{then}",
                id="delete-journal-detail",
                markup=False,
            )
            yield Static(
                "A backup of everything is taken first (charlie restore brings it back).",
                id="delete-journal-backup",
                markup=False,
            )
            yield Input(
                placeholder=f"Type {self.journal_name} to delete it", id="delete-journal-name"
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Delete", id="delete-journal-yes", variant="error", disabled=True)
                yield Button("Keep (Esc)", id="delete-journal-keep", variant="default")

    def on_mount(self) -> None:
        box = self.query_one(Input)
        box.cursor_blink = self.app.animation_level != "none"
        box.focus()

    def _typed_right(self) -> bool:
        typed = self.query_one(Input).value.strip().casefold()
        return typed == self.journal_name.casefold()

    @on(Input.Changed, "#delete-journal-name")
    def _typed(self) -> None:
        self.query_one("#delete-journal-yes", Button).disabled = not self._typed_right()

    @on(Input.Submitted, "#delete-journal-name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._typed_right():
            self.dismiss(True)
        else:
            self.notify(f"Type {self.journal_name} exactly, or press Esc to keep it.")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Delete (only enabled once the name is typed) or keep."""
        event.stop()
        self.dismiss(event.button.id == "delete-journal-yes" and self._typed_right())

    def action_keep(self) -> None:
        """Leave the journal as it is."""
        self.dismiss(False)
