"""Export from the app: the same exports as `charlie export markdown|json`.

The user picks the format, the place and whether to export only the open journal, then
the export runs in a thread with a counting bar. The dialog stays until it is done (the
export writes files, so leaving mid-way would only hide it) and then says what it wrote.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, RadioButton, RadioSet

from ui.workers import BackendWorkers

MARKDOWN, JSON = "markdown", "json"


def default_target(kind: str, today: date) -> str:
    """Where an export goes unless the user says otherwise: the home folder, dated."""
    name = f"charlie-export-{today.isoformat()}"
    return str(Path.home() / (name + ".json" if kind == JSON else name))


class ExportDialog(BackendWorkers, ModalScreen[None]):
    """Choose a format and a place, export, and say how many entries were written."""

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, journal: str) -> None:
        super().__init__()
        self.journal = journal
        """The open journal: exported alone when the box is ticked."""
        self.running = False
        """True while the export thread writes (Escape then waits)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box", classes="dialog"):
            yield Label("Export", classes="dialog-title")
            with RadioSet(id="export-kind"):
                yield RadioButton("Markdown: one file per entry in a folder", value=True)
                yield RadioButton("JSON: one file with everything (import-export reads it)")
            yield Input(default_target(MARKDOWN, date.today()), id="export-target")
            yield Checkbox(f"Only the journal “{self.journal}”", id="export-only-open")
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Label("", id="export-result", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", id="export-go", variant="primary")
                yield Button("Close", id="export-close")

    def on_mount(self) -> None:
        self.query_one("#export-progress", ProgressBar).display = False
        self.query_one("#export-target", Input).focus()

    @property
    def kind(self) -> str:
        return MARKDOWN if self.query_one("#export-kind", RadioSet).pressed_index == 0 else JSON

    @on(RadioSet.Changed, "#export-kind")
    def kind_changed(self) -> None:
        """Follow the format with the suggested place, unless the user typed their own."""
        target = self.query_one("#export-target", Input)
        if target.value in (default_target(k, date.today()) for k in (MARKDOWN, JSON)):
            target.value = default_target(self.kind, date.today())

    @on(Button.Pressed, "#export-go")
    @on(Input.Submitted, "#export-target")
    def go(self) -> None:
        """Start the export (once)."""
        target = self.query_one("#export-target", Input).value.strip()
        if self.running:
            return
        if not target:
            self.show_result("Say where to export to.")
            return
        only = self.query_one("#export-only-open", Checkbox).value
        self.running = True
        self.query_one("#export-go", Button).disabled = True
        self.query_one("#export-progress", ProgressBar).display = True
        self.show_result("Exporting…")
        self._export(self.kind, Path(target).expanduser(), self.journal if only else None)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, kind: str, target: Path, journal: str | None) -> None:
        transfer = self.api.transfer
        export = transfer.export_markdown if kind == MARKDOWN else transfer.export_json
        written = export(target, journal=journal, progress=self._progress_from_thread)
        what = "1 entry" if written == 1 else f"{written} entries"
        self.app.call_from_thread(self.finished, f"Wrote {what} to {target}")

    def _progress_from_thread(self, done: int, total: int) -> None:
        self.app.call_from_thread(self._progress, done, total)

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#export-progress", ProgressBar).update(total=total, progress=done)

    def finished(self, text: str) -> None:
        self.running = False
        self.query_one("#export-go", Button).disabled = False
        self.show_result(text)

    def worker_failed(self, worker: object) -> None:
        """The error is shown as a dialog; the form can be used again."""
        self.finished("The export did not finish.")

    def show_result(self, text: str) -> None:
        self.query_one("#export-result", Label).update(text)

    @on(Button.Pressed, "#export-close")
    def action_close(self) -> None:
        """Leave, unless the export is still writing."""
        if self.running:
            self.show_result("Still exporting: the dialog closes when it is done.")
        else:
            self.dismiss(None)
