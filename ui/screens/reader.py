"""Read one entry as rendered Markdown and step to the entries around it.

The names of the entry's entities are links in the text, and a sidebar lists its
connections (entities by type, relationships); both open entity pages. l links a name
the reading missed (x in the sidebar unlinks one). The sidebar loads again when the
entry's enrichment finishes while it is on screen. When another window or the CLI edits
the entry, the new text shows; when it deletes it, the page says so (the text stays on
screen to read).
"""

from __future__ import annotations

from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import ScreenResume
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static
from textual.worker import Worker, get_current_worker

from backend.errors import NotFoundError
from backend.models import EntityRef, Entry, EntryEntities
from ui import timeline
from ui.dialogs.confirm_delete import ConfirmDelete
from ui.dialogs.graph_confirm import confirm_remove
from ui.dialogs.link_entity import LinkEntity
from ui.dialogs.tag_filter import TagChoice, TagFilter
from ui.keys import browsing
from ui.messages import DataChanged, EntriesChanged, EntryEnriched, GraphChanged, QueueChanged
from ui.screens.editor import EditorScreen
from ui.screens.entity import EntityScreen
from ui.screens.tag import TagScreen
from ui.widgets.attachments import AttachmentList
from ui.widgets.connections import Connections
from ui.widgets.entity_list import EntityList
from ui.widgets.entity_markdown import EntityMarkdown, link_entities
from ui.widgets.footer import CharlieFooter
from ui.widgets.live_reload import LiveReload
from ui.widgets.open_elsewhere import OpenElsewhere
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers

GONE = "This entry was deleted (in another window, or from the command line)."
NAME_CHARS = 80
"""Selected text longer than this is not taken for a name to link."""


