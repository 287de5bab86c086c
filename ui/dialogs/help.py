"""The help panel: every key that works on the current screen, read from the bindings.

Nothing here is a hand-kept list. The sections come from ``Screen.active_bindings``,
which walks the same chain Textual uses to dispatch keys (focused widget, its parents,
the screen, the app), so the panel cannot drift from what the keys really do.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical, VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

Section = tuple[str, list[tuple[str, str]]]
TEXTUAL_SCREEN_ACTIONS = {
    binding.action for binding in Screen.BINDINGS if isinstance(binding, Binding)
}
"""Actions every Textual screen binds (moving the focus, copying)."""


def binding_sections(screen: Screen[object]) -> list[Section]:
    """(heading, [(keys, description), …]) for each node with bindings, focused first.

    Keys bound to the same action are shown together ("[ p  Older entry"); bindings
    without a description are Textual internals and are left out.
    """
    app = screen.app
    grouped: dict[DOMNode | None, dict[str, tuple[list[str], str]]] = {}
    for active in screen.active_bindings.values():
        binding: Binding = active.binding
        if binding.system or not binding.description:
            continue
        # Textual's own screen keys (focus, copy) are listed last, under "General".
        node = None if binding.action in TEXTUAL_SCREEN_ACTIONS else active.node
        actions = grouped.setdefault(node, {})
        keys, description = actions.setdefault(binding.action, ([], binding.description))
        key = app.get_key_display(binding)
        if key not in keys:
            keys.append(key)
    # The screen's own keys matter most, then the app's; the focused widget's generic
    # keys (scrolling, cursor movement) come last.
    order = sorted(grouped, key=lambda node: (node is None, node is not screen, node is not app))
    sections: list[Section] = []
    for node in order:
        rows = [(" ".join(keys), text) for keys, text in grouped[node].values()]
        sections.append((_heading(node, screen), rows))
    return sections


def _heading(node: DOMNode | None, screen: Screen[object]) -> str:
    if node is None:
        return "General"
    if node is screen.app:
        return "Everywhere"
    if node is screen:
        return getattr(screen, "HELP_TITLE", None) or type(screen).__name__
    if node.BINDING_GROUP_TITLE:
        return node.BINDING_GROUP_TITLE
    return "Scrolling" if isinstance(node, ScrollableContainer) else type(node).__name__


class HelpScreen(ModalScreen[None]):
    """Lists key bindings by section; Escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections
        """What to show: (heading, [(keys, description), …])."""

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            yield Label("Keys", classes="dialog-title")
            # One key column width for every section, so the descriptions line up.
            width = max((len(keys) for _, rows in self.sections for keys, _ in rows), default=0)
            with VerticalScroll(id="help-scroll"):
                for heading, rows in self.sections:
                    yield Label(heading, classes="help-heading")
                    yield Static(self._table(rows, width), classes="help-table")
            yield Static("Ctrl+P finds any command by name. Escape closes this.", id="help-hint")

    @staticmethod
    def _table(rows: list[tuple[str, str]], width: int) -> Content:
        lines = [
            Content.assemble((keys.rjust(width), "bold $accent"), "  ", description)
            for keys, description in rows
        ]
        return Content("\n").join(lines)

    def action_close(self) -> None:
        """Close the panel."""
        self.dismiss(None)
