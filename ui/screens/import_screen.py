"""Import: bring entries in from Day One, jrnl or a folder of text files.

The user picks an importer, a source path and a target journal, previews the import
(a dry run: nothing is written) and then imports. The work runs in a thread worker
through ``run_import`` (backend/transfer/importer_source.py), which reports progress from
that thread: the screen shows an indeterminate bar while the source is read and a
counting one while entries are written, then the figures (added, already present,
rejected) and every rejected item with its reason.

Leaving while an import runs is safe by construction: until the first entry is
written the import can be stopped (nothing was written), and from then on Escape
says the import is running instead of leaving. :class:`ImportGate` makes that choice
under one lock, so the import thread and the key press can never both win.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    Label,
    ProgressBar,
    RadioButton,
    RadioSet,
    Static,
)
from textual.worker import Worker, WorkerState

from ui.messages import EntriesChanged
from ui.widgets.footer import CharlieFooter
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers

if TYPE_CHECKING:
    from backend.services.transfer import ImportSummary, Rejected

IMPORT_GROUP = "import-run"
RECURSIVE_IMPORTER = "files"
"""The importer that reads folders, the only one the "sub-folders" box applies to."""
PREFERRED_IMPORTER = "files"
"""Chosen at first: the importer most people can use (any folder of notes)."""
REJECTED_HEADINGS = ("Rejected item", "Reason")
# Columns lose this much of the screen's width: the results' side padding (4), each
# column's cell padding (2 x 2) and the vertical scrollbar (2).
REJECTED_CHROME = 10
IDLE_HINT = "Choose a source, then Preview (ctrl+t) to see what would be imported."


class ImportStopped(Exception):
    """Raised in the import thread to stop it before it writes anything."""


class ImportGate:
    """Decides between "the import starts writing" and "the user stops it", once.

    The import thread calls :meth:`enter_writing` before its first write; the UI calls
    :meth:`stop` when the user leaves. Whichever comes first wins, under one lock, so a
    stop can never land after entries were written and claim nothing was.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writing = False
        self._stopped = False

    @property
    def writing(self) -> bool:
        """The import has started (or finished) writing entries."""
        with self._lock:
            return self._writing

    @property
    def stopped(self) -> bool:
        """The user stopped the import before it wrote anything."""
        with self._lock:
            return self._stopped

    def enter_writing(self) -> bool:
        """From the import thread: may writing start? False if it was stopped."""
        with self._lock:
            if not self._stopped:
                self._writing = True
            return self._writing

    def stop(self) -> bool:
        """From the UI: stop the import. False if it is already writing."""
        with self._lock:
            if not self._writing:
                self._stopped = True
            return self._stopped


@dataclass(frozen=True)
class ImportRequest:
    """What the form asks for."""

    importer: str
    source: str
    journal: str
    recursive: bool
    dry_run: bool


def figures(summary: ImportSummary) -> Content:
    """The counts of a summary as one line: "4 found · 3 added · 0 already present · …"."""
    verb = "would be added" if summary.dry_run else "added"
    parts: list[str | tuple[str, str]] = []
    counts = (
        (summary.total, "found", ""),
        (summary.added, verb, "$success"),
        (summary.skipped, "already present", ""),
        (len(summary.rejected), "rejected", "$error" if summary.rejected else ""),
    )
    for index, (count, label, colour) in enumerate(counts):
        if index:
            parts.append((" · ", "$foreground-muted"))
        parts.append((f"{count:,}", f"bold {colour}".strip()))
        parts.append(f" {label}")
    return Content.assemble(*parts)


def headline(summary: ImportSummary) -> Content:
    """What happened, in words, naming the source and the journal."""
    if summary.dry_run:
        lead = ("Preview", "bold $accent")
        tail = " (nothing was written)."
    else:
        lead = ("Imported", "bold $success")
        tail = "."
    return Content.assemble(lead, f" from {summary.source} into “{summary.journal}”{tail}")


def afterword(summary: ImportSummary) -> str:
    """The line under the figures: what to do next, or what happened besides."""
    if summary.dry_run:
        if summary.added:
            return "Press Import (ctrl+s) to add them."
        return "Nothing new to add."
    lines = []
    if summary.backup:
        lines.append(f"Backup taken first: {summary.backup}")
    if summary.added:
        lines.append("New entries are enriched in the background, after your own.")
    return "\n".join(lines)


