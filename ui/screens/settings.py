"""Settings: background inference on or off (at once), and the worker's limits.

The inference switch is stored in the database and acts immediately. The two numbers
are written to the config file by the backend, which checks them first; the running
worker keeps the values it started with, so the screen says they apply the next time
Charlie starts.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static, Switch
from textual.worker import Worker

from backend.settings import Settings
from ui.dialogs.confirm import ConfirmAction
from ui.widgets.footer import CharlieFooter
from ui.widgets.work_indicator import CharlieHeader
from ui.workers import BackendWorkers

FIELDS = {
    "model_linger_seconds": (
        "Model linger",
        "Seconds the model stays loaded after the queue empties.",
    ),
    "job_time_limit_seconds": (
        "Job time limit",
        "Seconds one enrichment attempt may run before its worker is stopped.",
    ),
}
"""The numeric settings on this screen: key -> (label, what it means)."""

RESTART_NOTE = "Saved to the config file. These apply the next time Charlie starts."
MODEL_NOTE = "Read-only here: choose with “charlie model use”."


def model_text(settings: Settings) -> str:
    """Which model the active extractor uses, in a line: a model file or name for
    llama_cpp, the model and server for openai_compat, nothing for the offline ones."""
    if settings.extractor == "llama_cpp":
        return settings.model or "none chosen yet"
    if settings.extractor == "openai_compat":
        return f"{settings.openai_model or 'none chosen yet'} at {settings.openai_base_url}"
    return "none needed (no model)"


def number_text(value: float) -> str:
    """A setting's number as the field shows it: 120.0 -> "120", 2.5 -> "2.5"."""
    return f"{value:g}"


