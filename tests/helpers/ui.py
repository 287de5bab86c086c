"""Helpers shared by the UI tests (this module holds no tests of its own)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import Worker, WorkerFailed

import backend.jobs.records
from backend.jobs.health import publish_supervisor, publish_worker
from backend.jobs.records import Claim
from backend.jobs.retry import RetryPolicy
from backend.models import EntityRef, Entry
from backend.root import Charlie
from ui.app import EVENTS_GROUP, CharlieApp
from ui.screens.editor import EditorScreen
from ui.screens.entity import EntityScreen
from ui.screens.reader import ReaderScreen
from ui.widgets.entity_list import EntityList
from ui.widgets.entry_list import EntryList
from ui.widgets.work_indicator import WorkIndicator

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)
"""The fixed "now" of every UI test: a Wednesday."""
SIZE = (100, 32)


class Notes:
    """Records what the app notified, by wrapping App.notify."""

    def __init__(self, app: CharlieApp) -> None:
        self.messages: list[str] = []
        original = app.notify

        def record(message: str, **kwargs: Any) -> None:
            self.messages.append(message)
            original(message, **kwargs)

        app.notify = record  # type: ignore[method-assign]


def make_app(api: Charlie, **kwargs: Any) -> CharlieApp:
    # The app gets a root object on the same backend as the API the tests seed with.
    app = CharlieApp(api, clock=lambda: NOW, **kwargs)
    app.animation_level = "none"
    return app


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker runs and every message they posted has been handled.

    A finished worker posts a message whose handler may start another worker (a save
    triggers a reload), so wait in rounds until a round starts nothing new.
    """
    app = pilot.app

    def running() -> list[Worker[Any]]:
        # The app's event follower runs for the app's whole life; it is not "work".
        return [w for w in app.workers if w.is_running and w.group != EVENTS_GROUP]

    # Settled means no work running on two checks in a row: handling one worker's
    # result may start another, so one quiet check is not enough.
    quiet = 0
    for _ in range(40):
        try:
            busy = running()
            if busy:  # An empty list would mean "every worker", the follower included.
                await app.workers.wait_for_complete(busy)
        except WorkerFailed:
            pass  # The app reports worker errors itself; tests check what it showed.
        await pilot.pause()  # Let the messages the workers posted be handled.
        quiet = quiet + 1 if not running() else 0
        if quiet == 2:
            return
    raise AssertionError("workers kept running")


