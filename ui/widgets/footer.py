"""The footer every screen shows: its keys, with ``? Help`` always in sight on the right.

Textual's footer lists keys left to right and clips what does not fit, so on a narrow
terminal the help key (an app binding, listed last) was the first to go. Here it takes
the place Textual keeps for the command palette's key, docked right; Ctrl+P still opens
the palette, and the help screen says so.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

HELP_KEYS = ("question_mark", "f1")
"""``?``, or F1 while a text field has the focus (and would type the ``?``)."""


class CharlieFooter(Footer):
    """A footer whose last, right-docked key is Help."""

    def __init__(self) -> None:
        super().__init__(show_command_palette=False, compact=True)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:  # Footer.compose shows nothing until then either.
            return
        active = self.screen.active_bindings
        help_binding = next((active[key] for key in HELP_KEYS if key in active), None)
        for widget in super().compose():
            if help_binding is None or getattr(widget, "action", None) != help_binding[1].action:
                yield widget
        if help_binding is not None:
            _node, binding, enabled, tooltip = help_binding
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=tooltip or binding.description,
            )
