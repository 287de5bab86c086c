"""Every screen, walked: no key means two things, and every footer fits 80 columns with
``?`` in sight. Letters typed where a screen takes text never open another screen."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from textual.pilot import Pilot
from textual.screen import ModalScreen, Screen
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from backend.root import Charlie
from tests.helpers.graph import entity
from tests.helpers.seeds import seed_graph
from tests.helpers.ui import make_app, settle
from ui.app import CharlieApp
from ui.keys import SHARED_MEANINGS
from ui.screens.editor import EditorScreen
from ui.screens.entity import EntityScreen
from ui.screens.home import HomeScreen
from ui.screens.import_screen import ImportScreen
from ui.screens.job_detail import JobDetailScreen
from ui.screens.reader import ReaderScreen
from ui.screens.settings import SettingsScreen
from ui.screens.tag import TagScreen

NARROW = (80, 24)


def screens_to_visit(app: CharlieApp, api: Charlie) -> dict[str, Any]:
    """How to reach each full screen from the home screen: a thunk that opens it."""
    newest = api.journal().entries.list().entries[0].id
    (job, *_) = [record.id for record in api.queue.list_jobs("done")]
    visits: dict[str, Any] = {
        "home": lambda: None,
        "reader": lambda: app.push_screen(ReaderScreen(newest)),
        "editor": lambda: app.push_screen(EditorScreen()),
        "entity": lambda: app.push_screen(EntityScreen(entity(api, "Sarah").id)),
        "tag": lambda: app.push_screen(TagScreen("boats")),
        "author": app.action_open_author,
        "month": app.action_open_period,
        "calendar": app.action_open_calendar,
        "search": app.action_open_search,
        "queue": app.action_open_queue,
        "dead jobs": app.action_open_dead,
        "settings": app.action_open_settings,
        "import": app.action_open_import,
        "doctor": app.action_open_doctor,
        "job detail": lambda: app.push_screen(JobDetailScreen(job)),
    }
    return visits


async def visit(pilot: Pilot[Any], app: CharlieApp, opening: Any) -> Screen[Any]:
    while len(app.screen_stack) > 1:
        app.pop_screen()
    await settle(pilot)
    opening()
    await settle(pilot)
    screen = app.screen
    assert not isinstance(screen, ModalScreen), f"a dialog is in the way: {screen}"
    return screen


def key_labels(screen: Screen[Any]) -> dict[str, str]:
    """The screen's and the app's keys (not a focused widget's own), with their labels."""
    found: dict[str, str] = {}
    for key, (node, binding, _enabled, _tooltip) in screen.active_bindings.items():
        if node is screen or node is screen.app:
            found[key] = binding.description
    return found


async def test_no_key_has_two_meanings_and_every_footer_fits_80_columns(api: Charlie) -> None:
    api.journal().entries.add("Sailing with Sarah. #boats")
    seed_graph(api)
    app = make_app(api)
    labels: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        for name, opening in screens_to_visit(app, api).items():
            screen = await visit(pilot, app, opening)
            for key, label in key_labels(screen).items():
                labels[key][label].add(name)

            shown = [k for k in screen.query(FooterKey) if k.display]
            # F1 stands in where a text field has the focus (it would type the ?).
            (help_key,) = [k for k in shown if k.key in ("question_mark", "f1")]
            assert 0 < help_key.region.right <= NARROW[0], f"? is not in sight on {name}"
            for key in shown:
                if key is not help_key:
                    assert key.region.width and key.region.right <= help_key.region.x, (
                        f"{name}: the footer key {key.key!r} does not fit beside ? Help"
                    )

    two_meanings = {}
    for key, by_label in labels.items():
        allowed = SHARED_MEANINGS.get(key, ("", set()))[1]
        unexpected = {label: sorted(where) for label, where in by_label.items()}
        if len(by_label) > 1 and not set(by_label) <= allowed:
            two_meanings[key] = unexpected
    assert two_meanings == {}


async def test_letters_typed_off_a_field_on_a_form_open_nothing(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        for opening, kind in (
            (app.action_open_import, ImportScreen),
            (app.action_open_settings, SettingsScreen),
        ):
            opening()
            await settle(pilot)
            form = app.screen
            assert isinstance(form, kind)
            app.set_focus(None)  # Off every field, as after a click on empty space.
            await pilot.press("slash", "t", "m", "p", "w", "comma", "exclamation_mark", "q")
            await settle(pilot)
            assert app.screen is form, f"a letter left {kind.__name__}"
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, HomeScreen)


async def test_escape_goes_back_the_way_the_user_came(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        # Queue, then Dead jobs and Settings from there: Escape is the Queue again.
        await pilot.press("w", "exclamation_mark")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "QueueScreen"
        await pilot.press("comma")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "QueueScreen"
        # Going to a screen already open goes back to it: nothing piles up.
        await pilot.press("exclamation_mark", "f2", "exclamation_mark", "f4", "f2")
        await settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["HomeScreen", "QueueScreen"]


async def test_q_quits_from_the_reader_too(api: Charlie) -> None:
    api.journal().entries.add("A quiet day.")
    app = make_app(api)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == 0


async def test_settings_text_fields_keep_letters(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        field = next(iter(app.screen.query(Input)))
        field.focus()
        await pilot.press("q", "w")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