def keys(*presses: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A ``run_before`` for snapshots: settle, then press each key and settle again."""

    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in presses:
            await pilot.press(key)
            await settle(pilot)

    return run


def seed(
    api: Charlie, *items: tuple[datetime, str, str], journal: str | None = None
) -> list[Entry]:
    return [
        api.journal(journal).entries.add(body, title=title, entry_at=when)
        for when, title, body in items
    ]


def entry_list(app: CharlieApp) -> EntryList:
    """The home screen's list widget."""
    return app.home.query_one(EntryList)


def listed_ids(app: CharlieApp) -> list[str]:
    """The ids of the entries the home list shows, top to bottom."""
    return [option.id for option in entry_list(app).options if option.id is not None]


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type text key by key, as a person would."""
    await pilot.press(*("space" if char == " " else char for char in text))


NOW_MS = int(NOW.timestamp() * 1000)
"""NOW in epoch milliseconds, as job records store times."""


class JobClock:
    """A stand-in for ``backend.jobs.records.now_ms`` that ticks one second per call from NOW,
    so job times (and the order of queued jobs) are the same on every run."""

    def __init__(self, start: int = NOW_MS - 600_000) -> None:
        self.now = start

    def __call__(self) -> int:
        self.now += 1000
        return self.now


@dataclass(frozen=True)
class FixedDelay(RetryPolicy):
    """Retries after exactly ``seconds`` (the real policy adds random jitter)."""

    seconds: float = 30.0

    def delay_ms(self, attempt: int, rng: Any = None) -> int:
        return int(self.seconds * 1000)


def job_id(api: Charlie, entry: Entry) -> str:
    """The id of an entry's enrichment job."""
    return f"enrich:{api.journals.get(entry.journal).id}:{entry.id}"


def claim(api: Charlie, entry: Entry, worker: str = "worker-1", **kwargs: Any) -> Claim:
    """Claim jobs as a worker would until ``entry``'s job is the one held (the others
    claimed on the way are released, uncharged)."""
    passed: list[Claim] = []
    try:
        while True:
            got = api.backend.jobs.claim(worker, lease_ms=600_000, **kwargs)
            assert got is not None, f"the job of {entry.title!r} is not queued"
            if got.entry_id == entry.id:
                return got
            passed.append(got)
    finally:
        for other in passed:
            api.backend.jobs.release(other, "test: not this one")


def kill_job(
    api: Charlie, entry: Entry, error: str, traceback: str = "", kind: str = "error"
) -> None:
    """Fail ``entry``'s job, attempt after attempt, until it is dead."""
    while True:
        record = api.backend.jobs.get(job_id(api, entry))
        assert record is not None
        # A job waiting to retry is claimed as soon as it is due; each attempt "runs"
        # for two seconds.
        at = record.run_after or backend.jobs.records.server_ms(api.backend.broker.client)
        held = claim(api, entry, now=at)
        if api.backend.jobs.fail(held, error, traceback, kind=kind, now=at + 2000) == "dead":
            return


def publish_health(
    api: Charlie,
    *,
    worker: dict[str, Any] | None = None,
    supervisor: dict[str, Any] | None = None,
) -> None:
    """Publish a worker's and the supervisor's health as they would (fixed names, no pids)."""
    if worker is not None:
        record = {
            "id": "worker-1",
            "pid": 1,
            "model_loaded": False,
            "extractor": "scripted",
            "job": None,
            "entry_id": None,
            "job_started": None,
            "at": NOW.timestamp(),
            **worker,
        }
        publish_worker(api.backend.broker.client, record["id"], record)
    if supervisor is not None:
        status = {
            "worker_pid": 1,
            "worker_alive": True,
            "restarts": 0,
            "server_restarts": 0,
            "last_exit": "",
            "gave_up": "",
            "time_limit_seconds": 300.0,
            **supervisor,
        }
        publish_supervisor(api.backend.broker.client, status)


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], bool], what: str, timeout: float = 10.0
) -> None:
    """Let the app run until ``condition`` holds (for news from other threads, such as
    job events), failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def indicator_text(app: CharlieApp) -> str:
    """What the work indicator in the header of the screen on top says."""
    return str(app.screen.query_one(WorkIndicator).render())


def static_text(app: CharlieApp, selector: str) -> str:
    """The text of a Static on the screen on top."""
    return str(app.screen.query_one(selector, Static).render())


def list_texts(app: CharlieApp, selector: str) -> list[str]:
    """The rows of an EntityList on the screen on top, as plain text."""
    rows = app.screen.query_one(selector, EntityList).rows
    return [str(row.prompt) for row in rows]


def row_targets(app: CharlieApp, selector: str) -> list[Any]:
    """What each row of an EntityList on the screen on top opens (None for headings)."""
    return [row.target for row in app.screen.query_one(selector, EntityList).rows]


def editor(app: object) -> EditorScreen:
    """The editor, which must be the screen on top."""
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, EditorScreen), screen
    return screen


async def open_reader(pilot: Pilot[Any], index: int = 0) -> ReaderScreen:
    """Read the entry at ``index`` of the home list (newest first)."""
    await settle(pilot)
    for _ in range(index):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)
    reader = pilot.app.screen
    assert isinstance(reader, ReaderScreen)
    return reader


async def open_entity(pilot: Pilot[Any], ref: EntityRef) -> EntityScreen:
    """Push an entity's page (as the lists do) and wait for it to load."""
    page = EntityScreen(ref.id)
    await pilot.app.push_screen(page)
    await settle(pilot)
    assert pilot.app.screen is page and page.page is not None
    return page
