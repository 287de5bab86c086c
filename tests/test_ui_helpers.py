"""Helpers shared by the UI tests (this module holds no tests of its own)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerFailed

from backend.api import CharlieAPI
from backend.models import Entry
from ui.app import CharlieApp
from ui.widgets.entry_list import EntryList

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


def make_app(api: CharlieAPI, **kwargs: Any) -> CharlieApp:
    app = CharlieApp(api, clock=lambda: NOW, **kwargs)
    app.animation_level = "none"
    return app


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker runs and every message they posted has been handled.

    A finished worker posts a message whose handler may start another worker (a save
    triggers a reload), so wait in rounds until a round starts nothing new.
    """
    app = pilot.app
    for _ in range(20):
        try:
            await app.workers.wait_for_complete()
        except WorkerFailed:
            pass  # The app reports worker errors itself; tests check what it showed.
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            await pilot.pause()
            if not any(worker.is_running for worker in app.workers):
                return
    raise AssertionError("workers kept running")


def seed(
    api: CharlieAPI, *items: tuple[datetime, str, str], journal: str | None = None
) -> list[Entry]:
    return [
        api.add_entry(body, title=title, entry_at=when, journal=journal)
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
