"""Search: entries (full text, with filters) and entities (by name) as you type.

Each keystroke restarts a short timer; when typing pauses, one thread worker runs the
search. Workers are exclusive and results name the text they answer, so a slow answer
to an older text never replaces a newer one. The words the search matched are
highlighted (accents and case aside: "cafe" lights up "Café"); the filters it applied
(``tag:work``, ``starred``...) are listed under the box, and one it cannot read says
what it needs there instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import ScreenResume
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, Static
from textual.worker import Worker, get_current_worker

from backend.errors import NotFoundError, ValidationError
from backend.models import SearchHit, SearchResults
from ui import timeline
from ui.keys import browsing
from ui.messages import DataChanged, EntryEnriched, GraphChanged
from ui.screens.entity import EntityScreen
from ui.widgets import graph_text
from ui.widgets.entity_list import EntityList, Row, entity_row, note_row
from ui.widgets.footer import CharlieFooter
from ui.widgets.live_reload import LIVE_GAP_SECONDS, in_view
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers

PROMPT = (
    "Type a word or a name: matching entries, and the people, places, groups and "
    "activities called that, show up here. Filters: tag:T person:NAME place:NAME "
    "before:YYYY-MM-DD after:YYYY-MM-DD starred journal:NAME"
)
MATCH_STYLE = "bold $text-warning underline"
"""How a matched word stands out."""


def highlighted(text: str, words: set[str], style: str) -> Content:
    """``text`` (user text: never read as markup) in ``style``, with each whole word
    that is one of ``words`` in MATCH_STYLE as well."""
    if not words or not text:
        return Content.styled(text, style) if style else Content(text)
    pattern = re.compile(
        r"(?<!\w)(?:"
        + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        + r")(?!\w)"
    )
    parts: list[tuple[str, str] | str] = []
    at = 0
    for match in pattern.finditer(text):
        parts += [(text[at : match.start()], style), (match[0], f"{style} {MATCH_STYLE}".strip())]
        at = match.end()
    parts.append((text[at:], style))
    return Content.assemble(*[p for p in parts if p[0]])


def matched_words(hit: SearchHit) -> set[str]:
    """The words of an entry's snippet and title that the search matched."""
    title = hit.entry.title
    return {hit.snippet[s:e] for s, e in hit.marks} | {title[s:e] for s, e in hit.title_marks}


def entry_rows(results: SearchResults) -> Iterator[Row]:
    """One row per matching entry: date and title, then a line of context, with the
    matched words highlighted (found again after the Markdown is taken out)."""
    for hit in results.entries:
        summary = hit.entry
        title, _ = timeline.preview_text(summary.title, summary.preview)
        words = matched_words(hit)
        yield Row(
            hit.entry.id,
            Content.assemble(
                (graph_text.short_date(summary.entry_at), "$accent"),
                "  ",
                highlighted(title or "(untitled)", words, "bold"),
                ("  ★" if summary.starred else "", "$text-warning"),
                "\n",
                highlighted(timeline.plain_line(hit.snippet), words, graph_text.MUTED),
            ),
            hit.entry.id,
            divider=True,
        )
    if not results.entries:
        yield note_row("none", "No entry matches.")


def filters_line(results: SearchResults) -> str:
    """The filters a search applied and what to know about them, on one line."""
    parts = []
    if results.filters:
        parts.append("Filters: " + " · ".join(results.filters))
    parts += list(results.notes)
    return "   ".join(parts)


def entity_rows(results: SearchResults) -> Iterator[Row]:
    """One row per matching entity: name, type and how many entries mention it."""
    for ref in results.entities:
        yield entity_row(ref)
    if not results.entities:
        yield note_row("none", "No name matches.")


