"""The conflict view: the entry was changed elsewhere while it was being edited here.

Nothing was overwritten when this shows. Both versions are side by side with what each
changed since the edit began, and the user picks: Keep mine (save over theirs, knowingly),
Keep theirs (drop the changes made here), Keep both (mine becomes a new entry), or goes
back to the editor. The editor's text stays on screen (and in its draft) until a choice
that keeps it has been saved.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from backend.models import Entry
from ui import text_changes, timeline
from ui.draft_keeper import Snapshot
from ui.widgets.version_pane import VersionPane

CONFLICT_CHOICES = ("mine", "theirs", "both")
"""The conflict view's answers; None means back to the editor."""


def copy_title(title: str) -> str:
    """The title of "my" version when both are kept: the same, marked as the copy."""
    return f"{title.strip()} (copy)" if title.strip() else "(copy)"


class EditConflict(ModalScreen[str | None]):
    """Dismisses with "mine", "theirs", "both", or None to go back to the editor."""

    BINDINGS = [
        Binding("m", "choose('mine')", "Keep mine"),
        Binding("t", "choose('theirs')", "Keep theirs"),
        Binding("b", "choose('both')", "Keep both"),
        Binding("escape", "choose('back')", "Back to editor"),
    ]

    def __init__(
        self,
        mine: Snapshot,
        theirs: Entry,
        began: Entry,
        *,
        now: datetime,
        offer_quit: bool = False,
    ) -> None:
        """``began``: the entry as it was when the edit began (what both changed)."""
        super().__init__()
        self.mine = mine
        """The text in the editor."""
        self.theirs = theirs
        """The entry as saved now, by someone else."""
        self.began = began
        self.now = now
        self.offer_quit = offer_quit
        """True when this came up while quitting: Ctrl+Q again quits, keeping the draft."""

    def compose(self) -> ComposeResult:
        mine, theirs, began = self.mine, self.theirs, self.began
        my_change = text_changes.describe(began.title, began.body, mine.title, mine.body)
        their_change = text_changes.describe(began.title, began.body, theirs.title, theirs.body)
        saved = timeline.moment(theirs.updated_at, self.now)
        with Vertical(id="edit-conflict-box", classes="dialog wide-dialog"):
            yield Label(
                "This entry was changed elsewhere while you were editing it",
                classes="dialog-title",
            )
            yield Static(
                "Nothing was overwritten. Your text stays in the editor until you choose.",
                id="edit-conflict-intro",
            )
            with Horizontal(classes="versions"):
                yield VersionPane(
                    "Yours (not saved)",
                    f"You changed: {my_change}",
                    mine.title,
                    mine.body,
                    first_change=text_changes.first_change(began.body, mine.body),
                    id="edit-conflict-mine",
                )
                yield VersionPane(
                    f"Theirs (saved {saved}, revision {theirs.revision})",
                    f"They changed: {their_change} (since revision {began.revision})",
                    theirs.title,
                    theirs.body,
                    first_change=text_changes.first_change(began.body, theirs.body),
                    id="edit-conflict-theirs",
                )
            yield Static(
                "Keep mine saves your text over theirs. Keep theirs drops your changes. "
                f"Keep both saves yours as a new entry, “{copy_title(mine.title)}”.",
                id="edit-conflict-help",
                markup=False,
            )
            if self.offer_quit:
                yield Static(
                    "Or press Ctrl+Q again to quit: your text is kept as a draft and "
                    "offered when Charlie starts.",
                    id="edit-conflict-quit",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Keep mine (m)", id="edit-conflict-mine-button", variant="warning")
                yield Button("Keep theirs (t)", id="edit-conflict-theirs-button", variant="error")
                yield Button("Keep both (b)", id="edit-conflict-both-button", variant="primary")
                yield Button("Back to editor (Esc)", id="edit-conflict-back-button")

    def on_mount(self) -> None:
        # Keeping both loses nothing, so it is the one an idle Enter picks.
        self.query_one("#edit-conflict-both-button", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer with the button pressed."""
        event.stop()
        choice = (event.button.id or "").removeprefix("edit-conflict-").removesuffix("-button")
        self.action_choose(choice)

    def action_choose(self, choice: str) -> None:
        """Answer; anything but the three choices goes back to the editor."""
        self.dismiss(choice if choice in CONFLICT_CHOICES else None)
