"""One entity's page: what it is, every quote that mentions it (newest first), who and
what it appears with and the relationships entries state about it; plus the hand
corrections: rename, change its type, split some of its entries off to another entity,
merge a duplicate into it, delete it everywhere, block its name."""

from __future__ import annotations

from collections.abc import Iterator

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import ScreenResume
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Sparkline, Static
from textual.worker import Worker

from backend.errors import NotFoundError
from backend.models import EntityPage, EntityRef
from backend.services.time import MonthCount
from ui.dialogs.graph_confirm import confirm_block, confirm_delete, confirm_merge
from ui.dialogs.merge_entity import MergePicker
from ui.dialogs.rename_entity import RenameEntity
from ui.dialogs.retype_entity import RetypeEntity
from ui.dialogs.split_entity import SplitEntity
from ui.keys import browsing
from ui.messages import DataChanged, EntryEnriched, GraphChanged
from ui.widgets import graph_text
from ui.widgets.entity_list import EntityList, Row, entity_row, note_row
from ui.widgets.footer import CharlieFooter
from ui.widgets.live_reload import LiveReload
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers

GONE = "This entity no longer exists: it was merged into another one or removed."
CORRECTIONS = ("rename", "retype", "split", "merge", "delete", "block")
"""The actions that need the page loaded."""


def mention_rows(page: EntityPage) -> Iterator[Row]:
    """One row per entry that mentions the entity: its date and title, then the quote."""
    for mention in page.mentions:
        head = Content.assemble(
            (graph_text.short_date(mention.entry_at), "$accent"),
            "  ",
            (mention.entry_title or "(untitled)", "bold"),
        )
        quote = mention.quote or ", ".join(mention.names)
        prompt = Content.assemble(head, "\n", graph_text.quoted(quote)) if quote else head
        yield Row(mention.entry_id, prompt, mention.entry_id, divider=True)
    if not page.mentions:
        yield note_row("none", "No entry mentions it any more.")


def company_rows(page: EntityPage) -> Iterator[Row]:
    """Who and what shares entries with the entity, most shared first."""
    for ref in page.appears_with:
        yield entity_row(ref)
    if not page.appears_with:
        yield note_row("none", "Nobody and nothing else yet.")


def relation_rows(page: EntityPage) -> Iterator[Row]:
    """Each relationship as a sentence, with the evidence under it; rows open the other
    entity."""
    this = page.entity
    for index, relation in enumerate(page.relations):
        source, target = (this, relation.other) if relation.outgoing else (relation.other, this)
        line = graph_text.relation_line(source, relation.kind, target, bold=this.id)
        if relation.evidence:
            line = Content.assemble(
                line, "\n", (graph_text.quoted(relation.evidence), graph_text.MUTED)
            )
        yield Row(f"r:{index}", line, relation.other.id, divider=bool(relation.evidence))
    if not page.relations:
        yield note_row("none", "No relationships stated.")


def months_text(months: list[MonthCount]) -> str:
    """The sparkline's caption, e.g. "Mentions per month, Nov 2025 – Feb 2026 (most: 4)"."""

    def name(m: MonthCount) -> str:
        return f"{graph_text.month_name(m.year, m.month)[:3]} {m.year}"

    span = name(months[0]) if len(months) == 1 else f"{name(months[0])} – {name(months[-1])}"
    return f"Mentions per month, {span} (most: {max(m.count for m in months)})"


