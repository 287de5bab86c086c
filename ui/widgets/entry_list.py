"""The home screen's list of entries: one line per entry under week and month dividers.

It is an OptionList because that widget renders only the lines on screen and measures
new options incrementally, so appending page after page of a 10,000-entry journal stays
cheap. Dividers are disabled options, which the cursor skips. Entries with an unsaved
draft are marked with ✎.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from backend.models import EntrySummary
from ui import timeline

DRAFT_MARK = "✎ "
"""Put before the headline of an entry that has an unsaved draft."""
STAR_MARK = "★ "
"""Put before the headline of a starred entry."""
ROW_TAGS = 3
"""A row shows this many of an entry's tags (then "+N")."""
NEAR_END = 30
"""Ask for the next page when the cursor or the scroll position is this many rows from
the end, so the page arrives before the user gets there."""


class EntryList(OptionList):
    """Entries newest first, grouped under "This week", "Last week", "March 2026", …"""

    DEFAULT_CSS = """
    EntryList {
        height: 1fr;
        max-height: 100%;
        border: none;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        /* The list is the whole screen; a focus border would only frame the obvious. */
        &:focus {
            border: none;
        }
        & > .option-list--option-disabled {
            color: $accent;
            text-style: bold;
        }
    }
    """

    BINDING_GROUP_TITLE = "Entry list"
    # Replaces the stock hidden "Select" so the footer says what Enter does here.
    BINDINGS = [Binding("enter", "select", "Open")]

    class Selected(Message):
        """The user chose an entry (Enter or a click)."""

        def __init__(self, entry_id: str) -> None:
            super().__init__()
            self.entry_id = entry_id
            """The id of the chosen entry."""

    class EndNeared(Message):
        """The cursor or the scroll position came close to the last loaded entry."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._now: datetime | None = None
        self._last_section: str | None = None
        self._summaries: dict[str, EntrySummary] = {}
        self._drafted: set[str] = set()
        self.can_open = True
        """Whether Enter opens an entry (not while the rows are a cached page)."""

    @property
    def entry_count(self) -> int:
        """How many entries (not dividers) are loaded."""
        return len(self._summaries)

    def summary(self, entry_id: str) -> EntrySummary | None:
        """The loaded summary of an entry, if it is in the list."""
        return self._summaries.get(entry_id)

    @property
    def highlighted_entry_id(self) -> str | None:
        """The id of the entry under the cursor, if any."""
        option = self.highlighted_option
        return None if option is None else option.id

    def show_entries(
        self,
        entries: Iterable[EntrySummary],
        now: datetime,
        *,
        select: str | None = None,
        keep_place: bool = False,
    ) -> None:
        """Replace the list, then put the cursor on ``select`` or else near where it was.

        ``keep_place``: leave the cursor's row where it was on screen, so entries added
        above it (by another window, an import) do not move what the user is looking at;
        at the top of the list, stay at the top, so they show.
        """
        old_index = self.highlighted or 0
        old_row = self._row_on_screen() if keep_place else None
        self._now = now
        self._last_section = None
        self._summaries = {}
        self.set_options(self._options_for(entries))
        if select is not None and select in self._summaries:
            self.highlighted = self.get_option_index(select)
        elif self.option_count:
            # Keep the cursor roughly in place (after a delete, on the next entry).
            index = min(old_index, self.option_count - 1)
            self.highlighted = index
            if self.options[index].disabled:
                self.action_cursor_down()
        self.scroll_to_highlight()
        new_row = self._row_on_screen()
        if old_row is not None and new_row is not None and new_row != old_row:
            self.scroll_to(y=self.scroll_y + new_row - old_row, animate=False, immediate=True)

    def _row_on_screen(self) -> int | None:
        """The screen row of the cursor's entry (None: no cursor, or at the very top)."""
        if self.highlighted is None or self.scroll_y == 0:
            return None
        line = self._index_to_line.get(self.highlighted)
        return None if line is None else line - round(self.scroll_y)

    def mark_drafts(self, entry_ids: set[str]) -> None:
        """Mark exactly these entries as having an unsaved draft."""
        changed = self._drafted ^ entry_ids
        self._drafted = set(entry_ids)
        now = self._now or datetime.now().astimezone()
        for entry_id in changed:
            summary = self._summaries.get(entry_id)
            if summary is not None:
                self.replace_option_prompt(entry_id, self._row(summary, now, self._drafted))

    def has_draft(self, entry_id: str) -> bool:
        """Whether the entry is marked as having an unsaved draft."""
        return entry_id in self._drafted

    def add_entries(self, entries: Iterable[EntrySummary]) -> None:
        """Append an older page, continuing the current section."""
        self.add_options(self._options_for(entries))
        if self.highlighted is None and self.option_count:
            self.action_cursor_down()

    def _options_for(self, entries: Iterable[EntrySummary]) -> list[Option]:
        now = self._now or datetime.now().astimezone()
        options: list[Option] = []
        for entry in entries:
            if entry.id in self._summaries:
                continue  # An entry moved between pages while we paged; show it once.
            label = timeline.section_label(entry.entry_at, now)
            if label != self._last_section:
                # A blank line above every divider but the first gives the groups air.
                gap = "" if self._last_section is None else "\n"
                options.append(Option(Content(gap + label), disabled=True))
                self._last_section = label
            options.append(Option(self._row(entry, now, self._drafted), id=entry.id))
            self._summaries[entry.id] = entry
        return options

    @staticmethod
    def _row(entry: EntrySummary, now: datetime, drafted: set[str]) -> Content:
        headline, snippet = timeline.preview_text(entry.title, entry.preview)
        parts: list[str | tuple[str, str]] = [
            (timeline.row_date(entry.entry_at, now), "$foreground-muted"),
            "  ",
        ]
        if entry.id in drafted:
            parts.append((DRAFT_MARK, "bold $warning"))
        if entry.starred:
            parts.append((STAR_MARK, "bold $warning"))
        parts.append((headline or "(untitled)", "bold"))
        if entry.tags:
            parts += ["  ", (row_tags(entry.tags), "$accent")]
        if snippet:
            parts += ["  ", (snippet, "$foreground-muted")]
        return Content.assemble(*parts)

    def update_summary(self, summary: EntrySummary) -> None:
        """Show a changed summary of an entry in the list (a star given or taken)."""
        if summary.id in self._summaries:
            self._summaries[summary.id] = summary
            now = self._now or datetime.now().astimezone()
            self.replace_option_prompt(summary.id, self._row(summary, now, self._drafted))

    # The stock list wraps from the last entry to the first; in a paged list that would
    # jump to the top just before the next page arrives, so the cursor stops instead.
    def action_cursor_down(self) -> None:
        """Move to the next (older) entry, skipping dividers."""
        self._move(1)

    def action_cursor_up(self) -> None:
        """Move to the previous (newer) entry, skipping dividers."""
        self._move(-1)

    def _move(self, step: int) -> None:
        index = self.highlighted
        index = (-1 if step > 0 else self.option_count) if index is None else index
        index += step
        while 0 <= index < self.option_count:
            if not self.options[index].disabled:
                self.highlighted = index
                return
            index += step
        if step < 0:
            self.scroll_home(animate=False)  # Reveal the first divider above the cursor.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out Open while the entries cannot be opened yet."""
        if action == "select" and not self.can_open:
            return None
        return True

    def action_select(self) -> None:
        """Open the highlighted entry."""
        entry_id = self.highlighted_entry_id
        if entry_id is not None:
            self.post_message(self.Selected(entry_id))

    def watch_highlighted(self, highlighted: int | None) -> None:
        """Ask for more entries when the cursor nears the end."""
        super().watch_highlighted(highlighted)
        if highlighted is not None and highlighted >= self.option_count - NEAR_END:
            self.post_message(self.EndNeared())

    def watch_scroll_y(self, old: float, new: float) -> None:
        """Ask for more entries when scrolling (wheel, scrollbar) nears the end."""
        super().watch_scroll_y(old, new)
        if new > old and new + self.size.height >= self.virtual_size.height - NEAR_END:
            self.post_message(self.EndNeared())


def row_tags(tags: tuple[str, ...]) -> str:
    """An entry's tags as its row shows them: "#a #b #c +2"."""
    shown = " ".join(f"#{t}" for t in tags[:ROW_TAGS])
    return shown if len(tags) <= ROW_TAGS else f"{shown} +{len(tags) - ROW_TAGS}"
