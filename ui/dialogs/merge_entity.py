"""Pick the duplicate to fold into an entity: every other entity, those of the same type
first, then the others (the kept entity's type wins, so a "Jordan" read as a person can
join the place), each most mentioned first, narrowed by a filter box as you type."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static
from textual.worker import Worker, get_current_worker

from backend.models import EntityRef
from ui.widgets.entity_list import EntityList, entity_row, note_row
from ui.workers import BackendWorkers

HINT = "Type to filter · ↑↓ choose · Enter merge · Esc cancel"


def matches(ref: EntityRef, words: list[str]) -> bool:
    """Whether every typed word is in the entity's name (ignoring case)."""
    name = ref.name.casefold()
    return all(word in name for word in words)


class MergePicker(BackendWorkers, ModalScreen[EntityRef | None]):
    """Dismisses with the entity to merge into ``keep``, or None when cancelled."""

    HELP_TITLE = "Merge"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # The filter box keeps the focus, so the arrows move the list's cursor from it.
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    class Loaded(Message):
        """The candidates arrived."""

        def __init__(self, candidates: list[EntityRef]) -> None:
            super().__init__()
            self.candidates = candidates

    def __init__(self, keep: EntityRef) -> None:
        super().__init__()
        self.keep = keep
        """The entity that stays; the one picked is folded into it."""
        self._candidates: list[EntityRef] = []
        self._by_id: dict[str, EntityRef] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="merge-box", classes="dialog"):
            yield Label(f"Merge into “{self.keep.name}”", classes="dialog-title")
            yield Static(
                f"Pick the one that is really {self.keep.name}. Of another type, it "
                f"becomes a {self.keep.type.lower()}.",
                id="merge-intro",
                markup=False,
            )
            yield Input(placeholder="Filter by name", id="merge-filter")
            yield EntityList(id="merge-list")
            yield Static(HINT, id="merge-hint")

    def on_mount(self) -> None:
        box = self.query_one(Input)
        box.cursor_blink = self.app.animation_level != "none"
        box.focus()
        self.query_one(EntityList).loading = True
        self._load()

    @work(thread=True, exclusive=True, group="merge-load", exit_on_error=False)
    def _load(self) -> None:
        found = self.here().graph.entities()
        others = [ref for ref in found if ref.id != self.keep.id]
        # Same type first; sorted() keeps "most mentioned first" within each part.
        others.sort(key=lambda ref: ref.type != self.keep.type)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(others))

    def on_merge_picker_loaded(self, message: Loaded) -> None:
        """Show the candidates, filtered by what is typed so far."""
        self._candidates = message.candidates
        self._by_id = {ref.id: ref for ref in message.candidates}
        self.query_one(EntityList).loading = False
        self._show()

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop waiting; the dialog can be closed."""
        self.query_one(EntityList).loading = False

    @on(Input.Changed, "#merge-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._show()

    def _show(self) -> None:
        words = self.query_one(Input).value.casefold().split()
        shown = [ref for ref in self._candidates if matches(ref, words)]
        rows = [entity_row(ref) for ref in shown]
        if not rows:
            text = "No other name matches." if self._candidates else "There are no other names yet."
            rows = [note_row("none", text)]
        self.query_one(EntityList).show_rows(rows)

    def action_move(self, step: int) -> None:
        """Move the list's cursor while typing in the filter."""
        options = self.query_one(EntityList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(Input.Submitted, "#merge-filter")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        row = self.query_one(EntityList).highlighted_row
        if row is not None and row.target is not None:
            self.dismiss(self._by_id[row.target])

    @on(EntityList.Chosen, "#merge-list")
    def _chosen(self, event: EntityList.Chosen) -> None:
        if event.row.target is not None:
            self.dismiss(self._by_id[event.row.target])

    def action_cancel(self) -> None:
        """Close without merging."""
        self.dismiss(None)
