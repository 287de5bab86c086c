"""Dead jobs, driven with Pilot on a real API: list, detail, retry, retry all, discard."""

from __future__ import annotations

import pytest

from backend.errors import NotFoundError
from backend.jobs.retry import RetryPolicy
from backend.models import Entry
from backend.root import Charlie
from tests.helpers.ui import (
    NOW,
    SIZE,
    Notes,
    indicator_text,
    job_id,
    kill_job,
    make_app,
    seed,
    settle,
    static_text,
)
from ui.dialogs.confirm import ConfirmAction
from ui.screens.dead_jobs import DeadJobsScreen
from ui.screens.job_detail import JobDetailScreen
from ui.widgets.job_table import JobTable

TRACEBACK = 'Traceback (most recent call last):\n  File "x.py", line 1\nRuntimeError: boom'


def two_dead(api: Charlie) -> tuple[Entry, Entry]:
    """Two entries whose jobs died after one attempt each (the newest died last)."""
    api.backend.jobs.policy = RetryPolicy(max_attempts=1)
    first, second = seed(api, (NOW, "First", "#fail"), (NOW, "Second", "#hang"))
    kill_job(api, second, "Timed out after 300 s.", kind="timeout")
    kill_job(api, first, "RuntimeError: boom", TRACEBACK)
    return first, second


def titles(screen: DeadJobsScreen) -> list[str]:
    table = screen.query_one(JobTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def state(api: Charlie, entry: Entry) -> str:
    record = api.backend.jobs.get(job_id(api, entry))
    return record.state if record else "missing"


async def test_dead_jobs_list_retry_and_discard(api: Charlie) -> None:
    first, second = two_dead(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        assert indicator_text(app) == "2 dead"
        await pilot.press("exclamation_mark")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DeadJobsScreen)
        assert titles(screen) == ["First", "Second"]
        row = screen.query_one(JobTable).get_row_at(0)
        assert [str(cell) for cell in row] == [
            "First",
            "Journal",
            "error",
            "1 of 1",
            "RuntimeError: boom",
        ]

        await pilot.press("r")
        await settle(pilot)
        assert state(api, first) == "queued"
        assert titles(screen) == ["Second"]
        assert notes.messages[-1] == "Queued again: First"
        assert indicator_text(app) == "no worker · 1 queued · 1 dead"

        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmAction)
        await pilot.press("n")
        await settle(pilot)
        assert state(api, second) == "dead"
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        with pytest.raises(NotFoundError):
            api.queue.get_job(job_id(api, second))
        assert api.journal().entries.get(second.id).title == "Second"  # The entry itself stays.
        assert notes.messages[-1] == "Job discarded"
        assert not screen.query_one(JobTable).display
        assert screen.query_one("#dead-empty").display


async def test_retry_all_asks_first(api: Charlie) -> None:
    first, second = two_dead(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmAction)
        assert app.screen.question == "Retry all 2 dead jobs?"
        await pilot.press("escape")
        await settle(pilot)
        assert (state(api, first), state(api, second)) == ("dead", "dead")
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert (state(api, first), state(api, second)) == ("queued", "queued")
        assert notes.messages[-1] == "Queued 2 jobs again"
        assert isinstance(app.screen, DeadJobsScreen)
        assert titles(app.screen) == []


async def test_detail_shows_error_traceback_and_history_then_retries(api: Charlie) -> None:
    first, _ = two_dead(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("exclamation_mark")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, JobDetailScreen)
        assert static_text(app, "#job-title") == "First"
        assert static_text(app, "#job-meta") == "Journal · error · 1 of 1 attempts"
        assert static_text(app, "#job-error") == "RuntimeError: boom"
        assert static_text(app, "#job-traceback") == TRACEBACK
        history = static_text(app, "#job-history").splitlines()
        assert [line.split("  ", 1)[1] for line in history] == [
            "error · attempt 1: RuntimeError: boom",
            "started · attempt 1",
            "queued · interactive",
        ]
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, DeadJobsScreen)
        assert state(api, first) == "queued"
        assert titles(app.screen) == ["Second"]


async def test_detail_discards_after_asking(api: Charlie) -> None:
    _, second = two_dead(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("exclamation_mark")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert static_text(app, "#job-title") == "Second"
        assert static_text(app, "#job-meta") == "Journal · timed out · 1 of 1 attempts"
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmAction)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, DeadJobsScreen)
        assert state(api, second) == "missing"
        assert titles(app.screen) == ["First"]


async def test_detail_of_a_job_discarded_elsewhere_closes(api: Charlie) -> None:
    first, _ = two_dead(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await pilot.press("exclamation_mark")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        api.queue.discard_job(job_id(api, first))  # As `charlie discard` would.
        app.refresh_queue()
        await settle(pilot)
        assert isinstance(app.screen, DeadJobsScreen)
        assert "This job no longer exists." in notes.messages
