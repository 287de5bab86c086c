"""Tags and stars in the app: the home filter (# then a tag or Starred; Esc shows all),
the star key on the home list and in the reader, the reader's tags, the tag page and the
editor's Tags field."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, OptionList, Static

from backend.root import Charlie
from tests.helpers.ui import (
    NOW,
    SIZE,
    Notes,
    entry_list,
    listed_ids,
    make_app,
    settle,
    type_text,
    wait_for,
)
from ui.dialogs.tag_filter import TagFilter
from ui.screens.editor import EditorScreen
from ui.screens.home import HomeScreen
from ui.screens.reader import ReaderScreen
from ui.screens.tag import TagScreen


def _seed(api: Charlie) -> list[str]:
    entries = api.journal().entries
    made = [
        entries.add("Lunch with Ana #work", title="Monday", entry_at=NOW - timedelta(hours=1)),
        entries.add("Long walk #home", title="Sunday", entry_at=NOW - timedelta(days=1)),
        entries.add("Deadline #work #late", title="Friday", entry_at=NOW - timedelta(days=3)),
    ]
    entries.star(made[1].id)
    return [m.id for m in made]


def _choose(app: object, option_id: str) -> None:
    dialog = app.screen  # type: ignore[attr-defined]
    assert isinstance(dialog, TagFilter)
    options = dialog.query_one(OptionList)
    options.highlighted = options.get_option_index(option_id)


async def test_filter_by_tag_and_star_then_all(api: Charlie) -> None:
    ids = _seed(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert listed_ids(app) == ids
        await pilot.press("number_sign")
        await settle(pilot)
        assert isinstance(app.screen, TagFilter)
        labels = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        assert labels[:2] == ["All entries", "★ Starred"]
        assert labels[2].startswith("#work  2 entries")
        _choose(app, "tag:work")
        await pilot.press("enter")
        await settle(pilot)
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert listed_ids(app) == [ids[0], ids[2]]
        shown = str(home.query_one("#home-filter", Static).render())
        assert "tagged #work" in shown and "Esc" in shown

        await pilot.press("number_sign")
        await settle(pilot)
        _choose(app, "starred")
        await pilot.press("enter")
        await settle(pilot)
        assert listed_ids(app) == [ids[1]]

        await pilot.press("escape")
        await settle(pilot)
        assert listed_ids(app) == ids
        assert not home.query_one("#home-filter").display


async def test_star_from_home_shows_and_stores(api: Charlie) -> None:
    ids = _seed(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        assert entry_list(app).highlighted_entry_id == ids[0]
        await pilot.press("asterisk")
        await settle(pilot)
        assert api.journal().entries.get(ids[0]).starred
        assert "★" in str(entry_list(app).get_option(ids[0]).prompt)
        assert "Starred" in notes.messages
        await pilot.press("asterisk")
        await settle(pilot)
        assert not api.journal().entries.get(ids[0]).starred
        await wait_for(
            pilot,
            lambda: "★" not in str(entry_list(app).get_option(ids[0]).prompt),
            "the star to go from the row",
        )
        # Rows show their tags.
        assert "#work #late" in str(entry_list(app).get_option(ids[2]).prompt)


async def test_reader_shows_tags_stars_and_opens_the_tag_page(api: Charlie) -> None:
    ids = _seed(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.entry_id == ids[2]
        assert str(reader.query_one("#reader-tags", Static).render()) == "#late #work"
        await pilot.press("asterisk")
        await settle(pilot)
        assert api.journal().entries.get(ids[2]).starred
        assert str(reader.query_one("#reader-tags", Static).render()) == "★ Starred · #late #work"

        # Two tags: pick one, then its page lists its entries.
        await pilot.press("number_sign")
        await settle(pilot)
        _choose(app, "tag:work")
        await pilot.press("enter")
        await settle(pilot)
        page = app.screen
        assert isinstance(page, TagScreen) and page.tag == "work"
        assert "2 entries" in str(page.query_one("#tag-summary", Static).render())
        assert [o.id for o in page.query_one("#tag-entries", OptionList).options if o.id] == [
            ids[0],
            ids[2],
        ]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is reader


async def test_tag_page_from_the_filter_picker(api: Charlie) -> None:
    _seed(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("number_sign")
        await settle(pilot)
        _choose(app, "tag:home")
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, TagScreen) and app.screen.tag == "home"
        assert "1 entry" in str(app.screen.query_one("#tag-summary", Static).render())


async def test_editor_tags_field_saves_and_keeps(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        await type_text(pilot, "Rain all day #weather")
        editor.query_one("#editor-tags", Input).value = "Home, quiet days"
        await pilot.press("ctrl+s")
        await settle(pilot)
        [saved] = api.journal().entries.list().entries
        entry = api.journal().entries.get(saved.id)
        assert entry.tags == ("days", "home", "quiet", "weather")

        # Editing shows the given tags (the text's stay in the text) and saves changes.
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        field = editor.query_one("#editor-tags", Input)
        assert field.value == "days home quiet"
        field.value = "home"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert api.journal().entries.get(saved.id).tags == ("home", "weather")
