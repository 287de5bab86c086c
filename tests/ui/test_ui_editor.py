"""The editor, driven with Pilot on a real API: saving, discarding, and never losing text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from textual import events
from textual.widgets import Input, Static, TextArea

from backend.root import Charlie
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
from ui.dialogs.error import ErrorDialog
from ui.screens.editor import EditorScreen
from ui.screens.home import HomeScreen


async def test_write_new_entry_with_ctrl_s(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.home.query_one("#home-empty", Static).display

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        assert app.screen.query_one("#editor-date", Input).value == "2026-03-18 10:00"
        await type_text(pilot, "Walked to the lake")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert isinstance(app.screen, HomeScreen)
        page = api.journal().entries.list()
        assert [e.preview for e in page.entries] == ["Walked to the lake"]
        assert page.entries[0].entry_at == NOW
        assert listed_ids(app) == [page.entries[0].id]
        assert entry_list(app).display


async def test_escape_saves(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        editor = app.screen
        editor.query_one("#editor-title", Input).value = "Tuesday"
        editor.query_one("#editor-body", TextArea).text = "Rain all day.\n\nRead a book."
        await pilot.press("escape")
        await settle(pilot)

        entries = api.journal().entries.list().entries
        assert len(entries) == 1
        saved = api.journal().entries.get(entries[0].id)
        assert (saved.title, saved.body) == ("Tuesday", "Rain all day.\n\nRead a book.")
        assert listed_ids(app) == [saved.id]


async def test_empty_new_entry_is_discarded(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("space", "enter")  # Whitespace alone is still empty.
        await pilot.press("escape")
        await settle(pilot)

        assert isinstance(app.screen, HomeScreen)
        assert "Empty entry discarded" in notes.messages
        assert api.journal().entries.count() == 0


async def test_edit_changes_text_and_date(api: Charlie) -> None:
    (entry,) = seed(api, (NOW - timedelta(days=1), "Old title", "Old body"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        title = editor.query_one("#editor-title", Input)
        date = editor.query_one("#editor-date", Input)
        body = editor.query_one("#editor-body", TextArea)
        assert (title.value, date.value, body.text) == ("Old title", "2026-03-17 10:00", "Old body")

        title.value = "New title"
        date.value = "2026-03-01 09:30"
        body.text = "New body"
        await pilot.press("ctrl+s")
        await settle(pilot)

        saved = api.journal().entries.get(entry.id)
        assert (saved.title, saved.body) == ("New title", "New body")
        assert saved.entry_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
        assert isinstance(app.screen, HomeScreen)
        assert entry_list(app).highlighted_entry_id == entry.id


async def test_unchanged_edit_keeps_exact_time(api: Charlie) -> None:
    when = datetime(2026, 3, 17, 21, 15, 42, tzinfo=timezone(timedelta(hours=2)))
    (entry,) = seed(api, (when, "", "Seconds and offset matter"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#editor-body", TextArea).text = "Changed body"
        await pilot.press("escape")
        await settle(pilot)
        saved = api.journal().entries.get(entry.id)
        assert saved.body == "Changed body"
        assert saved.entry_at == when
        assert saved.entry_at.utcoffset() == timedelta(hours=2)


async def test_bad_date_shows_error_and_keeps_text(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        editor = app.screen
        await type_text(pilot, "Precious words")
        editor.query_one("#editor-date", Input).value = "2024-13-45"
        await pilot.press("ctrl+s")
        await settle(pilot)

        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert "2024-13-45" in dialog.message
        await pilot.press("escape")
        await settle(pilot)

        assert app.screen is editor
        assert editor.query_one("#editor-body", TextArea).text == "Precious words"
        assert editor.query_one("#editor-date", Input).value == "2024-13-45"
        assert api.journal().entries.count() == 0


async def test_backend_validation_error_keeps_editor_open(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        editor = app.screen
        # A title with no body: the backend refuses it, and the title must survive.
        editor.query_one("#editor-title", Input).value = "Only a title"
        await pilot.press("escape")
        await settle(pilot)

        assert isinstance(app.screen, ErrorDialog)
        assert app.screen.message == "The entry is empty: write something before saving."
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is editor
        assert editor.query_one("#editor-title", Input).value == "Only a title"
        assert not editor.query_one("#editor-form").loading
        assert api.journal().entries.count() == 0


async def test_quit_from_editor_saves_first(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Do not lose me")
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert [e.preview for e in api.journal().entries.list().entries] == ["Do not lose me"]


async def test_quit_when_the_save_fails_asks_again(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        editor = app.screen
        await type_text(pilot, "Unsaveable")
        editor.query_one("#editor-date", Input).value = "not a date"
        await pilot.press("ctrl+q")
        await settle(pilot)
        # The first Ctrl+Q tried to save, failed, and said how to leave anyway.
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog) and dialog.offer_quit
        assert dialog.heading == "Could not save before quitting"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is editor
        assert editor.query_one("#editor-body", TextArea).text == "Unsaveable"
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert app.return_code == 0
    assert api.journal().entries.count() == 0


async def test_keys_typed_just_before_ctrl_s_or_ctrl_q_are_saved(api: Charlie) -> None:
    """Ctrl+S and Ctrl+Q are priority keys: the app sees them before the text field has
    handled the keys typed just before. Send them all at once, like a fast typist."""
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        for key in ("a", "b", "c", "ctrl+s"):
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
        assert [e.preview for e in api.journal().entries.list().entries] == ["abc"]

        await pilot.press("n")
        await settle(pilot)
        for key in ("x", "y", "z", "ctrl+q"):
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
    assert sorted(e.preview for e in api.journal().entries.list().entries) == ["abc", "xyz"]