class SearchScreen(BackendWorkers, Screen[None]):
    """A search box over two lists: matching entries and matching entities."""

    HELP_TITLE = "Search"
    DEBOUNCE_SECONDS = 0.15
    """How long typing must pause before a search runs."""
    AUTO_FOCUS = "#search-input"
    BINDINGS = browsing(
        Binding("escape", "back", "Back"),
        Binding("f8", "app.open_blocked", "Blocked names"),
    )

    class Found(Message):
        """Results for ``results.query`` arrived."""

        def __init__(self, results: SearchResults) -> None:
            super().__init__()
            self.results = results

    class Refused(Message):
        """The search could not read ``text`` (a filter it needs said otherwise)."""

        def __init__(self, text: str, reason: str) -> None:
            super().__init__()
            self.text = text
            self.reason = reason

    def __init__(self) -> None:
        super().__init__()
        self.results: SearchResults | None = None
        """The results on screen (None before the first search)."""
        self._timer: Timer | None = None
        self._live_timer: Timer | None = None
        self._stale = False

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with Vertical(id="search-top"):
            yield Input(placeholder="Search entries and names", id="search-input")
            yield Static(PROMPT, id="search-status", markup=False)
            yield Static("", id="search-filters", markup=False)
        with Horizontal(id="search-results"):
            with Vertical(id="search-entries-pane"):
                yield Label("Entries", classes="search-section")
                yield EntityList(id="search-entries")
            with Vertical(id="search-entities-pane"):
                yield Label("People, places, groups, activities", classes="search-section")
                yield EntityList(id="search-entities")
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = "Search"
        box = self.query_one(Input)
        box.cursor_blink = self.app.animation_level != "none"
        self.query_one("#search-results").display = False
        self.query_one("#search-filters").display = False

    @property
    def search_text(self) -> str:
        """The text in the search box."""
        return self.query_one(Input).value

    @on(Input.Changed, "#search-input")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self.DEBOUNCE_SECONDS, self._search_now)

    def _search_now(self) -> None:
        self._timer = None
        text = self.search_text
        if not text.strip():
            self.results = None
            self.query_one("#search-results").display = False
            self.query_one("#search-status", Static).update(PROMPT)
            self.query_one("#search-filters").display = False
            return
        self.query_one("#search-status", Static).update("Searching…")
        self._search(text)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, text: str) -> None:
        try:
            results = self.here().graph.search(text)
        except (ValidationError, NotFoundError) as refused:
            # A filter half typed ("before:2026-0") is not a failure: say what it needs.
            if not get_current_worker().is_cancelled:
                self.post_message(self.Refused(text, str(refused)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Found(results))

    def on_search_screen_refused(self, message: Refused) -> None:
        """Say what the query needs, unless the box already says something else."""
        if message.text != self.search_text:
            return
        self.results = None
        self.query_one("#search-results").display = False
        self.query_one("#search-status", Static).update(message.reason)
        self.query_one("#search-filters").display = False

    def on_search_screen_found(self, message: Found) -> None:
        """Show results, unless the box already says something else (newer ones come)."""
        results = message.results
        if results.query != self.search_text:
            return
        self.results = results
        self.query_one("#search-results").display = True
        self.query_one("#search-entries", EntityList).show_rows(entry_rows(results))
        self.query_one("#search-entities", EntityList).show_rows(entity_rows(results))
        line = filters_line(results)
        self.query_one("#search-filters", Static).update(line)
        self.query_one("#search-filters").display = bool(line)
        found = [
            graph_text.entries_count(len(results.entries)),
            f"{len(results.entities)} name{'s' if len(results.entities) != 1 else ''}",
        ]
        note = " · ".join(found) if results.entries or results.entities else "Nothing matches."
        self.query_one("#search-status", Static).update(
            f"{note}   (Enter or Tab to go to the results)"
            if results.entries or results.entities
            else note
        )

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop saying "Searching…"; the error is shown by the app."""
        self.query_one("#search-status", Static).update("The search failed.")

    @on(Input.Submitted, "#search-input")
    def _to_results(self, event: Input.Submitted) -> None:
        event.stop()
        for list_id in ("#search-entries", "#search-entities"):
            results = self.query_one(list_id, EntityList)
            if results.highlighted_row is not None:
                results.focus()
                return

    def on_graph_changed(self, message: GraphChanged) -> None:
        """Names changed: search again (now, or when this screen shows again)."""
        self._refresh()

    def on_entry_enriched(self, message: EntryEnriched) -> None:
        """A newly read entry may add names that match."""
        self._refresh_soon()

    def on_data_changed(self, message: DataChanged) -> None:
        """Entries were written or deleted somewhere: the matches may change."""
        if message.changes.entries_changed(self.charlie.journal_id):
            self._refresh_soon()

    def _refresh_soon(self) -> None:
        # News from elsewhere comes in bursts (an import, the worker's backlog): search
        # again once it has settled for a moment, not once per event.
        if self._live_timer is None:
            self._live_timer = self.set_timer(LIVE_GAP_SECONDS, self._refresh_now)

    def _refresh_now(self) -> None:
        self._live_timer = None
        self._refresh()

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Catch up on changes made while another screen was on top."""
        if self._stale:
            self._stale = False
            self._search_now()

    def _refresh(self) -> None:
        if self.results is None:
            return
        if in_view(self):
            self._search_now()
        else:
            self._stale = True

    @on(EntityList.Chosen, "#search-entries")
    def _open_entry(self, event: EntityList.Chosen) -> None:
        # Imported on first use: the Markdown renderer is a sizeable share of start-up.
        from ui.screens.reader import ReaderScreen

        if event.row.target is None:
            return
        found_in = self.results.journal if self.results is not None else ""
        if found_in and found_in.casefold() != self.charlie.journal.casefold():
            # Found with journal:NAME: the reader reads the open journal, so open that one.
            self.charlie.switch_journal(found_in)
            self.notify(f"Switched to the journal {found_in!r}.")
        self.app.push_screen(ReaderScreen(event.row.target))

    @on(EntityList.Chosen, "#search-entities")
    def _open_entity(self, event: EntityList.Chosen) -> None:
        if event.row.target is not None:
            self.app.push_screen(EntityScreen(event.row.target))

    def action_back(self) -> None:
        """Return to the screen below."""
        self.dismiss(None)