class EntityScreen(BackendWorkers, Screen[None]):
    """The page of one person, place, group or activity."""

    HELP_TITLE = "Entity"
    BINDINGS = browsing(
        Binding("escape", "back", "Back"),
        Binding("e", "rename", "Rename"),
        Binding("t", "retype", "Type"),
        Binding("s", "split", "Split"),
        Binding("m", "merge", "Merge"),
        Binding("d", "delete", "Delete"),
        Binding("b", "block", "Block"),
        Binding("B", "app.open_blocked", "Blocked", show=False),
        # Only on the author's own "I" (the key that opens that page on Home). Off the
        # footer, which is full at 100 columns; the facts line says it instead.
        Binding("y", "you", "You", show=False),
    )

    class Loaded(Message):
        """The page arrived."""

        def __init__(self, page: EntityPage) -> None:
            super().__init__()
            self.page = page

    class Gone(Message):
        """The entity no longer exists."""

    class Done(Message):
        """A correction went through; ``text`` says what happened, ``leave`` closes the
        page (the entity is gone)."""

        def __init__(self, text: str, *, leave: bool) -> None:
            super().__init__()
            self.text = text
            self.leave = leave

    def __init__(self, entity_id: str) -> None:
        super().__init__()
        self.entity_id = entity_id
        """The id of the entity shown."""
        self.page: EntityPage | None = None
        """The page shown, once it has arrived (None again once the entity is gone)."""
        self._live = LiveReload(self, self._load)
        self._first = True

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with Vertical(id="entity-head"):
            yield Static(id="entity-name", markup=False)
            yield Static(id="entity-facts")
            yield Static(id="entity-aliases", markup=False)
            yield Static(id="entity-months", markup=False)
            yield Sparkline([], id="entity-sparkline")
        with Horizontal(id="entity-body"):
            with Vertical(id="entity-main"):
                yield Label("Mentions, newest first", classes="entity-section")
                yield EntityList(id="entity-mentions")
            with Vertical(id="entity-side"):
                yield Label("Appears with", classes="entity-section")
                yield EntityList(id="entity-with")
                yield Label("Relationships", classes="entity-section")
                yield EntityList(id="entity-relations")
        yield Static(GONE, id="entity-gone")
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = self.charlie.journal
        self.query_one("#entity-gone").display = False
        self.query_one("#entity-body").loading = True
        self._live.now()

    # -- loading -------------------------------------------------------------------------

    @work(thread=True, group="entity-load", exit_on_error=False)
    def _load(self) -> None:
        try:
            page = self.here().graph.entity(self.entity_id)
        except NotFoundError:
            # Merged away or removed from another screen: say so on the page instead
            # of raising an error about a page the user did not ask to change.
            self.post_message(self.Gone())
            return
        self.post_message(self.Loaded(page))
        self.post_message(self.MonthsLoaded(self.here().time.mentions_by_month(self.entity_id)))

    class MonthsLoaded(Message):
        """How many entries mention the entity in each month (for the sparkline)."""

        def __init__(self, months: list[MonthCount]) -> None:
            super().__init__()
            self.months = months

    def on_entity_screen_months_loaded(self, message: MonthsLoaded) -> None:
        """Draw the mentions over time under the name (none: no line at all)."""
        months = message.months
        label = self.query_one("#entity-months", Static)
        line = self.query_one("#entity-sparkline", Sparkline)
        label.display = line.display = bool(months)
        if months:
            label.update(months_text(months))
            line.data = [m.count for m in months]
            # Two columns a month while they fit (one when many; more months than
            # columns share them), like the calendar's column a week.
            line.styles.width = min(72, len(months) * (2 if len(months) <= 36 else 1))

    def on_entity_screen_loaded(self, message: Loaded) -> None:
        """Show the page (lists keep their cursor across reloads)."""
        self._live.done()
        page = self.page = message.page
        entity = page.entity
        self.query_one("#entity-name", Static).update(entity.name)
        self.query_one("#entity-facts", Static).update(self._facts(page))
        aliases = [alias for alias in page.aliases if alias.casefold() != entity.name.casefold()]
        spelled = self.query_one("#entity-aliases", Static)
        spelled.update("Also written: " + ", ".join(aliases) if aliases else "")
        spelled.display = bool(aliases)
        self.query_one("#entity-mentions", EntityList).show_rows(mention_rows(page))
        self.query_one("#entity-with", EntityList).show_rows(company_rows(page))
        self.query_one("#entity-relations", EntityList).show_rows(relation_rows(page))
        self.query_one("#entity-body").loading = False
        if self._first:
            self._first = False
            self.query_one("#entity-mentions").focus()
        self.refresh_bindings()

    @staticmethod
    def _facts(page: EntityPage) -> Content:
        parts: list[str | tuple[str, str]] = [
            (page.entity.type, "bold $accent"),
            f" · mentioned in {graph_text.entries_count(page.mention_count)}",
        ]
        if page.first_mention is not None and page.last_mention is not None:
            first = graph_text.short_date(page.first_mention, aligned=False)
            last = graph_text.short_date(page.last_mention, aligned=False)
            parts.append(f" · first {first}" if first == last else f" · first {first}, last {last}")
        if page.is_self:
            parts.append((" · this is you: y opens your page", graph_text.MUTED))
        return Content.assemble(*parts)

    def on_entity_screen_gone(self, message: Gone) -> None:
        """Say the entity is gone; only Escape is left to do."""
        self._live.done()
        self.page = None
        self.query_one("#entity-body").loading = False
        self.query_one("#entity-body").display = False
        self.query_one("#entity-gone").display = True
        self.refresh_bindings()

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop waiting; what is on screen stays."""
        if worker.group == "entity-load":
            self._live.done()
            self.query_one("#entity-body").loading = False

    def on_graph_changed(self, message: GraphChanged) -> None:
        """A correction somewhere: read the page again."""
        self._live.changed()

    def on_entry_enriched(self, message: EntryEnriched) -> None:
        """An entry was read: it may mention this entity now (or no longer)."""
        self._live.changed(paced=True)

    def on_data_changed(self, message: DataChanged) -> None:
        """Entries were edited or deleted somewhere: quotes, titles and counts may change."""
        if message.changes.entries_changed(self.charlie.journal_id):
            self._live.changed(paced=True)

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Catch up on changes made while another screen was on top."""
        self._live.resumed()

    # -- opening things ------------------------------------------------------------------

    @on(EntityList.Chosen, "#entity-mentions")
    def _open_entry(self, event: EntityList.Chosen) -> None:
        # Imported on first use: the Markdown renderer is a sizeable share of start-up.
        from ui.screens.reader import ReaderScreen

        if event.row.target is not None:
            self.app.push_screen(ReaderScreen(event.row.target))

    @on(EntityList.Chosen, "#entity-with, #entity-relations")
    def _open_entity(self, event: EntityList.Chosen) -> None:
        if event.row.target is not None:
            self.app.push_screen(EntityScreen(event.row.target))

    # -- corrections ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim the corrections until the page is there (and while it is gone)."""
        if action in CORRECTIONS and self.page is None:
            return None
        if action in ("block", "retype") and self.page is not None and self.page.is_self:
            return None  # "I" is the author: always a person, not a name to stop finding.
        if action == "you":
            return self.page is not None and self.page.is_self
        return True

    @property
    def entity(self) -> EntityRef | None:
        """The entity shown, once loaded."""
        return None if self.page is None else self.page.entity

    def action_back(self) -> None:
        """Return to the screen below."""
        self.dismiss(None)

    def action_you(self) -> None:
        """From the author's "I", open their own page (their people and places)."""
        self.charlie.action_open_author()

    def action_rename(self) -> None:
        """Rename the entity (the old name stays as another spelling)."""
        entity = self.entity
        if entity is None:
            return

        def renamed(name: str | None) -> None:
            if name is not None:
                self.notify(f"Renamed to “{name}”")

        self.app.push_screen(RenameEntity(entity), renamed)

    def action_retype(self) -> None:
        """Give the entity another type (a place read as a person)."""
        entity = self.entity
        if entity is None:
            return

        def retyped(new_type: str | None) -> None:
            if new_type is not None:
                self.notify(f"“{entity.name}” is now a {new_type.lower()}")

        self.app.push_screen(RetypeEntity(entity), retyped)

    def action_split(self) -> None:
        """Move some of its entries to another entity (two people of one name)."""
        page = self.page
        if page is None:
            return

        def split(moved: tuple[EntityRef, int] | None) -> None:
            if moved is not None:
                target, count = moved
                self.notify(
                    f"Moved {graph_text.entries_count(count)} to “{target.name}” "
                    f"({target.type.lower()})"
                )
                if count >= page.mention_count and self.app.screen is self:
                    # Every entry moved, so this entity is gone: show where they went.
                    self.app.switch_screen(EntityScreen(target.id))

        self.app.push_screen(SplitEntity(page), split)

    def action_merge(self) -> None:
        """Pick a duplicate (of any type) and fold it into this entity."""
        keep = self.entity
        if keep is None:
            return

        def picked(other: EntityRef | None) -> None:
            if other is None:
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    self._merge(keep, other)

            self.app.push_screen(confirm_merge(keep, other), answered)

        self.app.push_screen(MergePicker(keep), picked)

    @work(thread=True, group="entity-write", exit_on_error=False)
    def _merge(self, keep: EntityRef, other: EntityRef) -> None:
        self.here().curation.merge(keep.id, other.id)
        self.post_message(self.Done(f"Merged “{other.name}” into “{keep.name}”", leave=False))

    def action_delete(self) -> None:
        """Remove the entity from every entry, after asking."""
        page = self.page
        if page is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(page.entity)

        self.app.push_screen(confirm_delete(page.entity, page.mention_count), answered)

    @work(thread=True, group="entity-write", exit_on_error=False)
    def _delete(self, entity: EntityRef) -> None:
        self.here().curation.delete(entity.id)
        self.post_message(self.Done(f"Deleted “{entity.name}” everywhere", leave=True))

    def action_block(self) -> None:
        """Block the entity's name for good, after asking."""
        entity = self.entity
        if entity is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._block(entity)

        self.app.push_screen(confirm_block(entity), answered)

    @work(thread=True, group="entity-write", exit_on_error=False)
    def _block(self, entity: EntityRef) -> None:
        self.here().curation.block(entity.name)
        text = f"Blocked “{entity.name}”: removed everywhere, and it will not be found again"
        self.post_message(self.Done(text, leave=True))

    def on_entity_screen_done(self, message: Done) -> None:
        """Say what happened, let every graph view catch up, and leave a page that is gone."""
        self.notify(message.text)
        self.app.post_message(GraphChanged())
        if message.leave:
            self.page = None
            if self.is_active:
                self.dismiss(None)
