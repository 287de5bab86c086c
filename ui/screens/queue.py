"""The queue: what the background worker is doing, what waits, and why nothing moves.

Its rule is that no job sits still without a visible reason: a paused queue says why
(inference off, extractor unavailable), a missing or crash-looping worker is shown in
red, a job waiting to retry says when, and an open editor says it holds the model back.
The status part comes from the app's reading of the queue; the job lists are read here,
again on every reading (job events and a two-second timer).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.events import ScreenResume
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static
from textual.worker import Worker

from ui import queue_text
from ui.keys import browsing
from ui.messages import QueueChanged
from ui.queue_data import QUEUED_SHOWN, QueueDetails, QueueStatus, load_queue
from ui.screens.editor import EditorScreen
from ui.widgets.footer import CharlieFooter
from ui.widgets.work_indicator import CharlieHeader, styled
from ui.workers import BackendWorkers, OneAtATime

COLUMNS = {
    "running": ("Entry", "Journal", "Running for", "Attempt", "Worker"),
    "queued": ("#", "Entry", "Journal", "Priority", "Tried"),
    "retrying": ("Entry", "Journal", "Next try", "Attempts", "Last error"),
}


class QueueScreen(BackendWorkers, Screen[None]):
    """Running, queued and retrying jobs, worker health and pause reasons, live."""

    HELP_TITLE = "Queue"
    BINDINGS = browsing(
        Binding("escape", "back", "Back"),
        Binding("i", "toggle_inference", "Inference on/off"),
        Binding("exclamation_mark", "app.open_dead", "Dead jobs", key_display="!"),
        Binding("comma", "app.open_settings", "Settings", key_display=","),
        Binding("D", "app.open_doctor", "Doctor"),
    )

    class Loaded(Message):
        """The job lists arrived."""

        def __init__(self, details: QueueDetails) -> None:
            super().__init__()
            self.details = details

    class InferenceSet(Message):
        """Inference was switched on or off from this screen."""

        def __init__(self, enabled: bool) -> None:
            super().__init__()
            self.enabled = enabled

    def __init__(self) -> None:
        super().__init__()
        self._reader = OneAtATime(self._load)

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with VerticalScroll(id="queue-body"):
            yield Static(id="queue-alerts", markup=False)
            yield Static(id="queue-health", markup=False)
            for name in COLUMNS:
                yield Label(id=f"queue-{name}-heading", classes="queue-heading", markup=False)
                yield DataTable(id=f"queue-{name}", cursor_type="none", show_cursor=False)
                yield Static(id=f"queue-{name}-none", classes="queue-none", markup=False)
            yield Static(id="queue-dead", markup=False)
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = "Queue"
        for name, columns in COLUMNS.items():
            table = self.query_one(f"#queue-{name}", DataTable)
            table.can_focus = False
            table.add_columns(*columns)
        self.query_one("#queue-body").focus()
        self._show_status(self.charlie.queue_status)
        self.query_one("#queue-body").loading = True
        self._reader.request()

    def on_screen_resume(self, event: ScreenResume) -> None:
        """Catch up after another screen was on top."""
        self._reader.request()

    def on_queue_changed(self, message: QueueChanged) -> None:
        """A fresh reading of the queue: show it and read the job lists again."""
        self._show_status(message.status)
        self._reader.request()

    @work(thread=True, group="queue-load", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self.Loaded(load_queue(self.api, self.charlie.titles)))

    def on_queue_screen_loaded(self, message: Loaded) -> None:
        """Show the job lists."""
        self._reader.done()
        self.query_one("#queue-body").loading = False
        self._show_details(message.details)
        self._show_status(self.charlie.queue_status)

    def worker_failed(self, worker: Worker[object]) -> None:
        """Keep showing the last lists; the next reading tries again."""
        if worker.group == "queue-load":
            self._reader.done()
            self.query_one("#queue-body").loading = False

    # -- drawing -----------------------------------------------------------------------

    @property
    def _now_ms(self) -> float:
        return self.charlie.now().timestamp() * 1000

    def _show_status(self, status: QueueStatus | None) -> None:
        alerts = self.query_one("#queue-alerts", Static)
        health = self.query_one("#queue-health", Static)
        if status is None:
            alerts.display = False
            health.update("Reading the queue…")
            return
        problems = self._problems(status)
        alerts.update(Content("\n").join(styled([p], "") for p in problems))
        alerts.display = bool(problems)
        alerts.set_class(any(tone == "error" for _, tone in problems), "-error")
        health.update(self._health(status))
        dead = status.counts.get("dead", 0)
        note = self.query_one("#queue-dead", Static)
        note.update(
            f"{dead} dead job{'s' if dead != 1 else ''}: enrichment failed every attempt. "
            "Press d to see, retry or discard."
            if dead
            else "No dead jobs."
        )
        note.set_class(bool(dead), "-dead")

    def _problems(self, status: QueueStatus) -> list[queue_text.Piece]:
        """Everything that keeps jobs from running, worst first."""
        problems: list[queue_text.Piece] = []
        gave_up = (status.supervisor or {}).get("gave_up")
        if gave_up:
            problems.append((f"Worker stopped: {gave_up} Restart Charlie to try again.", "error"))
        for line in queue_text.paused_lines(status.paused, status.breaker, self._now_ms):
            problems.append((f"Paused: {line}", "warning"))
        waiting = status.counts.get("queued", 0)
        live = queue_text.live_workers(status.workers, self._now_ms / 1000)
        model_loaded = any(w.get("model_loaded") for w in live)
        if waiting and not model_loaded and self._editor_open():
            problems.append(
                ("Waiting while you write: the model is not loaded while the editor is open.", "")
            )
        return problems

    def _editor_open(self) -> bool:
        return any(isinstance(screen, EditorScreen) for screen in self.app.screen_stack)

    def _health(self, status: QueueStatus) -> Content:
        inference: queue_text.Piece = (
            ("on", "")
            if status.inference
            else ("off: nothing is enriched until it is on again (press i)", "warning")
        )
        rows: list[tuple[str, list[queue_text.Piece]]] = [("Inference", [inference])]
        workers = queue_text.worker_lines(status.workers, status.supervisor, self._now_ms / 1000)
        for index, line in enumerate(workers):
            rows.append(("Worker" if index == 0 else "", [line]))
        limit = (status.supervisor or {}).get("time_limit_seconds")
        if limit:
            rows.append(("Time limit", [(f"{queue_text.duration(limit * 1000)} per attempt", "")]))
        return Content("\n").join(
            Content.assemble((f"{label:<12}", "$foreground-muted"), styled(pieces))
            for label, pieces in rows
        )

    def _show_details(self, details: QueueDetails) -> None:
        counts = (self.charlie.queue_status or QueueStatus()).counts
        now = self._now_ms
        running = [
            (
                queue_text.clip(row.label.title, queue_text.TITLE_WIDTH),
                row.label.journal,
                queue_text.duration(now - row.record.started_at) if row.record.started_at else "",
                queue_text.attempts(row.record.attempts, row.record.max_attempts),
                row.record.worker,
            )
            for row in details.running
        ]
        self._fill("running", f"Running ({len(running)})", running, "Nothing is running.")
        queued = [
            (
                str(position),
                queue_text.clip(row.label.title, queue_text.TITLE_WIDTH),
                row.label.journal,
                queue_text.PRIORITIES.get(row.record.priority, row.record.priority),
                queue_text.attempts(row.record.attempts, row.record.max_attempts)
                if row.record.attempts
                else "",
            )
            for position, row in enumerate(details.queued, 1)
        ]
        total = max(counts.get("queued", 0), len(queued))
        heading = f"Queued ({total})"
        if total > QUEUED_SHOWN:
            heading += f": the next {QUEUED_SHOWN}, in the order they run"
        self._fill("queued", heading, queued, "Nothing is waiting.")
        retrying = [
            (
                queue_text.clip(row.label.title, queue_text.TITLE_WIDTH),
                row.label.journal,
                queue_text.until(row.record.run_after, now),
                queue_text.attempts(row.record.attempts, row.record.max_attempts),
                queue_text.first_line(row.record.last_error, queue_text.ERROR_WIDTH),
            )
            for row in details.retrying
        ]
        self._fill(
            "retrying",
            f"Waiting to retry ({len(retrying)})",
            retrying,
            "No job is waiting to retry.",
        )

    def _fill(self, name: str, heading: str, rows: list[tuple[str, ...]], empty: str) -> None:
        self.query_one(f"#queue-{name}-heading", Label).update(heading)
        table = self.query_one(f"#queue-{name}", DataTable)
        table.clear()
        for row in rows:
            table.add_row(*row)
        table.display = bool(rows)
        none = self.query_one(f"#queue-{name}-none", Static)
        none.update(empty)
        none.display = not rows

    # -- keys --------------------------------------------------------------------------

    def action_back(self) -> None:
        """Return to the screen below."""
        self.dismiss(None)

    def action_toggle_inference(self) -> None:
        """Switch background inference off (pausing the queue) or on again."""
        self._toggle_inference()

    @work(thread=True, exclusive=True, group="queue-inference", exit_on_error=False)
    def _toggle_inference(self) -> None:
        enabled = not self.api.queue.inference_enabled()
        self.api.queue.set_inference(enabled)
        self.post_message(self.InferenceSet(enabled))

    def on_queue_screen_inference_set(self, message: InferenceSet) -> None:
        """Say what changed and read the queue again."""
        self.notify(
            "Inference is on." if message.enabled else "Inference is off: the queue is paused."
        )
        self.charlie.refresh_queue()
