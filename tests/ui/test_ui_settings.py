"""The settings screen with Pilot on a real API: the inference switch, saving, errors."""

from __future__ import annotations

import tomllib

from textual.widgets import Input, Switch

from backend.root import Charlie
from backend.settings import load_settings
from tests.helpers.ui import (
    NOW,
    SIZE,
    Notes,
    indicator_text,
    make_app,
    seed,
    settle,
    static_text,
)
from ui.dialogs.confirm import ConfirmAction
from ui.dialogs.error import ErrorDialog
from ui.screens.home import HomeScreen
from ui.screens.queue import QueueScreen
from ui.screens.settings import RESTART_NOTE, SettingsScreen


def field(app: object, key: str) -> Input:
    return app.screen.query_one(f"#settings-{key}", Input)  # type: ignore[attr-defined]


async def test_inference_switch_pauses_the_queue_and_says_why(api: Charlie) -> None:
    seed(api, (NOW, "Waiting", "text"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("comma")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        switch = app.screen.query_one(Switch)
        assert switch.value and app.screen.focused is switch
        assert static_text(app, "#settings-extractor") == "scripted"

        await pilot.press("space")
        await settle(pilot)
        assert not api.queue.inference_enabled()
        assert api.queue.paused_reasons() == {"inference": "Inference is turned off in Settings."}
        assert static_text(app, "#settings-inference-note").startswith("Off: the queue is paused")
        assert "paused: Inference is turned off in Settings." in indicator_text(app)

        await pilot.press("f2")  # A letter would not leave a form; the F-key does.
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert "Paused: Inference is turned off in Settings." in static_text(app, "#queue-alerts")

        await pilot.press("comma")  # Back to the Settings already open, its switch focused.
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("space")
        await settle(pilot)
        assert api.queue.inference_enabled() and api.queue.paused_reasons() == {}
        assert "paused" not in indicator_text(app)


async def test_save_writes_the_config_file_and_says_when_it_applies(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await pilot.press("comma")
        await settle(pilot)
        assert field(app, "model_linger_seconds").value == "120"
        assert field(app, "job_time_limit_seconds").value == "300"
        field(app, "model_linger_seconds").value = "30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert RESTART_NOTE in notes.messages
        stored = tomllib.loads(api.settings.config_file.read_text())
        assert stored == {"model_linger_seconds": 30.0}
        assert load_settings().model_linger_seconds == 30.0
        assert field(app, "model_linger_seconds").value == "30"
        await pilot.press("escape")  # Saved, so leaving asks nothing.
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_a_bad_value_is_explained_and_nothing_is_written(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("comma")
        await settle(pilot)
        field(app, "job_time_limit_seconds").value = "-5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "job_time_limit_seconds" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert field(app, "job_time_limit_seconds").value == "-5"
        assert not app.screen.query_one("#settings-form").loading
        assert not api.settings.config_file.exists()


async def test_nothing_to_save(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert notes.messages[-1] == "Nothing to save: no value was changed."
        assert not api.settings.config_file.exists()


async def test_leaving_with_unsaved_changes_asks(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("comma")
        await settle(pilot)
        field(app, "model_linger_seconds").value = "5"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmAction)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert field(app, "model_linger_seconds").value == "5"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert not api.settings.config_file.exists()