class SettingsScreen(BackendWorkers, Screen[None]):
    """Edits the settings the user is likely to change while Charlie runs."""

    HELP_TITLE = "Settings"
    # The switch comes first, but it is disabled until the stored state arrives; it
    # takes the focus then (an Input would grab it meanwhile).
    AUTO_FOCUS = ""
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    class InferenceRead(Message):
        """Whether inference is on, as stored."""

        def __init__(self, enabled: bool) -> None:
            super().__init__()
            self.enabled = enabled

    class InferenceSet(Message):
        """Inference was switched on or off."""

        def __init__(self, enabled: bool) -> None:
            super().__init__()
            self.enabled = enabled

    class Saved(Message):
        """The backend checked and wrote the settings."""

        def __init__(self, settings: Settings) -> None:
            super().__init__()
            self.settings = settings

    def __init__(self) -> None:
        super().__init__()
        self._saved: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield CharlieHeader()
        # The form scrolls only on small terminals; the focus belongs to its controls.
        with VerticalScroll(id="settings-form", can_focus=False):
            yield Label("Background work", classes="settings-section")
            with Horizontal(classes="settings-row"):
                yield Label("Inference", classes="settings-label")
                yield Switch(id="settings-inference", animate=False)
                yield Static(id="settings-inference-note", classes="settings-note")
            yield Label("Extraction", classes="settings-section")
            with Horizontal(classes="settings-row"):
                yield Label("Extractor", classes="settings-label")
                yield Static(id="settings-extractor", markup=False)
                yield Static(MODEL_NOTE, classes="settings-note", markup=False)
            with Horizontal(classes="settings-row"):
                yield Label("Model", classes="settings-label")
                yield Static(id="settings-model", markup=False)
            yield Label("Worker limits", classes="settings-section")
            for key, (label, meaning) in FIELDS.items():
                with Horizontal(classes="settings-row"):
                    yield Label(label, classes="settings-label")
                    yield Input(id=f"settings-{key}", type="number", classes="settings-number")
                    yield Static(meaning, classes="settings-note")
            with Horizontal(id="settings-buttons"):
                yield Button("Save (ctrl+s)", id="settings-save", variant="primary")
            yield Static(
                "Worker limits apply the next time Charlie starts; inference switches at once.",
                id="settings-restart",
            )
        yield CharlieFooter()

    def on_mount(self) -> None:
        self.sub_title = "Settings"
        settings = self.api.settings
        self.query_one("#settings-extractor", Static).update(settings.extractor)
        self.query_one("#settings-model", Static).update(model_text(settings))
        self._show_saved(settings)
        for box in self.query(Input):
            box.cursor_blink = self.app.animation_level != "none"
        # Off until the stored state is known, so a toggle never acts on a guess.
        self.query_one(Switch).disabled = True
        self._read_inference()

    def _show_saved(self, settings: Settings) -> None:
        for key in FIELDS:
            self._saved[key] = number_text(getattr(settings, key))
            self.query_one(f"#settings-{key}", Input).value = self._saved[key]

    @work(thread=True, group="settings-inference", exit_on_error=False)
    def _read_inference(self) -> None:
        self.post_message(self.InferenceRead(self.api.queue.inference_enabled()))

    def on_settings_screen_inference_read(self, message: InferenceRead) -> None:
        """Show the stored state without treating it as a change."""
        self._set_switch(message.enabled)
        if self.focused is None:
            self.query_one(Switch).focus()

    def _set_switch(self, enabled: bool) -> None:
        switch = self.query_one(Switch)
        with switch.prevent(Switch.Changed):
            switch.value = enabled
        switch.disabled = False
        if self.focused is None:
            # Disabling it while the change was written took the focus away: give it back,
            # so a second Space (now, or on coming back to this screen) works.
            switch.focus()
        self.query_one("#settings-inference-note", Static).update(
            "On: new and edited entries are enriched in the background."
            if enabled
            else "Off: the queue is paused; nothing is lost and it resumes when on."
        )

    @on(Switch.Changed, "#settings-inference")
    def _inference_switched(self, event: Switch.Changed) -> None:
        event.switch.disabled = True
        self._set_inference(event.value)

    @work(thread=True, group="settings-inference", exit_on_error=False)
    def _set_inference(self, enabled: bool) -> None:
        self.api.queue.set_inference(enabled)
        self.post_message(self.InferenceSet(enabled))

    def on_settings_screen_inference_set(self, message: InferenceSet) -> None:
        """Confirm, and let the indicator catch up at once."""
        self._set_switch(message.enabled)
        self.notify(
            "Inference is on." if message.enabled else "Inference is off: the queue is paused."
        )
        self.charlie.refresh_queue()

    def worker_failed(self, worker: Worker[object]) -> None:
        """Give the controls back; the switch shows what is stored, read again."""
        if worker.group == "settings-inference":
            self._read_inference()
        self.query_one("#settings-form").loading = False

    # -- saving --------------------------------------------------------------------------

    def _changes(self) -> dict[str, str]:
        values = {key: self.query_one(f"#settings-{key}", Input).value.strip() for key in FIELDS}
        return {key: value for key, value in values.items() if value != self._saved[key]}

    @on(Button.Pressed, "#settings-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        """Check and write the changed numbers (the backend says what is wrong, if anything)."""
        changes = self._changes()
        if not changes:
            self.notify("Nothing to save: no value was changed.")
            return
        self.query_one("#settings-form").loading = True
        self._save(changes)

    @work(thread=True, exclusive=True, group="settings-save", exit_on_error=False)
    def _save(self, changes: dict[str, str]) -> None:
        self.post_message(self.Saved(self.api.save_settings(**changes)))

    def on_settings_screen_saved(self, message: Saved) -> None:
        """Show the values as stored and say when they take effect."""
        self.query_one("#settings-form").loading = False
        self._show_saved(message.settings)
        self.notify(RESTART_NOTE, title="Settings saved")

    def action_back(self) -> None:
        """Leave; unsaved numbers are only dropped after asking."""
        if not self._changes():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmAction(
                "Leave without saving?",
                "The changed values are not saved. Press Ctrl+S first to keep them.",
                yes="Leave",
                no="Stay",
            ),
            answered,
        )
