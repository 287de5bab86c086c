"""Offers one unsaved draft back: "Draft from 14:32, 83 words — Restore / Discard / Show both".

Shown on start for each draft of the open journal that no running editor is writing, and
when an entry that has such a draft is opened in the editor. Nothing happens to the
draft unless the user picks Restore or Discard; Later keeps it for the next time.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from backend.drafts import Draft
from backend.models import Entry
from ui import timeline

CHOICES = ("restore", "compare", "discard")
"""What the dialogs about drafts answer; None means "later" (leave the draft as it is)."""


def draft_heading(draft: Draft, now: datetime) -> str:
    """ "Draft from 14:32, 83 words"."""
    words = f"{draft.words} word" + ("" if draft.words == 1 else "s")
    return f"Draft from {timeline.moment(draft.saved, now)}, {words}"


def draft_subject(draft: Draft, entry: Entry | None) -> str:
    """What the draft is of, and what restoring it will do."""
    if draft.entry_id is None:
        return "A new entry that was never saved."
    if entry is None:
        return "Changes to an entry that was deleted since. Restoring opens them as a new entry."
    name = entry.display_title or "an untitled entry"
    text = f"Changes to “{name}” that were not saved."
    if entry.revision != draft.base_revision:
        text += (
            " The entry was changed since the draft began; saving the restored draft "
            "shows both versions first."
        )
    return text


class RestoreDraft(ModalScreen[str | None]):
    """Dismisses with "restore", "compare", "discard", or None for later."""

    BINDINGS = [
        Binding("r", "choose('restore')", "Restore"),
        Binding("s", "choose('compare')", "Show both"),
        Binding("x", "choose('discard')", "Discard"),
        Binding("escape", "choose('later')", "Later"),
    ]

    def __init__(
        self,
        draft: Draft,
        entry: Entry | None,
        *,
        now: datetime,
        position: tuple[int, int] = (1, 1),
    ) -> None:
        """``entry``: the entry an edit's draft changes, as stored now (None for a new
        entry's draft, or when that entry was deleted). ``position``: (n, of how many)."""
        super().__init__()
        self.draft = draft
        """The draft offered."""
        self.entry = entry
        """The entry it changes, if it still exists."""
        self.now = now
        self.position = position

    def compose(self) -> ComposeResult:
        heading = draft_heading(self.draft, self.now)
        index, total = self.position
        if total > 1:
            heading += f" ({index} of {total})"
        with Vertical(id="restore-draft-box", classes="dialog"):
            yield Label(heading, classes="dialog-title", markup=False)
            yield Static(draft_subject(self.draft, self.entry), id="restore-draft-subject")
            yield Static(self.draft.preview or "(empty)", id="restore-draft-preview", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Restore (r)", id="restore-draft-restore", variant="primary")
                if self.entry is not None:
                    yield Button("Show both (s)", id="restore-draft-compare")
                yield Button("Discard (x)", id="restore-draft-discard", variant="error")
                yield Button("Later (Esc)", id="restore-draft-later")

    def on_mount(self) -> None:
        self.query_one("#restore-draft-restore", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show both needs a saved entry to show beside the draft."""
        if action == "choose" and parameters == ("compare",):
            return self.entry is not None
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer with the button pressed."""
        event.stop()
        self.action_choose((event.button.id or "").removeprefix("restore-draft-"))

    def action_choose(self, choice: str) -> None:
        """Answer; anything but the three choices means later."""
        self.dismiss(choice if choice in CHOICES else None)
