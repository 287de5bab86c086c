"""The home list's tags and stars: # picks a tag (or the star) to filter the list by, or
a tag's page to open; Esc shows every entry again; * stars the highlighted entry or takes
its star away."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message
from textual.widgets import Static

from backend.models import EntrySummary
from ui.dialogs.tag_filter import TagChoice, TagFilter
from ui.screens.tag import TagScreen

if TYPE_CHECKING:
    from ui.screens.home import HomeScreen as _Home
else:
    _Home = object


class HomeTags(_Home):
    """Mixed into HomeScreen (listed first): the filter and the star keys."""

    list_filter: TagChoice | None = None
    """The tag or star the list is filtered by (None: every entry)."""

    class Starred(Message):
        """An entry was starred or unstarred from this screen (``summary`` as it is now)."""

        def __init__(self, summary: EntrySummary) -> None:
            super().__init__()
            self.summary = summary

    def action_tag_filter(self) -> None:
        """Pick a tag (or the star) to filter the list by, or a tag's page to open."""

        def chosen(choice: TagChoice | None) -> None:
            if choice is None:
                return
            if choice.page and choice.tag is not None:
                self.app.push_screen(TagScreen(choice.tag))
                return
            self.show_filter(None if choice.tag is None and not choice.starred else choice)

        self.app.push_screen(TagFilter(current=self.list_filter), chosen)

    def show_filter(self, choice: TagChoice | None) -> None:
        """List only the entries ``choice`` keeps (None: every entry), from the top."""
        self.list_filter = choice
        line = self.query_one("#home-filter", Static)
        if choice is not None:
            line.update(f"Showing entries {filter_text(choice)} · Esc: all entries")
        line.display = choice is not None
        self.refresh_bindings()
        self.reload(fresh=True)

    def action_clear_filter(self) -> None:
        """Show every entry again."""
        if self.list_filter is not None:
            self.show_filter(None)

    def action_toggle_star(self) -> None:
        """Star the highlighted entry, or take its star away."""
        entry_id = self.entry_list.highlighted_entry_id
        summary = None if entry_id is None else self.entry_list.summary(entry_id)
        if summary is not None:
            self._star(summary)

    @work(thread=True, group="home-star", exit_on_error=False)
    def _star(self, summary: EntrySummary) -> None:
        entries = self.here().entries
        (entries.unstar if summary.starred else entries.star)(summary.id)
        self.post_message(self.Starred(replace(summary, starred=not summary.starred)))

    def on_home_tags_starred(self, message: Starred) -> None:
        """Show the star at once (the list reloads on the change event too)."""
        self.entry_list.update_summary(message.summary)
        self.notify("Starred" if message.summary.starred else "Star removed")


def filter_args(choice: TagChoice | None) -> dict[str, Any]:
    """The ``entries.list`` arguments of a filter."""
    if choice is None:
        return {}
    return {"tag": choice.tag, "starred": choice.starred}


def filter_text(choice: TagChoice) -> str:
    """What a filter keeps, for the line above the list: "tagged #work, starred"."""
    parts = [] if choice.tag is None else [f"tagged #{choice.tag}"]
    return ", ".join([*parts, "starred"] if choice.starred else parts)