class ImportScreen(BackendWorkers, Screen[None]):
    """Previews and runs an import, with progress, figures and the rejected items."""

    HELP_TITLE = "Import"
    AUTO_FOCUS = "#import-source"
    # Ctrl keys, because every plain letter types into the path and journal fields.
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+t", "preview", "Preview"),
        Binding("ctrl+s", "run_import", "Import"),
    ]

    class Ready(Message):
        """The installed importers and the existing journals arrived."""

        def __init__(self, importers: dict[str, str], journals: list[str]) -> None:
            super().__init__()
            self.importers = importers
            self.journals = journals

    class Finished(Message):
        """An import or a preview ended; ``summary`` says what it did."""

        def __init__(self, summary: ImportSummary) -> None:
            super().__init__()
            self.summary = summary

    def __init__(self) -> None:
        super().__init__()
        self.importers: dict[str, str] = {}
        """Installed importers: name -> what each reads."""
        self.journals: list[str] = []
        """The names of the journals that exist."""
        self.summary: ImportSummary | None = None
        """What the last preview or import did (None before the first)."""
        self._gate = ImportGate()
        self._in_flight: ImportRequest | None = None

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with Vertical(id="import-form"):
            # The importers' RadioSet joins this row once the importers are known.
            with Horizontal(id="import-importer-row", classes="import-row"):
                yield Label("Import from", classes="import-label")
            with Horizontal(classes="import-row"):
                yield Label("Source", classes="import-label")
                with Vertical(classes="import-field"):
                    yield Input(id="import-source", placeholder="A file or folder")
                    yield Static(id="import-source-note", classes="import-note", markup=False)
                yield Checkbox("Include sub-folders", id="import-recursive")
            with Horizontal(classes="import-row"):
                yield Label("Journal", classes="import-label")
                yield Input(id="import-journal")
                yield Static(id="import-journal-note", classes="import-note", markup=False)
            with Horizontal(id="import-buttons"):
                yield Button("Preview (ctrl+t)", id="import-preview")
                yield Button("Import (ctrl+s)", id="import-run", variant="primary")
        with Vertical(id="import-results"):
            with Horizontal(id="import-progress-row"):
                yield ProgressBar(id="import-progress", show_eta=False)
                yield Static(IDLE_HINT, id="import-status", markup=False)
            yield Static(id="import-headline", markup=False)
            yield Static(id="import-figures", markup=False)
            yield Static(id="import-afterword", markup=False)
            yield DataTable(id="import-rejected", cursor_type="row")
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = "Import"
        for box in self.query(Input):
            box.cursor_blink = self.app.animation_level != "none"
        self.query_one("#import-journal", Input).value = self.charlie.journal
        self.query_one(ProgressBar).display = False
        self.query_one("#import-rejected", DataTable).display = False
        self.query_one("#import-form").loading = True
        self._load_choices()

    # -- the form --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="import-setup", exit_on_error=False)
    def _load_choices(self) -> None:
        importers = self.api.transfer.importers()
        journals = [journal.name for journal in self.api.journals.list()]
        self.post_message(self.Ready(importers, journals))

    async def on_import_screen_ready(self, message: Ready) -> None:
        """Offer the importers (with what each reads) and suggest the journals."""
        self.importers, self.journals = message.importers, message.journals
        width = max((len(name) for name in self.importers), default=0)
        buttons = [
            RadioButton(
                Content.assemble((name.ljust(width), "bold"), "  ", (description, "dim")),
                id=f"importer-{name}",
            )
            for name, description in self.importers.items()
        ]
        await self.query_one("#import-importer-row").mount(RadioSet(*buttons, id="import-importer"))
        if buttons:
            # Switched on after mounting, as a click would, so that the set's cursor
            # rests on the chosen importer too (not on the first one).
            chosen = PREFERRED_IMPORTER if PREFERRED_IMPORTER in self.importers else None
            buttons[list(self.importers).index(chosen) if chosen else 0].value = True
        self._suggest_journals()
        self.query_one("#import-form").loading = False
        self._importer_changed()
        self._describe_journal()
        self.query_one("#import-source", Input).focus()

    def _suggest_journals(self) -> None:
        self.query_one("#import-journal", Input).suggester = SuggestFromList(
            self.journals, case_sensitive=False
        )

    @property
    def importer(self) -> str | None:
        """The name of the chosen importer."""
        choices = self.query(RadioSet)
        pressed = choices.first().pressed_button if choices else None
        if pressed is None or pressed.id is None:
            return None
        return pressed.id.removeprefix("importer-")

    @on(RadioSet.Changed)
    def _importer_changed(self) -> None:
        name = self.importer
        source = self.query_one("#import-source", Input)
        if name is not None:
            source.placeholder = f"Path to {self.importers[name]}"
        # Only the folder importer looks into sub-folders.
        self.query_one(Checkbox).disabled = name != RECURSIVE_IMPORTER

    @on(Input.Changed, "#import-source")
    def _source_changed(self) -> None:
        # While typing, only confirm what exists; complaining about every half-typed
        # path would be noise. A missing path is reported when the user acts on it.
        note = self.query_one("#import-source-note", Static)
        if note.has_class("-error") or self._source_path() is not None:
            self.check_source()

    @on(Input.Changed, "#import-journal")
    def _describe_journal(self) -> None:
        name = self.query_one("#import-journal", Input).value.strip()
        known = {journal.casefold() for journal in self.journals}
        note = self.query_one("#import-journal-note", Static)
        if not name:
            note.update("Enter a journal name.")
        elif name.casefold() in known:
            note.update("An existing journal.")
        else:
            note.update("A new journal: it is created when entries are imported.")

    def _source_path(self) -> Path | None:
        text = self.query_one("#import-source", Input).value.strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.exists() else None

    def check_source(self) -> bool:
        """Say inline whether the source exists; True if it does."""
        text = self.query_one("#import-source", Input).value.strip()
        note = self.query_one("#import-source-note", Static)
        path = self._source_path()
        if path is not None:
            note.update("A folder." if path.is_dir() else "A file.")
        elif not text:
            note.update("Enter the path of the file or folder to import.")
        else:
            note.update(f"Nothing is at {Path(text).expanduser()}: check the path.")
        note.set_class(path is None, "-error")
        return path is not None

    # -- running ---------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        # Enter runs the harmless half: a preview writes nothing.
        event.stop()
        self.action_preview()

    @on(Button.Pressed, "#import-preview")
    def _preview_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_preview()

    @on(Button.Pressed, "#import-run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_run_import()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim Preview and Import while one runs."""
        if action in ("preview", "run_import") and self._in_flight is not None:
            return None
        return True

    def action_preview(self) -> None:
        """See what an import would add, skip and reject, without writing anything."""
        self._start(dry_run=True)

    def action_run_import(self) -> None:
        """Import the source into the journal."""
        self._start(dry_run=False)

    def _request(self, *, dry_run: bool) -> ImportRequest | None:
        """The form's request, or None after saying inline what is missing."""
        importer = self.importer
        if importer is None:
            self.notify("Choose what to import from first.", severity="warning")
            return None
        if not self.check_source():
            self.query_one("#import-source", Input).focus()
            return None
        journal = self.query_one("#import-journal", Input).value.strip()
        if not journal:
            self.query_one("#import-journal", Input).focus()
            return None
        return ImportRequest(
            importer=importer,
            source=self.query_one("#import-source", Input).value.strip(),
            journal=journal,
            recursive=importer == RECURSIVE_IMPORTER and self.query_one(Checkbox).value,
            dry_run=dry_run,
        )

    def _start(self, *, dry_run: bool) -> None:
        if self._in_flight is not None:
            self.notify("An import is already running.", severity="warning")
            return
        request = self._request(dry_run=dry_run)
        if request is None:
            return
        self._in_flight = request
        self._gate = ImportGate()
        self.refresh_bindings()
        self.query_one("#import-form").disabled = True
        self.show_summary(None)
        self.show_progress("reading", 0, None)
        self._run(request, self._gate)

    @work(thread=True, exclusive=True, group=IMPORT_GROUP, exit_on_error=False)
    def _run(self, request: ImportRequest, gate: ImportGate) -> None:
        def progress(stage: str, done: int, total: int | None) -> None:
            # Called from this thread by the import; the gate decides, under its lock,
            # whether the user stopped it first (then nothing has been written yet).
            if gate.stopped or (stage == "writing" and not gate.enter_writing()):
                raise ImportStopped
            self.app.call_from_thread(self.show_progress, stage, done, total)

        summary = self.api.transfer.import_entries(
            request.importer,
            request.source,
            journal=request.journal,
            dry_run=request.dry_run,
            recursive=request.recursive,
            progress=progress,
        )
        self.post_message(self.Finished(summary))

    def show_progress(self, stage: str, done: int, total: int | None) -> None:
        """Show how far the import is: reading (count unknown), then writing done/total."""
        if self._gate.stopped:
            return  # The screen is being left; its widgets may be gone.
        bar = self.query_one(ProgressBar)
        bar.display = True
        status = self.query_one("#import-status", Static)
        if stage == "writing" and total is not None:
            bar.update(total=max(total, 1), progress=done)
            status.update(f"Writing entries: {done:,} of {total:,}")
        else:
            bar.update(total=None, progress=0)
            items = f"{done:,} item{'' if done == 1 else 's'} so far" if done else "starting"
            status.update(f"Reading the source: {items}")

    def on_import_screen_finished(self, message: Finished) -> None:
        """Show the summary; after a real import, tell the user and the entry list."""
        summary = message.summary
        self._in_flight = None
        self.refresh_bindings()
        self.query_one("#import-form").disabled = False
        self.query_one(ProgressBar).display = False
        self.show_summary(summary)
        if summary.dry_run:
            return
        if summary.added:
            noun = "entry" if summary.added == 1 else "entries"
            self.notify(
                f"Imported {summary.added:,} {noun} into “{summary.journal}”.",
                title="Import finished",
            )
            if summary.journal.casefold() not in {j.casefold() for j in self.journals}:
                self.journals.append(summary.journal)
                self._suggest_journals()
                self._describe_journal()
            # The home list reloads when it shows again; the header counts the new jobs.
            self.app.post_message(EntriesChanged(None))
        else:
            self.notify("Nothing new was imported.", title="Import finished")

    def show_summary(self, summary: ImportSummary | None) -> None:
        """Show what an import did: headline, figures and rejected list (None clears)."""
        self.summary = summary
        status = self.query_one("#import-status", Static)
        headline_box = self.query_one("#import-headline", Static)
        figures_box = self.query_one("#import-figures", Static)
        after = self.query_one("#import-afterword", Static)
        if summary is None:
            for box in (headline_box, figures_box, after):
                box.update("")
            self._fill_rejected([])
            return
        status.update("")
        headline_box.update(headline(summary))
        figures_box.update(figures(summary))
        after.update(afterword(summary))
        self._fill_rejected(summary.rejected)
        # The form was disabled while the import ran, so the focus has to be given back.
        if summary.rejected:
            self.query_one("#import-rejected", DataTable).focus()
        elif self.focused is None:
            self.query_one("#import-source", Input).focus()

    def _fill_rejected(self, rejected: list[Rejected]) -> None:
        # Fixed column widths let each reason wrap onto as many lines as it needs
        # (auto-sized columns would put long reasons off screen to the right).
        table = self.query_one("#import-rejected", DataTable)
        table.clear(columns=True)
        table.display = bool(rejected)
        if not rejected:
            return
        room = max(self.size.width - REJECTED_CHROME, 20)
        longest = max(len(item.where) for item in rejected)
        where = min(max(longest, len(REJECTED_HEADINGS[0])), room * 2 // 5)
        table.add_column(REJECTED_HEADINGS[0], width=where)
        table.add_column(REJECTED_HEADINGS[1], width=room - where)
        for item in rejected:
            table.add_row(item.where, item.reason, height=None)

    def on_resize(self) -> None:
        """Fit the rejected list's columns to the new width."""
        if self.summary is not None:
            self._fill_rejected(self.summary.rejected)

    # -- failures and leaving ----------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A stopped import is not an error; everything else is reported as usual."""
        # Textual runs this handler and then the one of BackendWorkers (every class in
        # the MRO gets the message), unless the default is prevented here.
        if event.state == WorkerState.ERROR and isinstance(event.worker.error, ImportStopped):
            event.prevent_default()

    def worker_failed(self, worker: Worker[object]) -> None:
        """Give the form back and say what the failure means for the journal."""
        if worker.group != IMPORT_GROUP:
            self.query_one("#import-form").loading = False
            return
        request, self._in_flight = self._in_flight, None
        self.refresh_bindings()
        self.query_one("#import-form").disabled = False
        self.query_one("#import-source", Input).focus()
        self.query_one(ProgressBar).display = False
        status = self.query_one("#import-status", Static)
        if request is not None and request.dry_run:
            status.update("The preview failed: nothing was written.")
        elif self._gate.writing:
            status.update(
                "The import stopped part-way. Run it again to finish: entries already "
                "written are skipped."
            )
        else:
            status.update("The import failed: nothing was written.")

    def action_back(self) -> None:
        """Leave; an import that is writing is not left behind half-way."""
        if self._in_flight is not None:
            if not self._gate.stop():
                self.notify(
                    "The import is writing entries. Wait for its summary, then leave.",
                    title="Import running",
                    severity="warning",
                )
                return
            self.notify("Stopped before anything was written.", title="Import stopped")
        self.dismiss(None)
