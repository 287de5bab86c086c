"""Background work in the app: the indicator, the queue screen, re-enriching, the keys.

A real API on a real embedded FalkorDB, and no worker: jobs stay queued unless a test
claims or fails them itself, the way a worker would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import DataTable, TextArea

from backend.errors import BrokerError
from backend.jobs.commit import complete
from backend.jobs.switches import is_editing
from backend.root import Charlie
from tests.helpers.ui import (
    NOW,
    NOW_MS,
    SIZE,
    FixedDelay,
    Notes,
    claim,
    indicator_text,
    job_id,
    make_app,
    publish_health,
    seed,
    settle,
    static_text,
    type_text,
    wait_for,
)
from ui.dialogs.error import ErrorDialog
from ui.dialogs.help import HelpScreen
from ui.screens.dead_jobs import DeadJobsScreen
from ui.screens.editor import EditorScreen
from ui.screens.home import HomeScreen
from ui.screens.queue import QueueScreen
from ui.screens.reader import ReaderScreen
from ui.screens.settings import SettingsScreen


def rows(app: Any, name: str) -> list[list[str]]:
    """The cells of one of the queue screen's tables."""
    table = app.screen.query_one(f"#queue-{name}", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def job_state(api: Charlie, entry: Any) -> str:
    record = api.backend.jobs.get(job_id(api, entry))
    return record.state if record else "missing"


async def test_indicator_counts_an_entry_saved_in_the_app(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert indicator_text(app) == "idle"
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Sam met Ann")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        # No worker runs in tests, so the job waits, and the indicator says why.
        assert indicator_text(app) == "no worker · 1 queued"


async def test_indicator_follows_job_events_from_other_processes(api: Charlie) -> None:
    app = make_app(api)
    app.QUEUE_CHECK_SECONDS = 3600  # Only an event can explain a quick update.
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        api.journal().entries.add("Written with the CLI", source="cli")
        await wait_for(pilot, lambda: "1 queued" in indicator_text(app), "the indicator")
        api.queue.set_inference(False)
        await wait_for(pilot, lambda: "paused" in indicator_text(app), "the pause")
        assert indicator_text(app) == (
            "no worker · paused: Inference is turned off in Settings. · 1 queued"
        )


async def test_a_missed_event_is_caught_up_by_the_timer(
    api: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    def silent(stop: threading.Event) -> Iterator[dict[str, Any]]:
        while not stop.wait(0.1):
            yield {}

    app = make_app(api)
    monkeypatch.setattr(app.api.queue, "events", silent)
    app.QUEUE_CHECK_SECONDS = 0.2
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        api.journal().entries.add("No event will tell about me", source="cli")
        await wait_for(pilot, lambda: "1 queued" in indicator_text(app), "the timer's reading")


async def test_quitting_ends_the_event_follower(
    api: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    ended = threading.Event()
    app = make_app(api)
    real = app.api.queue.events

    def followed(stop: threading.Event) -> Iterator[dict[str, Any]]:
        try:
            yield from real(stop)
        finally:
            ended.set()

    monkeypatch.setattr(app.api.queue, "events", followed)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
    # App.run waits for worker threads, so one that never ended would hang Charlie.
    assert ended.wait(5)


async def test_queue_screen_lists_running_queued_and_retrying_jobs(api: Charlie) -> None:
    api.backend.jobs.policy = FixedDelay(max_attempts=3, seconds=30)
    slow, failing, waiting = seed(
        api,
        (NOW, "Slow one", "#sleep=60"),
        (NOW, "Failing one", "#fail"),
        (NOW, "Waiting one", "text"),
    )
    claim(api, slow, worker="worker-1", now=NOW_MS - 42_000)
    api.backend.jobs.fail(claim(api, failing), "RuntimeError: boom", now=NOW_MS)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert rows(app, "running") == [["Slow one", "Journal", "42 s", "1 of 3", "worker-1"]]
        assert rows(app, "queued") == [["1", "Waiting one", "Journal", "now", ""]]
        assert rows(app, "retrying") == [
            ["Failing one", "Journal", "in 30 s", "1 of 3", "RuntimeError: boom"]
        ]
        assert "No worker running" in static_text(app, "#queue-health")
        assert indicator_text(app) == "no worker · ⟳ 1 running · 1 queued · 1 retrying"
        assert job_state(api, waiting) == "queued"


async def test_queue_screen_shows_a_crash_loop_prominently(api: Charlie) -> None:
    seed(api, (NOW, "Stuck", "#crash"))
    gave_up = "The worker died 5 times within 60 s; not restarting it."
    publish_health(api, supervisor={"worker_alive": False, "gave_up": gave_up})
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert indicator_text(app) == "worker stopped · 1 queued"
        await pilot.press("w")
        await settle(pilot)
        alerts = app.screen.query_one("#queue-alerts")
        assert alerts.display and alerts.has_class("-error")
        assert gave_up in static_text(app, "#queue-alerts")


async def test_queue_screen_names_the_worker_and_its_model(api: Charlie) -> None:
    publish_health(api, worker={"model_loaded": True}, supervisor={})
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        health = static_text(app, "#queue-health")
        assert "worker-1 · scripted · model loaded · idle" in health
        assert "5 min per attempt" in health
        assert not app.screen.query_one("#queue-alerts").display


async def test_i_on_the_queue_screen_pauses_and_resumes(api: Charlie) -> None:
    seed(api, (NOW, "Waiting", "text"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert not api.queue.inference_enabled()
        assert "Paused: Inference is turned off in Settings." in static_text(app, "#queue-alerts")
        assert "Inference is off: the queue is paused." in notes.messages
        await pilot.press("i")
        await settle(pilot)
        assert api.queue.inference_enabled() and api.queue.paused_reasons() == {}
        assert not app.screen.query_one("#queue-alerts").display


async def test_queue_screen_says_the_open_editor_holds_the_model_back(api: Charlie) -> None:
    seed(api, (NOW, "Waiting", "text"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("f2")  # F2 works while the text area has the focus.
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert "Waiting while you write" in static_text(app, "#queue-alerts")


async def test_r_reenriches_on_home_and_in_the_reader(api: Charlie) -> None:
    (entry,) = seed(api, (NOW, "Enrich me", "Sam met Ann"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert notes.messages[-1] == "Already queued for enrichment"

        complete(api.backend.broker.client, claim(api, entry), lambda pipe: None)
        assert job_state(api, entry) == "done"
        await pilot.press("r")
        await settle(pilot)
        assert notes.messages[-1] == "Queued for enrichment"
        assert job_state(api, entry) == "queued"
        assert indicator_text(app) == "no worker · 1 queued"

        complete(api.backend.broker.client, claim(api, entry), lambda pipe: None)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        await pilot.press("r")
        await settle(pilot)
        assert notes.messages[-1] == "Queued for enrichment"
        assert job_state(api, entry) == "queued"


async def test_editor_tells_the_worker_the_user_is_typing(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not is_editing(api.backend.broker.client)
        await pilot.press("n")
        await settle(pilot)
        assert is_editing(api.backend.broker.client)
        await pilot.press("escape")  # Nothing typed: discarded, editor closed.
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert not is_editing(api.backend.broker.client)


async def test_work_keys_open_screens_without_piling_them_up(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, screen in (
            ("w", QueueScreen),
            ("exclamation_mark", DeadJobsScreen),
            ("comma", SettingsScreen),
            ("f3", DeadJobsScreen),
            ("w", QueueScreen),
            ("comma", SettingsScreen),
            ("f2", QueueScreen),
        ):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, screen), key
            kinds = [type(s) for s in app.screen_stack]
            assert len(kinds) == len(set(kinds)), kinds  # No kind of screen twice.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_letter_keys_still_type_in_the_editor(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "w!,")
        assert isinstance(app.screen, EditorScreen)
        assert app.screen.query_one("#editor-body", TextArea).text == "w!,"


async def test_help_lists_the_work_keys(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        sections = dict(app.screen.sections)
        # The letters are the home screen's (a browsing screen); the F-keys work anywhere.
        for row in (("f2", "Queue"), ("f3", "Dead jobs"), ("f4", "Settings")):
            assert row in sections["Everywhere"]
        for row in (("w", "Queue"), ("!", "Dead jobs"), (",", "Settings")):
            assert row in sections["Entries"]


async def test_an_outage_is_reported_once_not_every_reading(
    api: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def lost(*args: object) -> dict[str, int]:
        calls.append(1)
        raise BrokerError("Lost contact with the Charlie database.")

    app = make_app(api)
    app.QUEUE_CHECK_SECONDS = 0.1
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        real = app.api.queue.job_counts
        monkeypatch.setattr(app.api.queue, "job_counts", lost)
        await wait_for(pilot, lambda: len(calls) >= 5, "several failed readings")
        dialogs = [s for s in app.screen_stack if isinstance(s, ErrorDialog)]
        assert len(dialogs) == 1
        assert dialogs[0].message == "Lost contact with the Charlie database."
        monkeypatch.setattr(app.api.queue, "job_counts", real)
        await pilot.press("escape")
        await settle(pilot)
        await wait_for(pilot, lambda: indicator_text(app) == "idle", "a good reading")
        assert not any(isinstance(s, ErrorDialog) for s in app.screen_stack)
