"""A draft beside the entry as saved ("Show both"), so the user can compare and copy.

Both texts are read-only text areas: Tab into one, select with the mouse or
Shift+arrows, and Ctrl+C copies. The choices are the restore offer's: Restore the
draft, Discard it, or Later.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from backend.drafts import Draft
from backend.models import Entry
from ui import text_changes, timeline
from ui.dialogs.restore_draft import CHOICES, draft_heading
from ui.widgets.version_pane import VersionPane


class CompareDraft(ModalScreen[str | None]):
    """Dismisses with "restore", "discard", or None for later."""

    BINDINGS = [
        # Letters work with a text focused too: read-only text areas do not take them.
        Binding("r", "choose('restore')", "Restore draft"),
        Binding("x", "choose('discard')", "Discard draft"),
        Binding("escape", "choose('later')", "Later"),
    ]

    def __init__(self, draft: Draft, entry: Entry, *, now: datetime) -> None:
        super().__init__()
        self.draft = draft
        """The unsaved draft."""
        self.entry = entry
        """The entry as it is saved now."""
        self.now = now

    def compose(self) -> ComposeResult:
        draft, entry = self.draft, self.entry
        changed = text_changes.describe(entry.title, entry.body, draft.title, draft.body)
        saved = timeline.moment(entry.updated_at, self.now)
        with Vertical(id="compare-draft-box", classes="dialog wide-dialog"):
            yield Label(draft_heading(draft, self.now), classes="dialog-title", markup=False)
            with Horizontal(classes="versions"):
                yield VersionPane(
                    "The draft (not saved)",
                    f"Differs from the saved entry in: {changed}",
                    draft.title,
                    draft.body,
                    first_change=text_changes.first_change(entry.body, draft.body),
                    id="compare-draft-mine",
                )
                yield VersionPane(
                    "The saved entry",
                    f"Saved {saved} (revision {entry.revision})",
                    entry.title,
                    entry.body,
                    id="compare-draft-saved",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Restore draft (r)", id="compare-draft-restore", variant="primary")
                yield Button("Discard draft (x)", id="compare-draft-discard", variant="error")
                yield Button("Later (Esc)", id="compare-draft-later")

    def on_mount(self) -> None:
        self.query_one("#compare-draft-restore", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer with the button pressed."""
        event.stop()
        self.action_choose((event.button.id or "").removeprefix("compare-draft-"))

    def action_choose(self, choice: str) -> None:
        """Answer; anything but restore or discard means later."""
        self.dismiss(choice if choice in CHOICES and choice != "compare" else None)
