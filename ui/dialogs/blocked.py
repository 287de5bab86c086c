"""Blocked names: names the extractor never picks out of an entry. u unblocks one, and
the entries that contain it are read again so it comes back where it belongs."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, Static
from textual.worker import Worker, get_current_worker

from ui.messages import GraphChanged
from ui.widgets import graph_text
from ui.widgets.entity_list import EntityList, Row, note_row
from ui.workers import BackendWorkers

INTRO = (
    "These names are never picked out of an entry. Unblocking one reads the entries "
    "that contain it again."
)
EMPTY = "No names are blocked. Press b on an entity's page to block its name."


class NameList(EntityList):
    """The list of names: Enter opens nothing here, so the footer does not offer it."""

    BINDINGS = [Binding("enter", "select", "", show=False)]


class BlockedNames(BackendWorkers, ModalScreen[None]):
    """Lists the open journal's blocked names; u unblocks the highlighted one."""

    HELP_TITLE = "Blocked names"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("u", "unblock", "Unblock"),
    ]

    class Loaded(Message):
        """The blocked names arrived."""

        def __init__(self, names: list[str]) -> None:
            super().__init__()
            self.names = names

    class Unblocked(Message):
        """A name was unblocked and ``queued`` entries were queued to be read again."""

        def __init__(self, name: str, queued: int) -> None:
            super().__init__()
            self.blocked_name = name
            self.queued = queued

    def compose(self) -> ComposeResult:
        with Vertical(id="blocked-box", classes="dialog"):
            yield Label("Blocked names", classes="dialog-title")
            yield Static(INTRO, id="blocked-intro")
            yield NameList(id="blocked-list")
            yield Static("u unblock · Esc close", id="blocked-hint")

    def on_mount(self) -> None:
        names = self.query_one(EntityList)
        names.loading = True
        names.focus()
        self._load()

    @property
    def names(self) -> list[str]:
        """The names listed, top to bottom."""
        return [row.target for row in self.query_one(EntityList).rows if row.target is not None]

    @property
    def highlighted_name(self) -> str | None:
        """The name under the cursor, if any."""
        row = self.query_one(EntityList).highlighted_row
        return None if row is None else row.target

    @work(thread=True, exclusive=True, group="blocked-load", exit_on_error=False)
    def _load(self) -> None:
        names = self.here().curation.blocked()
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(names))

    def on_blocked_names_loaded(self, message: Loaded) -> None:
        """List the names (the row's target is the name itself)."""
        names = self.query_one(EntityList)
        names.loading = False
        rows = [Row(f"n:{name}", name, name) for name in message.names]
        names.show_rows(rows or [note_row("none", EMPTY)])
        self.refresh_bindings()

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop waiting; what is listed stays."""
        self.query_one(EntityList).loading = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """u needs a name under the cursor."""
        if action == "unblock":
            return self.highlighted_name is not None or None
        return True

    def on_entity_list_chosen(self, event: EntityList.Chosen) -> None:
        """Enter on a name does nothing more than say what u does."""
        self.notify("Press u to unblock it.")

    def action_unblock(self) -> None:
        """Allow the highlighted name again."""
        name = self.highlighted_name
        if name is not None:
            self._unblock(name)

    @work(thread=True, exclusive=True, group="blocked-write", exit_on_error=False)
    def _unblock(self, name: str) -> None:
        queued = self.here().curation.unblock(name)
        self.post_message(self.Unblocked(name, queued))

    def on_blocked_names_unblocked(self, message: Unblocked) -> None:
        """Say what happens next, and list the names again."""
        again = (
            f"; {graph_text.entries_count(message.queued)} will be read again"
            if message.queued
            else ""
        )
        self.notify(f"“{message.blocked_name}” is no longer blocked{again}.")
        self.app.post_message(GraphChanged())
        self.charlie.refresh_queue()
        self._load()

    def action_close(self) -> None:
        """Close the dialog."""
        self.dismiss(None)
