"""Split an entity: two people who share a first name, told apart. Mark the entries that
are about the other one, name them (an existing entity's name links to it, otherwise a
new one is made) and give their type; those entries stay with it when read again."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Label, OptionList, SelectionList, Static
from textual.widgets.selection_list import Selection

from backend.models import EntityMention, EntityPage, EntityRef
from ui.dialogs.correction import CorrectionDialog, name_preview
from ui.widgets import graph_text
from ui.widgets.type_choice import TypeChoice

HINT = "Space mark · Tab next · Enter split · Esc cancel"
NOTHING_MARKED = "Mark the entries to move first (Space marks one)."


def mention_prompt(mention: EntityMention) -> Content:
    """An entry in the list: its date, its title and the sentence naming the entity."""
    quote = mention.quote or ", ".join(mention.names)
    parts: list[str | tuple[str, str]] = [
        (graph_text.short_date(mention.entry_at), "$accent"),
        "  ",
        (mention.entry_title or "(untitled)", "bold"),
    ]
    if quote:
        parts += ["  ", (graph_text.quoted(quote), graph_text.MUTED)]
    return Content.assemble(*parts)


class SplitEntity(CorrectionDialog[tuple[EntityRef, int] | None]):
    """Dismisses with (the entity the entries moved to, how many moved), or None."""

    HELP_TITLE = "Split"

    def __init__(self, page: EntityPage) -> None:
        super().__init__()
        self.page = page
        """The page of the entity being split (its mentions are the entries offered)."""
        self._found: dict[str, EntityRef | None] | None = None

    @property
    def entity(self) -> EntityRef:
        return self.page.entity

    def compose(self) -> ComposeResult:
        entity = self.entity
        with Vertical(id="split-box", classes="dialog"):
            yield Label(f"Split “{entity.name}”", classes="dialog-title")
            yield Static(
                f"Mark the entries that are about another {entity.type.lower()}, then say "
                "who (or what) they are about.",
                id="split-intro",
                markup=False,
            )
            yield SelectionList[str](
                *(Selection(mention_prompt(m), m.entry_id) for m in self.page.mentions),
                id="split-entries",
            )
            with Horizontal(classes="form-labels"):
                yield Label("Move them to", classes="name-label")
                yield Label("Type", classes="type-label")
            with Horizontal(id="split-form"):
                yield Input(placeholder="A name (an existing one, or a new one)", id="split-name")
                yield TypeChoice(entity.type, id="split-types")
            yield Static(id="split-preview", markup=False)
            yield Static(id="split-error", classes="dialog-error", markup=False)
            yield Static(HINT, id="split-hint")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    @on(Input.Changed, "#split-name")
    def _named(self, event: Input.Changed) -> None:
        self._found = None
        self._preview()
        if event.value.strip():
            self.look_up(event.value)

    def on_correction_dialog_looked_up(self, message: CorrectionDialog.LookedUp) -> None:
        """Say whether the name is someone already known, once we know."""
        if message.looked_for == self.query_one("#split-name", Input).value:
            self._found = message.found
            self._preview()

    @on(OptionList.OptionHighlighted, "#split-types")
    def _typed(self, event: OptionList.OptionHighlighted) -> None:
        self._preview()

    @on(SelectionList.SelectedChanged, "#split-entries")
    def _marked(self, event: SelectionList.SelectedChanged[str]) -> None:
        self.show_error("")
        self._preview()

    def _preview(self) -> None:
        """What Enter will do, in a sentence (empty until there is a name to say it of)."""
        name = self.query_one("#split-name", Input).value
        preview = self.query_one("#split-preview", Static)
        if not name.strip() or self._found is None:
            preview.update("")
            return
        type_ = self.query_one(TypeChoice).value
        count = len(self.query_one(SelectionList).selected)
        moved = graph_text.entries_count(count) if count else "The marked entries"
        verb = "moves" if count == 1 else "move"
        preview.update(f"{moved} {verb} to {name_preview(name, type_, self._found[type_])}.")

    @on(Input.Submitted, "#split-name")
    @on(OptionList.OptionSelected, "#split-types")
    def _submitted(self, event: Input.Submitted | OptionList.OptionSelected) -> None:
        event.stop()
        entry_ids = list(self.query_one(SelectionList).selected)
        if not entry_ids:
            self.show_error(NOTHING_MARKED)
            return
        name = self.query_one("#split-name", Input).value
        type_ = self.query_one(TypeChoice).value
        api, entity_id, journal = self.api, self.entity.id, self.charlie.journal

        def split() -> tuple[EntityRef, int]:
            here = api.journal(journal)
            target = here.curation.split(entity_id, entry_ids, name, type=type_)
            return here.graph.entity(target, limit=1).entity, len(entry_ids)

        self.apply(split)
