"""The reader's sidebar: an entry's entities by type (with the spellings it used) and the
relationships it states. Enter opens an entity's page; x asks to unlink an entity from
this entry."""

from __future__ import annotations

from collections.abc import Iterator

from textual.binding import Binding
from textual.content import Content
from textual.message import Message

from backend.models import EntityRef, EntryEntities
from ui.widgets import graph_text
from ui.widgets.entity_list import EntityList, Row, heading_row, note_row

EMPTY_NOTE = (
    "Nothing linked yet. People, places, groups and activities appear here once the "
    "entry has been read."
)


class Connections(EntityList):
    """Who and what one entry mentions; rows lead to entity pages."""

    DEFAULT_CSS = """
    Connections {
        & > .option-list--option {
            padding: 0 0;
        }
    }
    """

    BINDING_GROUP_TITLE = "Connections"
    BINDINGS = [Binding("x", "remove", "Remove")]

    class RemoveRequested(Message):
        """The user asked to unlink an entity from the entry on screen."""

        def __init__(self, entity: EntityRef) -> None:
            super().__init__()
            self.entity = entity
            """The entity to unlink."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._mentioned: dict[str, EntityRef] = {}

    def show(self, connections: EntryEntities) -> None:
        """Show an entry's connections (the cursor stays on its entity)."""
        self._mentioned = {ref.id: ref for ref, _ in connections.mentions}
        self.show_rows(self._rows_for(connections))
        self.refresh_bindings()

    @property
    def highlighted_entity(self) -> EntityRef | None:
        """The mentioned entity under the cursor (None on a relationship or a note)."""
        row = self.highlighted_row
        if row is None or not row.key.startswith("m:"):
            return None
        return self._mentioned.get(row.target or "")

    @staticmethod
    def _rows_for(connections: EntryEntities) -> Iterator[Row]:
        if not connections.mentions:
            yield note_row("empty", EMPTY_NOTE)
            return
        current = ""
        for ref, spellings in connections.mentions:
            if ref.type != current:
                current = ref.type
                yield heading_row(f"h:{ref.type}", graph_text.heading(ref.type))
            others = [s for s in spellings if s != ref.name]
            prompt = Content(ref.name)
            if others:
                prompt = Content.assemble(ref.name, (f"  as {', '.join(others)}", graph_text.MUTED))
            yield Row(f"m:{ref.id}", prompt, ref.id)
        if connections.relations:
            yield heading_row("h:relations", "Relationships")
        for index, (source, kind, target, _evidence) in enumerate(connections.relations):
            yield Row(f"r:{index}", graph_text.relation_line(source, kind, target), source.id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """x works only on a mentioned entity."""
        if action == "remove":
            return self.highlighted_entity is not None or None
        return True

    def watch_highlighted(self, highlighted: int | None) -> None:
        """Keep the footer's x in step with the row under the cursor."""
        super().watch_highlighted(highlighted)
        self.refresh_bindings()

    def action_remove(self) -> None:
        """Ask the screen to unlink the highlighted entity from this entry."""
        entity = self.highlighted_entity
        if entity is not None:
            self.post_message(self.RemoveRequested(entity))
