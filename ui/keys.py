"""The keys that mean the same on every screen, and the one key map they add up to.

Single letters that open another screen (``w`` Queue, ``!`` Dead jobs, ``,`` Settings,
``/`` Search) and ``q`` Quit belong to the screens you browse, listed in each one's
BINDINGS through :data:`BROWSING`. Screens you type into (the editor, Settings, Import)
leave them out, so a letter typed there, in a field or beside one, is never taken for a
shortcut; the function keys and ``?`` work everywhere (app bindings).

:data:`SHARED_MEANINGS` names the keys whose label differs by screen but whose meaning
does not; tests/ui/test_ui_keymap.py walks every screen and holds every other key to one
label everywhere.
"""

from __future__ import annotations

from textual.binding import Binding

BROWSING = [
    Binding("w", "app.open_queue", "Queue", show=False),
    Binding("exclamation_mark", "app.open_dead", "Dead jobs", key_display="!", show=False),
    Binding("comma", "app.open_settings", "Settings", key_display=",", show=False),
    Binding("slash", "app.open_search", "Search", key_display="/", show=False),
    Binding("q", "app.quit", "Quit", show=False),
]
"""What every screen you browse adds to its own keys (shown in the help panel)."""

SHARED_MEANINGS: dict[str, tuple[str, set[str]]] = {
    "escape": (
        "leave: back, close, cancel",
        {"Back", "Close", "Cancel", "All entries", "Save & close"},
    ),
    "enter": ("open or choose what is highlighted", {"Open", "Details", "Day's entries"}),
    "left_square_bracket": ("one step back in time", {"Older", "Previous month", "Previous year"}),
    "right_square_bracket": ("one step on in time", {"Newer", "Next month", "Next year"}),
    "r": ("run it again", {"Re-enrich", "Retry", "Check again"}),
    "e": ("change what is shown", {"Edit", "Rename"}),
    "ctrl+s": ("do what the form is for", {"Save & close", "Save", "Import"}),
}
"""Keys whose label depends on the screen: key -> (the one meaning, the labels it has)."""


def browsing(*own: Binding) -> list[Binding]:
    """A browsing screen's BINDINGS: its own, then the :data:`BROWSING` keys it does not
    bind itself (a screen may show one of them in its footer)."""
    taken = {key for binding in own for key in binding.key.split(",")}
    return [*own, *(binding for binding in BROWSING if binding.key not in taken)]
