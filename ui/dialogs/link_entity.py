"""Link a name the reading missed to the entry on screen: type the name (or start from
the text selected in the reader), pick one of the entities whose names start like it
with ↑↓, or give a new one its type. The entry keeps the link when it is read again."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from backend.models import EntityRef
from ui.dialogs.correction import CorrectionDialog, name_preview
from ui.widgets import graph_text
from ui.widgets.type_choice import TypeChoice

HINT = "↑↓ pick a name below · Tab type · Enter link · Esc cancel"


class Suggestions(OptionList, can_focus=False):
    """Entities whose names start like what is typed; the name box keeps the focus and
    its ↑↓ move through them (above the first one, nothing is picked), as a click does."""

    DEFAULT_CSS = """
    Suggestions {
        height: auto;
        max-height: 6;
        border: none;
        padding: 0;
        background: transparent;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.refs: list[EntityRef] = []
        """The entities shown, top to bottom."""

    def show(self, refs: list[EntityRef]) -> None:
        """Show these entities, none picked."""
        self.refs = refs
        self.set_options(
            Option(
                Content.assemble(
                    (ref.name, "bold"),
                    (f"  {ref.type} · {graph_text.entries_count(ref.count)}", graph_text.MUTED),
                ),
                id=ref.id,
            )
            for ref in refs
        )
        self.highlighted = None
        self.display = bool(refs)

    async def _on_click(self, event: events.Click) -> None:
        # A click picks, like ↑↓; Enter links (OptionList's click would select).
        event.prevent_default()
        clicked = event.style.meta.get("option")
        if clicked is not None:
            self.highlighted = clicked

    @property
    def picked(self) -> EntityRef | None:
        """The entity under the cursor, if one is."""
        return None if self.highlighted is None else self.refs[self.highlighted]

    def step(self, by: int) -> None:
        """Move the cursor; up from the first entity picks none."""
        if not self.refs:
            return
        at = -1 if self.highlighted is None else self.highlighted
        at = max(-1, min(len(self.refs) - 1, at + by))
        self.highlighted = None if at < 0 else at


class LinkEntity(CorrectionDialog[EntityRef | None]):
    """Dismisses with the entity linked to the entry, or None when cancelled."""

    HELP_TITLE = "Link"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # The name box keeps the focus, so ↑↓ pick a suggestion from it.
        Binding("down", "step(1)", "Next name", show=False),
        Binding("up", "step(-1)", "Previous name", show=False),
    ]

    def __init__(self, entry_id: str, mentioned: set[str], name: str = "") -> None:
        super().__init__()
        self.entry_id = entry_id
        """The entry the name is linked to."""
        self.mentioned = mentioned
        """Ids of the entities the entry mentions already (not suggested)."""
        self.start_name = name
        """What the name box starts with (the text selected in the reader)."""
        self._found: dict[str, EntityRef | None] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="link-box", classes="dialog"):
            yield Label("Link a name to this entry", classes="dialog-title")
            yield Static(
                "Someone or something this entry is about that was not picked out.",
                id="link-intro",
            )
            with Horizontal(classes="form-labels"):
                yield Label("Name", classes="name-label")
                yield Label("Type", classes="type-label")
            with Horizontal(id="link-form"):
                yield Input(
                    self.start_name, placeholder="A name", id="link-name", select_on_focus=False
                )
                yield TypeChoice(id="link-types")
            yield Suggestions(id="link-suggestions")
            yield Static(id="link-preview", markup=False)
            yield Static(id="link-error", classes="dialog-error", markup=False)
            yield Static(HINT, id="link-hint")

    def on_mount(self) -> None:
        self.query_one(Suggestions).display = False
        self.query_one("#link-name", Input).focus()
        if self.start_name.strip():
            self.look_up(self.start_name, similar=True)

    @property
    def _typed_name(self) -> str:
        return self.query_one("#link-name", Input).value

    @on(Input.Changed, "#link-name")
    def _typed(self, event: Input.Changed) -> None:
        self._found = None
        self.query_one(Suggestions).show([])
        self._preview()
        if event.value.strip():
            self.look_up(event.value, similar=True)

    def on_correction_dialog_looked_up(self, message: CorrectionDialog.LookedUp) -> None:
        """Show the names that start like it, and say what Enter will link."""
        if message.looked_for != self._typed_name:
            return  # Typed on meanwhile; that lookup is coming.
        self._found = message.found
        alike = [ref for ref in message.similar if ref.id not in self.mentioned]
        self.query_one(Suggestions).show(alike[:6])
        self._preview()

    def action_step(self, by: int) -> None:
        """Pick the next or previous suggestion (or none, above the first)."""
        self.query_one(Suggestions).step(by)
        self._picked()

    @on(OptionList.OptionHighlighted, "#link-suggestions")
    def _picked(self) -> None:
        # The type of the entity picked becomes the choice.
        picked = self.query_one(Suggestions).picked
        if picked is not None:
            self.query_one(TypeChoice).value = picked.type
        self._preview()

    @on(OptionList.OptionHighlighted, "#link-types")
    def _type_moved(self, event: OptionList.OptionHighlighted) -> None:
        # Another type than the picked entity's is a new name of that type: unpick it.
        suggestions = self.query_one(Suggestions)
        picked = suggestions.picked
        if picked is not None and picked.type != self.query_one(TypeChoice).value:
            suggestions.highlighted = None
        self._preview()

    def _target(self) -> tuple[str, str]:
        """(name, type) Enter links: the picked entity, or what is typed."""
        picked = self.query_one(Suggestions).picked
        if picked is not None:
            return picked.name, picked.type
        return self._typed_name, self.query_one(TypeChoice).value

    def _preview(self) -> None:
        """What Enter will do, in a sentence."""
        picked = self.query_one(Suggestions).picked
        name, type_ = self._target()
        if picked is not None:
            what = name_preview(name, type_, picked)
        elif name.strip() and self._found is not None:
            what = name_preview(name, type_, self._found[type_])
        else:
            what = ""  # Nothing typed, or not looked up yet.
        self.query_one("#link-preview", Static).update(f"Enter links {what}." if what else "")

    @on(Input.Submitted, "#link-name")
    @on(OptionList.OptionSelected, "#link-types")
    def _submitted(self, event: Input.Submitted | OptionList.OptionSelected) -> None:
        event.stop()
        self._link()

    def _link(self) -> None:
        name, type_ = self._target()
        api, entry_id, journal = self.api, self.entry_id, self.charlie.journal

        def link() -> EntityRef:
            here = api.journal(journal)
            entity_id = here.curation.link(entry_id, name, type_)
            return here.graph.entity(entity_id, limit=1).entity

        self.apply(link)
