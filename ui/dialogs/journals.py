"""The journal switcher: pick a journal, create one, rename or delete the highlighted one.

Each journal shows how many entries it holds (counted for all of them in one round trip)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, get_current_worker

from backend.models import Journal
from backend.services.journal import DeletedJournal, JournalInfo
from ui.dialogs.delete_journal import DeleteJournal, entries_text
from ui.messages import JournalRenamed
from ui.workers import BackendWorkers

HINT = "Enter switch · n new · r rename · d delete · Esc close"
NAMING_HINT = "Enter save · Esc cancel"


class JournalSwitcher(BackendWorkers, ModalScreen[str | None]):
    """Dismisses with the name of the journal to open, or None to stay where you are.

    Creating a journal switches to it at once, since that is why one creates it.
    Renaming keeps the dialog open and tells the app, which follows a rename of the
    journal that is open.
    """

    HELP_TITLE = "Journals"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("n", "create", "New journal"),
        Binding("r", "rename", "Rename"),
        Binding("d", "delete", "Delete"),
    ]

    class Loaded(Message):
        """The list of journals arrived."""

        def __init__(self, journals: list[JournalInfo], select: str | None) -> None:
            super().__init__()
            self.journals = journals
            self.select = select

    class Created(Message):
        """A new journal was created."""

        def __init__(self, journal: Journal) -> None:
            super().__init__()
            self.journal = journal

    class Renamed(Message):
        """A journal was renamed."""

        def __init__(self, old: str, journal: Journal) -> None:
            super().__init__()
            self.old = old
            self.journal = journal

    class Deleted(Message):
        """A journal was deleted (after a backup)."""

        def __init__(self, result: DeletedJournal) -> None:
            super().__init__()
            self.result = result

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current
        """The open journal; it is marked in the list and highlighted first."""
        self._naming: str | None = None  # "create" or "rename" while the name box shows
        self._renaming: str | None = None
        self._counts: dict[str, int] = {}  # Entries per journal name, as last loaded.

    def compose(self) -> ComposeResult:
        with Vertical(id="journals-box", classes="dialog"):
            yield Label("Journals", classes="dialog-title")
            yield OptionList(id="journal-list")
            yield Input(id="journal-name", classes="-hidden")
            yield Static(HINT, id="journal-hint")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = self.app.animation_level != "none"
        self.query_one(OptionList).loading = True
        self._load(self.current)

    @property
    def highlighted_name(self) -> str | None:
        """The name of the highlighted journal, if any."""
        option = self.query_one(OptionList).highlighted_option
        return None if option is None else option.id

    @work(thread=True, exclusive=True, group="journals-load", exit_on_error=False)
    def _load(self, select: str | None) -> None:
        journals = self.api.journals.overview()
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(journals, select))

    def on_journal_switcher_loaded(self, message: Loaded) -> None:
        """Fill the list and highlight the journal asked for."""
        options = self.query_one(OptionList)
        options.loading = False
        self._counts = {info.name: info.entries for info in message.journals}
        width = max(len(info.name) for info in message.journals) if message.journals else 0
        options.set_options(
            Option(self._label(info, width), id=info.name) for info in message.journals
        )
        names = [info.name for info in message.journals]
        wanted = message.select if message.select in names else self.current
        options.highlighted = names.index(wanted) if wanted in names else 0
        options.focus()

    def _label(self, info: JournalInfo, width: int) -> Content:
        """The name (bold and marked when open), then its entry count, in a column."""
        is_open = info.name.casefold() == self.current.casefold()
        mark = "  (open)" if is_open else ""
        pad = " " * (width - len(info.name) + 8 - len(mark))
        return Content.assemble(
            (info.name, "bold" if is_open else ""),
            (mark, "$foreground-muted"),
            pad,
            (f"{entries_text(info.entries):>13}", "$foreground-muted"),
        )

    @on(OptionList.OptionSelected, "#journal-list")
    def _switch(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_id)

    def action_create(self) -> None:
        """Ask for the name of a new journal."""
        self._ask_name("create", "", "Name of the new journal, then Enter")

    def action_rename(self) -> None:
        """Ask for a new name for the highlighted journal."""
        name = self.highlighted_name
        if name is not None:
            self._renaming = name
            self._ask_name("rename", name, f"New name for {name!r}, then Enter")

    def action_delete(self) -> None:
        """Ask, naming the journal and its entries, before deleting the highlighted one."""
        name = self.highlighted_name
        if name is None or name not in self._counts:
            return
        if len(self._counts) < 2:
            self.notify(
                f"{name!r} is your only journal: create another before deleting it.",
                severity="warning",
            )
            return
        entries = self._counts[name]
        is_open = name.casefold() == self.current.casefold()

        def answered(delete: bool | None) -> None:
            if delete:
                self.query_one(OptionList).loading = True
                self._delete(name, entries)

        self.app.push_screen(DeleteJournal(name, entries, is_open=is_open), answered)

    @work(thread=True, exclusive=True, group="journals-write", exit_on_error=False)
    def _delete(self, name: str, entries: int) -> None:
        self.post_message(self.Deleted(self.api.journals.delete(name, expected_entries=entries)))

    def on_journal_switcher_deleted(self, message: Deleted) -> None:
        """Say what went and where the backup is; open another journal if it was open."""
        result = message.result
        self.notify(
            f"Deleted {result.name!r} and its {entries_text(result.entries)}. "
            f"Backup: {result.backup}",
            timeout=10,
        )
        app = self.charlie
        if app.default_journal is not None and app.default_journal.casefold() == (
            result.name.casefold()
        ):
            app.default_journal = result.default
        if result.name.casefold() == self.current.casefold():
            self.dismiss(result.default)
        else:
            self._load(None)

    def _ask_name(self, mode: str, value: str, placeholder: str) -> None:
        self._naming = mode
        box = self.query_one(Input)
        box.value = value
        box.placeholder = placeholder
        box.remove_class("-hidden")
        box.focus()
        self.query_one("#journal-hint", Static).update(NAMING_HINT)

    def _hide_name_box(self) -> None:
        self._naming = None
        self.query_one(Input).add_class("-hidden")
        self.query_one(OptionList).focus()
        self.query_one("#journal-hint", Static).update(HINT)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the name box is open, n, r and d belong to the text being typed."""
        if action in ("create", "rename", "delete") and self._naming is not None:
            return False
        return True

    @on(Input.Submitted, "#journal-name")
    def _name_entered(self, event: Input.Submitted) -> None:
        event.stop()
        if self._naming == "create":
            self._create(event.value)
        elif self._naming == "rename" and self._renaming is not None:
            self._rename(self._renaming, event.value)

    @work(thread=True, exclusive=True, group="journals-write", exit_on_error=False)
    def _create(self, name: str) -> None:
        self.post_message(self.Created(self.api.journals.create(name)))

    @work(thread=True, exclusive=True, group="journals-write", exit_on_error=False)
    def _rename(self, old: str, new: str) -> None:
        self.post_message(self.Renamed(old, self.api.journals.rename(old, new)))

    def on_journal_switcher_created(self, message: Created) -> None:
        """Open the journal just made."""
        self.notify(f"Created journal {message.journal.name!r}")
        self.dismiss(message.journal.name)

    def on_journal_switcher_renamed(self, message: Renamed) -> None:
        """Show the new name and let the app follow it."""
        self.app.post_message(JournalRenamed(message.old, message.journal.name))
        if message.old.casefold() == self.current.casefold():
            self.current = message.journal.name
        self.notify(f"Renamed {message.old!r} to {message.journal.name!r}")
        self._hide_name_box()
        self._load(message.journal.name)

    def worker_failed(self, worker: Worker[object]) -> None:
        """Keep the name box open with the typed name so it can be fixed."""
        self.query_one(OptionList).loading = False

    def action_close(self) -> None:
        """Close the name box if it is open, else the dialog."""
        if self._naming is not None:
            self._hide_name_box()
        else:
            self.dismiss(None)
