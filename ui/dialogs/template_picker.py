"""`n` on Home: a new entry, blank or from a template.

Without templates `n` opens the editor at once, as it always did: all it costs first is
looking at the config's table and listing ``<config>/templates``. With templates, a small
picker opens with "Blank entry" first and highlighted, so `n` `Enter` (or `n` `n`) still
gives a blank entry; `1`…`9` pick a template at once, arrows and Enter any of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from backend.errors import CharlieError
from backend.services.writing import Template, Writing, outline
from ui.screens.editor import EditorScreen

if TYPE_CHECKING:
    from ui.app import CharlieApp

BLANK = ""
"""What the picker dismisses with for a blank entry (None: no entry after all)."""
HINT = "Enter or a key picks · Esc cancels"
KEYS = "123456789"
"""The keys of the first nine templates, in the order listed."""


class TemplatePicker(ModalScreen[str | None]):
    """Dismisses with a template's name, BLANK for a blank entry, or None (Escape)."""

    HELP_TITLE = "New entry"
    DEFAULT_CSS = """
    TemplatePicker {
        align: center middle;
    }
    TemplatePicker #template-box {
        width: 60;
        max-width: 90%;
        height: auto;
        max-height: 90%;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    TemplatePicker #template-title {
        text-style: bold;
        margin-bottom: 1;
    }
    TemplatePicker #template-list {
        height: auto;
        max-height: 14;
        border: none;
        padding: 0;
    }
    TemplatePicker #template-hint {
        margin-top: 1;
        color: $text-muted;
    }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("n", "pick_blank", "Blank entry"),
        *(
            Binding(key, f"pick_number({number})", f"Template {key}", show=False)
            for number, key in enumerate(KEYS)
        ),
    ]

    def __init__(self, templates: tuple[Template, ...]) -> None:
        super().__init__()
        self.templates = templates
        """The templates offered, in the order listed."""

    def compose(self) -> ComposeResult:
        with Vertical(id="template-box"):
            yield Label("New entry", id="template-title")
            yield OptionList(*self._options(), id="template-list")
            yield Static(HINT, id="template-hint", markup=False)

    def _options(self) -> list[Option]:
        options = [Option(_row("n", "Blank entry", ""), id="blank")]
        for number, template in enumerate(self.templates):
            key = KEYS[number] if number < len(KEYS) else " "
            title = outline(template)[0]
            options.append(Option(_row(key, template.name, title), id=f"t{number}"))
        return options

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#template-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id == "blank":
            self.dismiss(BLANK)
        elif event.option_id is not None:
            self.dismiss(self.templates[int(event.option_id[1:])].name)

    def action_pick_blank(self) -> None:
        """A blank entry (n)."""
        self.dismiss(BLANK)

    def action_pick_number(self, number: int) -> None:
        """The template with this key (1…9); a key with no template does nothing."""
        if number < len(self.templates):
            self.dismiss(self.templates[number].name)

    def action_cancel(self) -> None:
        """No new entry after all (Escape)."""
        self.dismiss(None)


def _row(key: str, name: str, title: str) -> Content:
    parts: list[str | tuple[str, str]] = [(f" {key} ", "bold $accent"), " ", name]
    if title:
        parts.append((f"  {title}", "$foreground-muted"))
    return Content.assemble(*parts)


def new_entry(app: CharlieApp) -> None:
    """What `n` on Home does: the editor, blank, or after the picker when there are
    templates (files that could not be read are named in a notice)."""
    writing = Writing(app.api.settings)
    found = writing.templates()
    for problem in found.problems:
        app.notify(problem, severity="warning")
    if not found.templates:
        app.push_screen(EditorScreen())
        return

    def picked(name: str | None) -> None:
        if name is None:
            return
        if name == BLANK:
            app.push_screen(EditorScreen())
            return
        try:
            filled = writing.fill(name, app.now(), app.journal)
        except CharlieError as error:  # The file went away since the picker opened.
            app.show_error(error)
            return
        for field in filled.unknown:
            app.notify(
                f"Template {name}: {field} is not a field; left as typed", severity="warning"
            )
        app.push_screen(EditorScreen(template=filled))

    app.push_screen(TemplatePicker(found.templates), picked)
