"""The doctor: the same checks as `charlie doctor`, with a ✓ or ✗ and a fix for each.

The checks run in a thread worker (the extractor probe alone can take a minute with a
large model) through the app's own connection, and the report replaces the loading
indicator when they end. ``r`` runs them again.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from backend.doctor import PROBE_TIMEOUT_SECONDS, Check, all_ok, run_checks, tally
from ui.keys import browsing
from ui.widgets.footer import CharlieFooter
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers


def check_row(check: Check) -> Horizontal:
    """One check: the mark in its own column, so wrapped text stays clear of it."""
    text = Content.assemble((check.name, "bold"), f": {check.summary}")
    if not check.ok and check.fix:
        text = Content.assemble(text, "\n", ("fix: ", "$warning"), check.fix)
    tone = "-ok" if check.ok else "-failed"
    return Horizontal(
        Static(check.mark, classes=f"doctor-mark {tone}", markup=False),
        Static(text, classes="doctor-text", markup=False),
        classes="doctor-check",
    )


class DoctorScreen(BackendWorkers, Screen[None]):
    """Checks the setup and says what to fix."""

    HELP_TITLE = "Doctor"
    BINDINGS = browsing(
        Binding("escape", "back", "Back"),
        Binding("r", "run", "Check again"),
    )

    class Finished(Message):
        """The checks ended."""

        def __init__(self, checks: list[Check]) -> None:
            super().__init__()
            self.checks = checks

    def __init__(self, *, probe_timeout: float = PROBE_TIMEOUT_SECONDS) -> None:
        """``probe_timeout``: how long the extractor gets to read the sample sentence."""
        super().__init__()
        self.probe_timeout = probe_timeout
        self.checks: list[Check] | None = None
        """The last report (None while the first one runs)."""

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        with VerticalScroll(id="doctor-body"):
            yield Vertical(id="doctor-report")
            yield Static("Checking…", id="doctor-tally", markup=False)
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = "Doctor"
        self.query_one("#doctor-body").focus()
        self.action_run()

    def action_run(self) -> None:
        """Run every check (again)."""
        self.query_one("#doctor-body").loading = True
        self._check()

    @work(thread=True, exclusive=True, group="doctor", exit_on_error=False)
    def _check(self) -> None:
        checks = run_checks(self.api.settings, charlie=self.api, probe_timeout=self.probe_timeout)
        self.post_message(self.Finished(checks))

    async def on_doctor_screen_finished(self, message: Finished) -> None:
        """Show the report."""
        report = self.query_one("#doctor-report", Vertical)
        await report.remove_children()
        await report.mount_all(check_row(check) for check in message.checks)
        tally_line = self.query_one("#doctor-tally", Static)
        tally_line.update(tally(message.checks))
        tally_line.set_class(not all_ok(message.checks), "-failed")
        self.query_one("#doctor-body").loading = False
        self.checks = message.checks

    def report_text(self) -> str:
        """The report as plain text, the way it reads on screen (for tests and copying)."""
        lines = [
            f"{mark.render()} {text.render()}"
            for mark, text in zip(
                self.query(".doctor-mark").results(Static),
                self.query(".doctor-text").results(Static),
                strict=True,
            )
        ]
        return "\n".join([*lines, str(self.query_one("#doctor-tally", Static).render())])

    def worker_failed(self, worker: Worker[object]) -> None:
        """The error dialog says what happened; keep the screen usable."""
        if worker.group == "doctor":
            self.query_one("#doctor-body").loading = False
            self.query_one("#doctor-tally", Static).update(
                "The checks could not run. Press r to try again, or run `charlie doctor`."
            )

    def action_back(self) -> None:
        """Return to the screen below."""
        self.dismiss(None)
