"""One dead job in full: the error, the whole traceback and every attempt."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static
from textual.worker import Worker

from backend.errors import NotFoundError
from ui import queue_text
from ui.dialogs.confirm import confirm_discard
from ui.keys import browsing
from ui.messages import QueueChanged
from ui.queue_data import JobRow, load_job
from ui.widgets.footer import CharlieFooter
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers, OneAtATime


class JobDetailScreen(BackendWorkers, Screen[None]):
    """Shows a job by id, read again whenever the queue moves."""

    HELP_TITLE = "Dead job"
    BINDINGS = browsing(
        Binding("escape", "back", "Back"),
        Binding("r", "retry", "Retry"),
        Binding("x", "discard", "Discard"),
    )

    class Loaded(Message):
        """The job arrived."""

        def __init__(self, row: JobRow) -> None:
            super().__init__()
            self.row = row

    class Gone(Message):
        """The job no longer exists (discarded, or its entry deleted)."""

    class Done(Message):
        """A retry or discard went through; ``text`` says what happened."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id
        """The job shown."""
        self.row: JobRow | None = None
        """The job with its label, once it has arrived."""
        self._reader = OneAtATime(self._load)

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with Vertical(id="job-head"):
            yield Static(id="job-title", markup=False)
            yield Static(id="job-meta", markup=False)
        yield Label("Last error", classes="job-heading")
        yield Static(id="job-error", markup=False)
        yield Label("Traceback", classes="job-heading")
        with VerticalScroll(id="job-traceback-scroll"):
            yield Static(id="job-traceback", markup=False)
        yield Label("History, newest first", classes="job-heading")
        with VerticalScroll(id="job-history-scroll"):
            yield Static(id="job-history", markup=False)
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = "Dead job"
        scroll = self.query_one("#job-traceback-scroll")
        scroll.focus()
        scroll.loading = True
        self._reader.request()

    def on_queue_changed(self, message: QueueChanged) -> None:
        """The job may have moved (retried elsewhere, say): read it again."""
        self._reader.request()

    @work(thread=True, group="job-load", exit_on_error=False)
    def _load(self) -> None:
        try:
            row = load_job(self.api, self.charlie.titles, self.job_id)
        except NotFoundError:
            self.post_message(self.Gone())
            return
        self.post_message(self.Loaded(row))

    def on_job_detail_screen_loaded(self, message: Loaded) -> None:
        """Show the job (unless nothing changed since the last reading)."""
        self._reader.done()
        self.query_one("#job-traceback-scroll").loading = False
        old, self.row = self.row, message.row
        if old is not None and old.record == message.row.record and old.label == message.row.label:
            return
        self._show(message.row)
        self.refresh_bindings()

    def on_job_detail_screen_gone(self, message: Gone) -> None:
        """Nothing left to show."""
        self._reader.done()
        # Two readings can both find the job gone (a refresh and the discard's own
        # event); only the first may close this screen, or the second would close the
        # screen beneath it.
        if not self.is_current:
            return
        self.notify("This job no longer exists.")
        self.dismiss(None)

    def _show(self, row: JobRow) -> None:
        record = row.record
        now = self.charlie.now()
        self.query_one("#job-title", Static).update(row.label.title)
        meta = [
            row.label.journal,
            f"{queue_text.attempts(record.attempts, record.max_attempts)} attempts",
        ]
        if record.state == "dead":
            meta.insert(1, queue_text.failure(record.last_failure, record.crashes))
        else:
            meta.insert(1, f"now {record.state.replace('_', ' ')}")
        if record.crashes:
            meta.append(f"crashed the worker {record.crashes}×")
        self.query_one("#job-meta", Static).update(" · ".join(meta))
        self.query_one("#job-error", Static).update(record.last_error or "(no message)")
        self.query_one("#job-traceback", Static).update(
            record.last_traceback.rstrip() or "(no traceback: the worker did not get to write one)"
        )
        lines = [queue_text.history_line(item, now) for item in record.history]
        self.query_one("#job-history", Static).update("\n".join(reversed(lines)) or "(none)")

    def worker_failed(self, worker: Worker[object]) -> None:
        """Keep what is shown; the next reading tries again."""
        if worker.group == "job-load":
            self._reader.done()
            self.query_one("#job-traceback-scroll").loading = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Retry and discard only apply to a job that is (still) dead."""
        if action in ("retry", "discard"):
            return (self.row is not None and self.row.record.state == "dead") or None
        return True

    def action_back(self) -> None:
        """Return to the list."""
        self.dismiss(None)

    def action_retry(self) -> None:
        """Give the job a fresh set of attempts and go back to the list."""
        if self.row is not None:
            self._retry(self.row.label.title)

    @work(thread=True, group="job-act", exit_on_error=False)
    def _retry(self, title: str) -> None:
        self.api.queue.retry_job(self.job_id)
        self.post_message(self.Done(f"Queued again: {title}"))

    def action_discard(self) -> None:
        """Drop the job for good, after asking."""
        row = self.row
        if row is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._discard()

        self.app.push_screen(confirm_discard(row.label.title, row.label.journal), answered)

    @work(thread=True, group="job-act", exit_on_error=False)
    def _discard(self) -> None:
        self.api.queue.discard_job(self.job_id)
        self.post_message(self.Done("Job discarded"))

    def on_job_detail_screen_done(self, message: Done) -> None:
        """Say what happened and go back to the list."""
        self.notify(message.text)
        self.charlie.refresh_queue()
        self.dismiss(None)
