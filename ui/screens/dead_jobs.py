"""Dead jobs: entries whose enrichment failed every attempt, to retry or discard."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import ScreenResume
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker

from ui import queue_text
from ui.dialogs.confirm import ConfirmAction, confirm_discard
from ui.keys import browsing
from ui.messages import QueueChanged
from ui.queue_data import JobRow, load_dead
from ui.screens.job_detail import JobDetailScreen
from ui.widgets.footer import CharlieFooter
from ui.widgets.job_table import JobTable
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers, OneAtATime


class DeadJobsScreen(BackendWorkers, Screen[None]):
    """Lists dead jobs, most recent first; Enter shows one in full."""

    HELP_TITLE = "Dead jobs"
    BINDINGS = browsing(
        Binding("escape", "back", "Back"),
        Binding("r", "retry", "Retry"),
        Binding("R", "retry_all", "Retry all"),
        Binding("x", "discard", "Discard"),
    )

    class Loaded(Message):
        """The dead jobs arrived."""

        def __init__(self, rows: list[JobRow]) -> None:
            super().__init__()
            self.rows = rows

    class Done(Message):
        """A retry or discard went through; ``text`` says what happened."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        self._reader = OneAtATime(self._load)
        self._rows: dict[str, JobRow] = {}

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        yield Static(
            "These entries could not be enriched, even after every retry. The entries "
            "themselves are safe; only the people, places and activities in them are "
            "missing. Retry once the cause is fixed, or discard to leave them as they are.",
            id="dead-intro",
        )
        yield JobTable("Entry", "Journal", "Failure", "Attempts", "Last error", id="dead-table")
        yield Static("No dead jobs. Everything that failed has been dealt with.", id="dead-empty")
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = "Dead jobs"
        self.table.loading = True
        # Neither "none" nor the explanation of dead jobs until the list says which fits.
        self.query_one("#dead-empty").display = False
        self.query_one("#dead-intro").display = False
        self._reader.request()

    @property
    def table(self) -> JobTable:
        """The list of dead jobs."""
        return self.query_one(JobTable)

    @property
    def highlighted(self) -> JobRow | None:
        """The dead job under the cursor, if any."""
        job_id = self.table.highlighted_job_id
        return None if job_id is None else self._rows.get(job_id)

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Catch up after the detail view (or anything else) was on top."""
        self._reader.request()

    def on_queue_changed(self, message: QueueChanged) -> None:
        """Jobs moved: read the list again."""
        self._reader.request()

    @work(thread=True, group="dead-load", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self.Loaded(load_dead(self.api, self.charlie.titles)))

    def on_dead_jobs_screen_loaded(self, message: Loaded) -> None:
        """Show the list."""
        self._reader.done()
        self._rows = {row.record.id: row for row in message.rows}
        table = self.table
        table.loading = False
        table.show_rows((row.record.id, self._cells(row)) for row in message.rows)
        empty = not message.rows
        table.display = not empty
        self.query_one("#dead-empty").display = empty
        self.query_one("#dead-intro").display = not empty
        if not empty:
            table.focus()
        self.refresh_bindings()

    @staticmethod
    def _cells(row: JobRow) -> tuple[str, ...]:
        record = row.record
        return (
            queue_text.clip(row.label.title, queue_text.TITLE_WIDTH),
            row.label.journal,
            queue_text.failure(record.last_failure, record.crashes),
            queue_text.attempts(record.attempts, record.max_attempts),
            queue_text.first_line(record.last_error, queue_text.ERROR_WIDTH),
        )

    def worker_failed(self, worker: Worker[object]) -> None:
        """Stop waiting; the next reading tries again."""
        if worker.group == "dead-load":
            self._reader.done()
            self.table.loading = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim the keys that need a dead job while there is none."""
        if action in ("retry", "discard") and self.highlighted is None:
            return None
        if action == "retry_all" and not self._rows:
            return None
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Open the chosen job in full."""
        if event.row_key.value is not None:
            self.app.push_screen(JobDetailScreen(event.row_key.value))

    def action_back(self) -> None:
        """Return to the screen below."""
        self.dismiss(None)

    def action_retry(self) -> None:
        """Give the highlighted job a fresh set of attempts."""
        row = self.highlighted
        if row is not None:
            self._retry(row.record.id, row.label.title)

    @work(thread=True, group="dead-act", exit_on_error=False)
    def _retry(self, job_id: str, title: str) -> None:
        self.api.queue.retry_job(job_id)
        self.post_message(self.Done(f"Queued again: {title}"))

    def action_retry_all(self) -> None:
        """Retry every dead job, after asking."""
        count = len(self._rows)
        if not count:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._retry_all()

        self.app.push_screen(
            ConfirmAction(
                f"Retry all {count} dead job{'s' if count != 1 else ''}?",
                "Each gets a fresh set of attempts. If the cause is not fixed they will "
                "fail again.",
                yes="Retry all",
            ),
            answered,
        )

    @work(thread=True, group="dead-act", exit_on_error=False)
    def _retry_all(self) -> None:
        count = self.api.queue.retry_all_dead()
        self.post_message(self.Done(f"Queued {count} job{'s' if count != 1 else ''} again"))

    def action_discard(self) -> None:
        """Drop the highlighted job for good, after asking."""
        row = self.highlighted
        if row is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._discard(row.record.id)

        self.app.push_screen(confirm_discard(row.label.title, row.label.journal), answered)

    @work(thread=True, group="dead-act", exit_on_error=False)
    def _discard(self, job_id: str) -> None:
        self.api.queue.discard_job(job_id)
        self.post_message(self.Done("Job discarded"))

    def on_dead_jobs_screen_done(self, message: Done) -> None:
        """Say what happened and read the list (and the indicator) again."""
        self.notify(message.text)
        self._reader.request()
        self.charlie.refresh_queue()
