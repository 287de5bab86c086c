"""Change an entity's type ("Lake Merritt" is a place, not a person): the four types with
the current one marked; Enter applies the one under the cursor. Its names are read as
that type from now on, so enriching an entry again keeps it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static

from backend.models import EntityRef
from ui.dialogs.correction import CorrectionDialog
from ui.widgets.type_choice import TypeChoice

HINT = "↑↓ choose · Enter change · Esc cancel"


class RetypeEntity(CorrectionDialog[str | None]):
    """Dismisses with the new type, or None when cancelled (or left as it was)."""

    HELP_TITLE = "Type"

    def __init__(self, entity: EntityRef) -> None:
        super().__init__()
        self.entity = entity
        """The entity whose type changes."""

    def compose(self) -> ComposeResult:
        with Vertical(id="retype-box", classes="dialog"):
            yield Label(f"Type of “{self.entity.name}”", classes="dialog-title")
            yield Static(
                "What is it? Its names are read as this type from now on, in every entry.",
                id="retype-intro",
            )
            yield TypeChoice(self.entity.type, current=self.entity.type, id="retype-types")
            yield Static(id="retype-error", classes="dialog-error", markup=False)
            yield Static(HINT, id="retype-hint")

    def on_mount(self) -> None:
        self.query_one(TypeChoice).focus()

    @on(OptionList.OptionHighlighted, "#retype-types")
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        self.show_error("")

    @on(OptionList.OptionSelected, "#retype-types")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        new_type = self.query_one(TypeChoice).value
        if new_type == self.entity.type:
            self.dismiss(None)  # Nothing to change.
            return
        api, entity_id, journal = self.api, self.entity.id, self.charlie.journal

        def retype() -> str:
            api.journal(journal).curation.retype(entity_id, new_type)
            return new_type

        self.apply(retype)
