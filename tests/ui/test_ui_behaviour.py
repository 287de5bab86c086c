"""Drive the real app with Pilot against a real API on a real embedded FalkorDB.

The editor has its own module, tests/ui/test_ui_editor.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import Input, Markdown, OptionList, Static, TextArea

from backend.root import Charlie
from backend.services.entries import Entries
from tests.helpers.ui import (
    NOW,
    SIZE,
    Notes,
    entry_list,
    listed_ids,
    make_app,
    seed,
    settle,
    type_text,
)
from ui.app import StartupErrorApp
from ui.dialogs.confirm_delete import ConfirmDelete
from ui.dialogs.error import ErrorDialog
from ui.dialogs.help import HelpScreen
from ui.dialogs.journals import JournalSwitcher
from ui.screens.editor import EditorScreen
from ui.screens.home import HomeScreen
from ui.screens.reader import ReaderScreen


async def test_delete_asks_then_deletes(api: Charlie) -> None:
    first, second = seed(
        api, (NOW - timedelta(hours=1), "Keep me", "a"), (NOW - timedelta(days=2), "Drop me", "b")
    )
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down")
        assert entry_list(app).highlighted_entry_id == second.id
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        assert app.screen.entry_title == "Drop me"
        await pilot.press("y")
        await settle(pilot)

        assert isinstance(app.screen, HomeScreen)
        assert [e.id for e in api.journal().entries.list().entries] == [first.id]
        assert listed_ids(app) == [first.id]


async def test_delete_cancel_keeps_entry(api: Charlie) -> None:
    (entry,) = seed(api, (NOW, "Stay", "body"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("enter")  # The focused button is "Keep".
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert api.journal().entries.count() == 1
        assert listed_ids(app) == [entry.id]


async def test_reader_steps_older_and_newer(api: Charlie) -> None:
    newest, middle, oldest = seed(
        api,
        (NOW - timedelta(hours=1), "Newest", "# Heading\n\nThird entry."),
        (NOW - timedelta(days=3), "Middle", "Second entry."),
        (NOW - timedelta(days=30), "Oldest", "First entry."),
    )
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)

        def shown() -> str:
            return str(reader.query_one("#reader-title", Static).render())

        assert reader.entry == newest and shown() == "Newest"
        assert reader.query_one(Markdown).source == "# Heading\n\nThird entry."
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert reader.entry == middle and shown() == "Middle"
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert reader.entry == oldest
        await pilot.press("left_square_bracket")  # Nothing older: stays put.
        await settle(pilot)
        assert reader.entry == oldest
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert reader.entry == middle
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert reader.entry == newest
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_reader_edit_and_delete(api: Charlie) -> None:
    (entry,) = seed(api, (NOW, "Read me", "Body"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        app.screen.query_one("#editor-body", TextArea).text = "Edited in the reader"
        await pilot.press("escape")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert reader.query_one(Markdown).source == "Edited in the reader"

        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert api.journal().entries.count() == 0
        assert listed_ids(app) == []
        assert app.home.query_one("#home-empty", Static).display
        assert entry.id not in listed_ids(app)


async def test_journal_create_switch_and_rename(api: Charlie) -> None:
    seed(api, (NOW, "In the default journal", "body"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.sub_title == "Journal"

        await pilot.press("j")
        await settle(pilot)
        switcher = app.screen
        assert isinstance(switcher, JournalSwitcher)
        await pilot.press("n")
        await type_text(pilot, "Work")
        await pilot.press("enter")
        await settle(pilot)

        assert isinstance(app.screen, HomeScreen)
        assert (app.journal, app.sub_title) == ("Work", "Work")
        assert listed_ids(app) == []
        assert "“Work” has no entries yet." in str(app.home.query_one("#home-empty").render())
        assert sorted(j.name for j in api.journals.list()) == ["Journal", "Work"]

        # Rename the open journal: the app follows the new name.
        await pilot.press("j")
        await settle(pilot)
        switcher = app.screen
        assert isinstance(switcher, JournalSwitcher)
        assert switcher.highlighted_name == "Work"
        await pilot.press("r")
        name_box = switcher.query_one("#journal-name", Input)
        assert name_box.value == "Work"
        name_box.value = "Office"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is switcher
        assert sorted(j.name for j in api.journals.list()) == ["Journal", "Office"]
        assert (app.journal, app.sub_title) == ("Office", "Office")

        # Switch back to the first journal and see its entry.
        options = switcher.query_one(OptionList)
        options.highlighted = [o.id for o in options.options].index("Journal")
        await pilot.press("enter")
        await settle(pilot)
        assert app.journal == "Journal"
        assert len(listed_ids(app)) == 1


async def test_duplicate_journal_name_shows_error_and_keeps_name(api: Charlie) -> None:
    api.journals.create("Work")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        switcher = app.screen
        await pilot.press("n")
        await type_text(pilot, "work")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "already exists" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is switcher
        assert switcher.query_one("#journal-name", Input).value == "work"
        assert app.journal == "Journal"


async def test_help_lists_bindings_of_screen_and_app(api: Charlie) -> None:
    seed(api, (NOW, "", "An entry, so the list has the focus"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        sections = dict(help_screen.sections)
        home_rows = dict((desc, keys) for keys, desc in sections["Entries"])
        for binding in HomeScreen.BINDINGS:
            if binding.action == "clear_filter":  # type: ignore[union-attr]
                continue  # Escape clears a tag filter; with none there is nothing to list.
            shown = binding.key_display or binding.key  # type: ignore[union-attr]
            assert home_rows[binding.description] == shown  # type: ignore[union-attr]
        assert ("? f1", "Help") in sections["Everywhere"]
        assert ("⏎", "Open") in sections["Entry list"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_pages_load_as_the_cursor_nears_the_end(
    api: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(HomeScreen, "PAGE_SIZE", 10)
    monkeypatch.setattr("ui.widgets.entry_list.NEAR_END", 3)
    start = NOW - timedelta(hours=1)
    seed(api, *((start - timedelta(hours=6 * i), f"Entry {i}", "text") for i in range(35)))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        entries = entry_list(app)
        assert entries.entry_count == 10
        for _ in range(40):
            await pilot.press("down")
            await settle(pilot)
        assert entries.entry_count == 35
        titles = [entries.summary(i).title for i in listed_ids(app)]  # type: ignore[union-attr]
        assert titles == [f"Entry {i}" for i in range(35)]
        assert entries.highlighted_entry_id == listed_ids(app)[-1]


async def test_missing_journal_shows_error_dialog(api: Charlie) -> None:
    app = make_app(api, journal="Nope")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert app.screen.message == "There is no journal called 'Nope'."


async def test_startup_error_app_explains_and_quits() -> None:
    app = StartupErrorApp("The data directory /nowhere is not writable.")
    async with app.run_test(size=SIZE) as pilot:
        text = str(app.screen.query_one("#startup-message", Static).render())
        assert text == "The data directory /nowhere is not writable."
        await pilot.press("q")
    # Leaving run_test waits for the app to finish exiting.
    assert app.return_code == 0


async def test_unexpected_worker_error_is_notified(
    api: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(api, (NOW, "Entry", "body"))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("socket closed")

    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        monkeypatch.setattr(Entries, "get", broken)  # Every journal handle's entries.
        await pilot.press("enter")
        await settle(pilot)
        assert "RuntimeError: socket closed" in notes.messages
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert not reader.query_one("#reader-scroll").loading


async def test_reader_without_title_heads_the_page_with_the_date(api: Charlie) -> None:
    seed(api, (NOW, "", "Just a body"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        title = str(reader.query_one("#reader-title", Static).render())
        assert title == "Wednesday 18 March 2026, 10:00 (UTC)"
        assert not reader.query_one("#reader-date", Static).display
