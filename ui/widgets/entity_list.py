"""A list of entities (or of things that lead to one), under optional headings.

The reader's sidebar, the entity page, search, the period view and the merge picker
all show rows that open an entity page; this is the one list they share. Each row has
a key that is unique in the list (an entity can appear twice, say in a mention and in
a relationship) and the id of the entity it leads to. Headings are disabled rows, which
the cursor skips.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from backend.models import EntityRef
from ui.widgets import graph_text


@dataclass(frozen=True)
class Row:
    """One line (or a few) of an EntityList."""

    key: str
    """Unique within the list; the cursor follows it across refreshes."""
    prompt: Content | str
    """What the row shows."""
    target: str | None = None
    """The id of the entity (or entry) the row opens; None for a heading or a note."""
    divider: bool = False
    """Draw a rule under the row (between rows of several lines)."""


def heading_row(key: str, text: str) -> Row:
    """A heading (a disabled row) over the rows that follow."""
    return Row(key, Content.styled(text, "bold $accent"))


def entity_row(ref: EntityRef) -> Row:
    """An entity with its type and how many entries mention it; opens its page."""
    return Row(
        ref.id,
        Content.assemble(
            (ref.name, "bold"),
            (f"  {ref.type} · {graph_text.entries_count(ref.count)}", graph_text.MUTED),
        ),
        ref.id,
    )


def note_row(key: str, text: str) -> Row:
    """A muted line that opens nothing ("No one yet")."""
    return Row(key, Content.styled(text, "$foreground-muted"))


class EntityList(OptionList):
    """Rows that each open something; Enter (or a click) posts :class:`Chosen`."""

    DEFAULT_CSS = """
    EntityList {
        height: 1fr;
        border: none;
        padding: 0 1;
        background: transparent;
        &:focus {
            border: none;
        }
        & > .option-list--option-disabled {
            color: $foreground;
        }
    }
    """

    BINDING_GROUP_TITLE = "List"
    # Replaces the stock hidden "Select" so the footer says what Enter does here.
    BINDINGS = [Binding("enter", "select", "Open")]

    class Chosen(Message):
        """The user chose a row that leads somewhere."""

        def __init__(self, entity_list: EntityList, row: Row) -> None:
            super().__init__()
            self.entity_list = entity_list
            """The list the row is in."""
            self.row = row
            """The chosen row."""

        @property
        def control(self) -> EntityList:
            """The list the row is in (for ``@on`` selectors)."""
            return self.entity_list

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._rows: dict[str, Row] = {}

    @property
    def rows(self) -> list[Row]:
        """Every row, top to bottom (headings included)."""
        return list(self._rows.values())

    @property
    def highlighted_row(self) -> Row | None:
        """The row under the cursor, if it leads somewhere."""
        option = self.highlighted_option
        if option is None or option.id is None:
            return None
        row = self._rows.get(option.id)
        return row if row is not None and row.target is not None else None

    def show_rows(self, rows: Iterable[Row]) -> None:
        """Replace the rows, keeping the cursor on the same key if it is still there
        (else on the row that took its place)."""
        keep = self.highlighted_option.id if self.highlighted_option is not None else None
        index = self.highlighted
        self._rows = {row.key: row for row in rows}
        options: list[Option | None] = []
        for row in self._rows.values():
            options.append(Option(row.prompt, id=row.key, disabled=row.target is None))
            if row.divider:
                options.append(None)  # OptionList draws a rule under the option before.
        self.set_options(options)
        keys = list(self._rows)
        choices = [i for i, row in enumerate(self._rows.values()) if row.target is not None]
        if not choices:
            self.highlighted = None
            return
        if keep in keys and keys.index(keep) in choices:
            self.highlighted = keys.index(keep)
        else:
            wanted = index or 0
            self.highlighted = next((i for i in choices if i >= wanted), choices[-1])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Turn the stock selection into a Chosen that carries the row."""
        event.stop()
        row = self._rows.get(event.option_id or "")
        if row is not None and row.target is not None:
            self.post_message(self.Chosen(self, row))