class ReaderScreen(BackendWorkers, Screen[None]):
    """Shows one entry; [ and ] (or p and n) step to older and newer ones.

    Only the id is passed in: the entry is fetched here, so the screen always shows
    what is stored, including after an edit.
    """

    HELP_TITLE = "Reader"
    BINDINGS = browsing(
        Binding("escape", "back", "Back"),
        Binding("e", "edit", "Edit"),
        Binding("d", "delete", "Delete"),
        Binding("r", "reenrich", "Re-enrich", show=False),
        Binding("l", "link", "Link"),
        Binding("left_square_bracket", "older", "Older", key_display="["),
        Binding("right_square_bracket", "newer", "Newer", key_display="]"),
        Binding("c", "toggle_connections", "Connections"),
        Binding("asterisk", "toggle_star", "Star", key_display="*", show=False),
        Binding("number_sign", "tags", "Tags", key_display="#", show=False),
        Binding("v", "open_attachment", "View photo", show=False),
    )

    class Loaded(Message):
        """An entry, the ids of its neighbours and its connections arrived."""

        def __init__(
            self, entry: Entry, older: str | None, newer: str | None, connections: EntryEntities
        ) -> None:
            super().__init__()
            self.entry = entry
            self.older = older
            self.newer = newer
            self.connections = connections

    class Refreshed(Message):
        """The entry shown was read again after a change elsewhere (``entry`` None: it
        no longer exists)."""

        def __init__(
            self,
            entry_id: str,
            entry: Entry | None,
            older: str | None,
            newer: str | None,
            connections: EntryEntities | None,
        ) -> None:
            super().__init__()
            self.entry_id = entry_id
            self.entry = entry
            self.older = older
            self.newer = newer
            self.connections = connections

    class ConnectionsLoaded(Message):
        """An entry's connections arrived (read again after a change)."""

        def __init__(self, entry_id: str, connections: EntryEntities) -> None:
            super().__init__()
            self.entry_id = entry_id
            self.connections = connections

    class Removed(Message):
        """An entity was unlinked from the entry on screen."""

        def __init__(self, entity: EntityRef) -> None:
            super().__init__()
            self.entity = entity

    class Starred(Message):
        """The entry on screen was starred or unstarred (``entry`` as it is now)."""

        def __init__(self, entry: Entry) -> None:
            super().__init__()
            self.entry = entry

    class Deleted(Message):
        """The entry on screen was deleted."""

        def __init__(self, entry_id: str) -> None:
            super().__init__()
            self.entry_id = entry_id

    class Requeued(Message):
        """The entry was queued for enrichment again (``queued`` False: it already was)."""

        def __init__(self, queued: bool) -> None:
            super().__init__()
            self.queued = queued

    def __init__(self, entry_id: str) -> None:
        super().__init__()
        self.entry_id = entry_id
        """The id of the entry shown (or being fetched)."""
        self.entry: Entry | None = None
        """The entry shown, once it has arrived."""
        self.connections: EntryEntities | None = None
        """The entry's connections as last loaded."""
        self._older: str | None = None
        self._newer: str | None = None
        self._live = LiveReload(self, self._load_connections)
        self._fresh = LiveReload(self, self._refresh)
        self._counts: dict[str, int] | None = None

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with Vertical(id="reader-head"):
            yield Static(id="reader-title", markup=False)
            yield Static(id="reader-date", markup=False)
            yield Static(id="reader-tags", markup=False)
            yield Static(GONE, id="reader-gone", markup=False)
            yield OpenElsewhere(id="reader-elsewhere")
        with Horizontal(id="reader-main"):
            with VerticalScroll(id="reader-scroll"):
                yield EntityMarkdown(id="reader-body")
                yield AttachmentList(self.api.settings, id="reader-attachments")
            with Vertical(id="reader-side"):
                yield Label("Connections", id="reader-side-title")
                yield Connections(id="reader-connections")
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = self.charlie.journal
        self.show(self.entry_id)

    @property
    def sidebar(self) -> Connections:
        """The connections sidebar."""
        return self.query_one(Connections)

    def show(self, entry_id: str) -> None:
        """Fetch and show another entry."""
        self.entry_id = entry_id
        self.query_one("#reader-gone").display = False
        self.query_one(OpenElsewhere).follow(entry_id)
        self.query_one("#reader-scroll").loading = True
        self.sidebar.loading = True
        self._load(entry_id)

    @work(thread=True, exclusive=True, group="reader-load", exit_on_error=False)
    def _load(self, entry_id: str) -> None:
        here = self.here()
        entry = here.entries.get(entry_id)
        older, newer = here.entries.neighbours(entry_id)
        connections = here.graph.entry_entities(entry_id)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(entry, older, newer, connections))

    async def on_reader_screen_loaded(self, message: Loaded) -> None:
        """Render the entry that arrived."""
        entry = message.entry
        if entry.id != self.entry_id:
            return  # The user already stepped on; a newer load is coming.
        self.entry, self._older, self._newer = entry, message.older, message.newer
        # Without a title the date heads the page: repeating the body's first line
        # as a heading right above the body would only say it twice.
        when = timeline.long_date(entry.entry_at)
        self.query_one("#reader-title", Static).update(entry.title or when)
        date = self.query_one("#reader-date", Static)
        date.update(when)
        date.display = bool(entry.title)
        self._show_marks(entry)
        scroll = self.query_one("#reader-scroll", VerticalScroll)
        await self._show_connections(message.connections)
        scroll.scroll_home(animate=False)
        scroll.loading = False
        scroll.focus()
        self.refresh_bindings()

    async def _show_connections(self, connections: EntryEntities) -> None:
        """Fill the sidebar and link the entities' names in the text."""
        self.connections = connections
        self.sidebar.loading = False
        self.sidebar.show(connections)
        if self.entry is not None:
            self.query_one(AttachmentList).show(self.entry.attachments)
            body = self.query_one("#reader-body", EntityMarkdown)
            source = link_entities(self.entry.body, connections.mentions)
            if source != body.source:
                await body.update(source)

    @work(thread=True, group="reader-connections", exit_on_error=False)
    def _load_connections(self) -> None:
        entry_id = self.entry_id
        connections = self.here().graph.entry_entities(entry_id)
        self.post_message(self.ConnectionsLoaded(entry_id, connections))

    async def on_reader_screen_connections_loaded(self, message: ConnectionsLoaded) -> None:
        """Show connections read again, unless the user has moved to another entry."""
        self._live.done()
        if message.entry_id == self.entry_id and self.entry is not None:
            await self._show_connections(message.connections)

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop the spinner; what is on screen stays."""
        self.query_one("#reader-scroll").loading = False
        self.sidebar.loading = False
        if worker.group == "reader-connections":
            self._live.done()
        elif worker.group == "reader-refresh":
            self._fresh.done()

    def on_entry_enriched(self, message: EntryEnriched) -> None:
        """This entry's enrichment finished: its connections are new."""
        if message.entry_id == self.entry_id:
            self._live.changed(paced=True)

    def on_data_changed(self, message: DataChanged) -> None:
        """Entries changed somewhere: this one (new text, or gone) or its neighbours."""
        if message.changes.entries_changed(self.charlie.journal_id):
            self._fresh.changed(paced=True)

    @work(thread=True, group="reader-refresh", exit_on_error=False)
    def _refresh(self) -> None:
        entry_id = self.entry_id
        older = newer = connections = None
        try:
            # A journal renamed elsewhere is not found either: then the entry shows as gone.
            here = self.here()
            entry: Entry | None = here.entries.get(entry_id)
        except NotFoundError:
            entry = None
        else:
            older, newer = here.entries.neighbours(entry_id)
            connections = here.graph.entry_entities(entry_id)
        self.post_message(self.Refreshed(entry_id, entry, older, newer, connections))

    async def on_reader_screen_refreshed(self, message: Refreshed) -> None:
        """Show what is stored now, in place (no spinner, the scroll position kept)."""
        self._fresh.done()
        if message.entry_id != self.entry_id or self.query_one("#reader-scroll").loading:
            return  # The user stepped on meanwhile; that load shows what is stored.
        gone = message.entry is None
        self.query_one("#reader-gone").display = gone
        if message.entry is None or message.connections is None:
            # Keep the text to read, but nothing can be done to an entry that is gone.
            self.entry = None
            self.refresh_bindings()
            return
        entry = self.entry = message.entry
        self._older, self._newer = message.older, message.newer
        when = timeline.long_date(entry.entry_at)
        self.query_one("#reader-title", Static).update(entry.title or when)
        date = self.query_one("#reader-date", Static)
        date.update(when)
        date.display = bool(entry.title)
        self._show_marks(entry)
        await self._show_connections(message.connections)
        self.refresh_bindings()

    # -- tags and stars ----------------------------------------------------------------

    def _show_marks(self, entry: Entry) -> None:
        """The star and the tags under the title ("★ Starred · #work #travel")."""
        marks = ["★ Starred"] if entry.starred else []
        if entry.tags:
            marks.append(" ".join(f"#{tag}" for tag in entry.tags))
        line = self.query_one("#reader-tags", Static)
        line.update(" · ".join(marks))
        line.display = bool(marks)

    def action_toggle_star(self) -> None:
        """Star the entry, or take its star away."""
        if self.entry is not None:
            self._star(self.entry)

    @work(thread=True, group="reader-star", exit_on_error=False)
    def _star(self, entry: Entry) -> None:
        entries = self.here().entries
        (entries.unstar if entry.starred else entries.star)(entry.id)
        self.post_message(self.Starred(replace(entry, starred=not entry.starred)))

    def on_reader_screen_starred(self, message: Starred) -> None:
        """Show the star at once (the change event reads the entry again too)."""
        if self.entry is not None and self.entry.id == message.entry.id:
            self.entry = replace(self.entry, starred=message.entry.starred)
            self._show_marks(self.entry)
        self.notify("Starred" if message.entry.starred else "Star removed")

    def action_tags(self) -> None:
        """Open the entry's tag's page (with several tags, pick one first)."""
        entry = self.entry
        if entry is None or not entry.tags:
            self.notify("This entry has no tags: write #words in it, or add them in the editor.")
            return
        if len(entry.tags) == 1:
            self.app.push_screen(TagScreen(entry.tags[0]))
            return

        def chosen(choice: TagChoice | None) -> None:
            if choice is not None and choice.tag is not None:
                self.app.push_screen(TagScreen(choice.tag))

        self.app.push_screen(TagFilter(only=entry.tags), chosen)

    def on_graph_changed(self, message: GraphChanged) -> None:
        """A correction (a rename, a merge, a removal) may change what is linked here."""
        self._live.changed()

    def on_queue_changed(self, message: QueueChanged) -> None:
        """Jobs moved on. Events name the entry they finished, but one can be missed, so
        any change in the job counts also reads the (small) connections again."""
        counts = message.status.counts
        if self._counts is not None and counts != self._counts:
            self._live.changed()
        self._counts = counts

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Catch up on changes made while another screen was on top."""
        self._live.resumed()
        self._fresh.resumed()

    # -- connections -------------------------------------------------------------------

    def on_entity_markdown_entity_clicked(self, message: EntityMarkdown.EntityClicked) -> None:
        """A name in the text was clicked: open its page."""
        self.app.push_screen(EntityScreen(message.entity_id))

    @on(EntityList.Chosen, "#reader-connections")
    def _open_entity(self, event: EntityList.Chosen) -> None:
        if event.row.target is not None:
            self.app.push_screen(EntityScreen(event.row.target))

    def action_toggle_connections(self) -> None:
        """Show or hide the connections sidebar."""
        side = self.query_one("#reader-side")
        side.display = not side.display
        if not side.display and self.sidebar.has_focus:
            self.query_one("#reader-scroll").focus()

    def on_connections_remove_requested(self, message: Connections.RemoveRequested) -> None:
        """Unlink an entity from this entry, after asking."""
        entry = self.entry
        if entry is None:
            return
        entity = message.entity

        def answered(yes: bool | None) -> None:
            if yes:
                self._remove(entry.id, entity)

        self.app.push_screen(confirm_remove(entity, entry.display_title or "this entry"), answered)

    @work(thread=True, group="reader-remove", exit_on_error=False)
    def _remove(self, entry_id: str, entity: EntityRef) -> None:
        self.here().curation.remove_from_entry(entry_id, entity.id)
        self.post_message(self.Removed(entity))

    def on_reader_screen_removed(self, message: Removed) -> None:
        """Confirm; every view of the graph (this sidebar too) reads it again."""
        self.notify(f"Removed “{message.entity.name}” from this entry")
        self.app.post_message(GraphChanged())

    def action_link(self) -> None:
        """Link a name the reading missed to this entry (the text selected in the entry,
        if any, is where the name starts)."""
        entry = self.entry
        if entry is None:
            return
        selected = " ".join((self.get_selected_text() or "").split())
        mentioned = {ref.id for ref, _ in self.connections.mentions} if self.connections else set()

        def linked(entity: EntityRef | None) -> None:
            if entity is not None:
                self.notify(f"Linked “{entity.name}” ({entity.type.lower()}) to this entry")

        # A selection longer than a name is not one: start empty then.
        name = selected if len(selected) <= NAME_CHARS else ""
        self.app.push_screen(LinkEntity(entry.id, mentioned, name), linked)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim keys that cannot do anything (no older entry, nothing loaded yet)."""
        if action == "older":
            return self._older is not None or None
        if action == "newer":
            return self._newer is not None or None
        if action in ("edit", "delete", "reenrich", "link", "toggle_star", "tags"):
            return self.entry is not None or None
        return True

    def action_older(self) -> None:
        """Show the next older entry."""
        if self._older is None:
            self.notify("This is the oldest entry.")
        else:
            self.show(self._older)

    def action_newer(self) -> None:
        """Show the next newer entry."""
        if self._newer is None:
            self.notify("This is the newest entry.")
        else:
            self.show(self._newer)

    def action_back(self) -> None:
        """Return to the list."""
        self.dismiss(None)

    def action_open_attachment(self) -> None:
        """Open the highlighted attachment (a photo) with the system's viewer."""
        self.query_one(AttachmentList).open_highlighted()

    def action_edit(self) -> None:
        """Edit this entry; show the result when the editor closes."""
        if self.entry is not None:
            editor = EditorScreen(self.entry)
            # This app's own editor is not "another window".
            self.query_one(OpenElsewhere).session = editor.session
            self.app.push_screen(editor, self._edited)

    def _edited(self, saved: Entry | None) -> None:
        if saved is not None:
            self.show(saved.id)

    def action_reenrich(self) -> None:
        """Queue this entry for enrichment again, ahead of any backlog."""
        if self.entry is not None:
            self._reenrich(self.entry.id)

    @work(thread=True, group="reader-reenrich", exit_on_error=False)
    def _reenrich(self, entry_id: str) -> None:
        self.post_message(self.Requeued(self.here().entries.reenrich(entry_id)))

    def on_reader_screen_requeued(self, message: Requeued) -> None:
        """Confirm, and let the indicator catch up at once."""
        self.notify("Queued for enrichment" if message.queued else "Already queued for enrichment")
        self.charlie.refresh_queue()

    def action_delete(self) -> None:
        """Delete this entry after asking."""
        entry = self.entry
        if entry is None:
            return

        def answered(delete: bool | None) -> None:
            if delete:
                self._delete(entry.id)

        when = timeline.long_date(entry.entry_at)
        self.app.push_screen(ConfirmDelete(entry.display_title, when), answered)

    @work(thread=True, exclusive=True, group="reader-delete", exit_on_error=False)
    def _delete(self, entry_id: str) -> None:
        self.here().entries.delete(entry_id)
        self.post_message(self.Deleted(entry_id))

    def on_reader_screen_deleted(self, message: Deleted) -> None:
        """Go back to the list, which puts the cursor on the entry that took its place."""
        self.app.post_message(EntriesChanged(None))
        self.notify("Entry deleted")
        self.dismiss(None)
