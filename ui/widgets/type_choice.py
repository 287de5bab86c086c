"""The four entity types as a short list to choose from: the row under the cursor is the
choice, Enter applies it (the dialog around it decides what that means). A click only
chooses, so the mouse never applies a correction by accident."""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ui.widgets import graph_text

TYPES = tuple(graph_text.TYPE_HEADINGS)
"""Person, Place, Group, Activity."""


class TypeChoice(OptionList):
    """Person, Place, Group or Activity; ``value`` is the one under the cursor."""

    DEFAULT_CSS = """
    TypeChoice {
        height: 4;
        border: none;
        padding: 0;
        background: transparent;
        &:focus {
            border: none;
        }
    }
    """

    def __init__(
        self,
        value: str = "Person",
        *,
        current: str | None = None,
        id: str | None = None,
    ) -> None:
        """``current``, if given, is marked as the type the entity has now."""
        super().__init__(
            *(Option(self._prompt(type_, type_ == current), id=type_) for type_ in TYPES),
            id=id,
        )
        self.highlighted = TYPES.index(value)

    async def _on_click(self, event: events.Click) -> None:
        # Instead of OptionList's click, which would also select (apply) the row.
        event.prevent_default()
        clicked = event.style.meta.get("option")
        if clicked is not None:
            self.highlighted = clicked

    @staticmethod
    def _prompt(type_: str, current: bool) -> Content:
        if not current:
            return Content(type_)
        return Content.assemble(type_, ("  · now", graph_text.MUTED))

    @property
    def value(self) -> str:
        """The type under the cursor."""
        return TYPES[self.highlighted or 0]

    @value.setter
    def value(self, type_: str) -> None:
        self.highlighted = TYPES.index(type_)
