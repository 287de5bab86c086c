"""The tag picker: every tag with its count (or an entry's tags), "Starred" and "All
entries". Enter filters the home list by the highlighted choice; o opens a tag's page."""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist
from textual.worker import Worker

from backend.models import TagCount
from ui.workers import BackendWorkers

ALL = "all"
STARRED = "starred"
TAG_PREFIX = "tag:"


@dataclass(frozen=True)
class TagChoice:
    """What the picker was closed with."""

    tag: str | None
    """The tag chosen (None: any tag)."""
    starred: bool = False
    """Only starred entries."""
    page: bool = False
    """Open the tag's page instead of filtering by it."""


class TagFilter(BackendWorkers, ModalScreen[TagChoice | None]):
    """Dismisses with a TagChoice, or None to leave things as they are.

    ``only`` limits the list to those tags (an entry's, from the reader: then there is
    no "Starred" or "All entries", and Enter opens the tag's page)."""

    HELP_TITLE = "Tags"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("o", "open_page", "Tag page"),
    ]

    class Loaded(Message):
        """The journal's tags arrived."""

        def __init__(self, tags: list[TagCount]) -> None:
            super().__init__()
            self.tags = tags

    def __init__(
        self,
        *,
        current: TagChoice | None = None,
        only: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__()
        self.current = current
        """The filter in force (highlighted first)."""
        self.only = only

    def compose(self) -> ComposeResult:
        with Vertical(id="tags-box", classes="dialog"):
            yield Label(
                "Tags" if self.only is None else "This entry's tags", classes="dialog-title"
            )
            yield OptionList(id="tag-list")
            hint = "Enter filter · o tag page · Esc close"
            yield Static(hint if self.only is None else "Enter tag page · Esc close", id="tag-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).loading = True
        self._load()

    @work(thread=True, exclusive=True, group="tag-list", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self.Loaded(self.here().entries.tags()))

    def worker_failed(self, worker: Worker[object]) -> None:
        self.query_one(OptionList).loading = False

    def on_tag_filter_loaded(self, message: Loaded) -> None:
        """Show the tags, the current filter highlighted."""
        options = self.query_one(OptionList)
        tags = message.tags
        if self.only is not None:
            counts = {t.tag: t for t in tags}
            tags = [counts.get(tag, TagCount(tag, 0, None)) for tag in self.only]
        else:
            options.add_option(Option(Content("All entries"), id=ALL))
            options.add_option(Option(Content.styled("★ Starred", "$warning"), id=STARRED))
            if not tags:
                options.add_option(
                    Option(Content("No tags yet: write #words in an entry"), disabled=True)
                )
        options.add_options([Option(tag_row(t), id=TAG_PREFIX + t.tag) for t in tags])
        options.loading = False
        current = self.current
        wanted = ALL
        if current is not None and current.tag is not None:
            wanted = TAG_PREFIX + current.tag
        elif current is not None and current.starred:
            wanted = STARRED
        try:
            options.highlighted = options.get_option_index(wanted)
        except OptionDoesNotExist:
            options.highlighted = 0 if options.option_count else None
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: filter by the choice (from the reader: open the tag's page)."""
        chosen = event.option.id or ALL
        if chosen == ALL:
            self.dismiss(TagChoice(None))
        elif chosen == STARRED:
            self.dismiss(TagChoice(None, starred=True))
        else:
            self.dismiss(TagChoice(chosen.removeprefix(TAG_PREFIX), page=self.only is not None))

    def action_open_page(self) -> None:
        """Open the highlighted tag's page."""
        option = self.query_one(OptionList).highlighted_option
        if option is not None and option.id and option.id.startswith(TAG_PREFIX):
            self.dismiss(TagChoice(option.id.removeprefix(TAG_PREFIX), page=True))

    def action_close(self) -> None:
        """Close, changing nothing."""
        self.dismiss(None)


def tag_row(tag: TagCount) -> Content:
    """A tag as the picker lists it: "#work  12 entries · last 3 Mar 2024"."""
    noun = "entry" if tag.count == 1 else "entries"
    last = "" if tag.last_used is None else f" · last {tag.last_used:%-d %b %Y}"
    return Content.assemble(
        (f"#{tag.tag}", "bold $accent"), (f"  {tag.count} {noun}{last}", "$foreground-muted")
    )
