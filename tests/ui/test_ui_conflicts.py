"""Two writers, one entry: the editor never overwrites silently and never loses its text.

The app edits through one API; "another window" is a second Charlie client on the
same database, writing while the editor is open.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from textual.widgets import Label, TextArea

from backend.root import Charlie
from backend.settings import Settings
from tests.helpers.ui import NOW, SIZE, Notes, editor, make_app, seed, settle, type_text, wait_for
from ui.dialogs.edit_conflict import EditConflict
from ui.dialogs.entry_gone import EntryGone
from ui.screens.editor import EditorScreen
from ui.screens.home import HomeScreen
from ui.screens.reader import ReaderScreen
from ui.widgets.open_elsewhere import OpenElsewhere


@pytest.fixture
def other(api: Charlie, settings: Settings) -> Iterator[Charlie]:
    """Another window: a client of the same database."""
    client = Charlie.open(settings, own=False)
    try:
        yield client
    finally:
        client.close()


def draft_bodies(api: Charlie) -> list[str]:
    return [d.body for d in api.drafts.list()]


async def open_and_type(pilot: object, text: str) -> None:
    await pilot.press("e")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    await type_text(pilot, text)  # type: ignore[arg-type]


async def conflict_shown(pilot: object, api: Charlie, other: Charlie, entry_id: str) -> None:
    """Type EDIT-B here while the other window saves EDIT-A, then save here."""
    await open_and_type(pilot, " EDIT-B")
    other.journal().entries.edit(entry_id, body="Base EDIT-A")
    await pilot.press("ctrl+s")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


@pytest.mark.parametrize("choice", ["m", "t", "b", "escape"])
async def test_conflict_view_choices(api: Charlie, other: Charlie, choice: str) -> None:
    (entry,) = seed(api, (NOW - timedelta(hours=1), "Title", "Base"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await conflict_shown(pilot, api, other, entry.id)
        view = app.screen
        assert isinstance(view, EditConflict)
        assert [a.text for a in view.query(TextArea)] == ["Base EDIT-B", "Base EDIT-A"]
        assert view.theirs.revision == entry.revision + 1
        # Nothing was overwritten, and the text on screen is kept as a draft meanwhile.
        assert api.journal().entries.get(entry.id).body == "Base EDIT-A"
        await wait_for(pilot, lambda: draft_bodies(api) == ["Base EDIT-B"], "the draft")

        await pilot.press(choice)
        await settle(pilot)
        bodies = sorted(
            api.journal().entries.get(e.id).body for e in api.journal().entries.list().entries
        )
        if choice == "m":
            assert bodies == ["Base EDIT-B"]
            assert api.journal().entries.get(entry.id).revision == entry.revision + 2
        elif choice == "t":
            assert bodies == ["Base EDIT-A"]
        elif choice == "b":
            assert bodies == ["Base EDIT-A", "Base EDIT-B"]
            titles = sorted(e.title for e in api.journal().entries.list().entries)
            assert titles == ["Title", "Title (copy)"]
            copy = next(
                e for e in api.journal().entries.list().entries if e.title == "Title (copy)"
            )
            assert copy.entry_at == entry.entry_at
        if choice == "escape":
            assert editor(app).snapshot().body == "Base EDIT-B"
            assert draft_bodies(api) == ["Base EDIT-B"]
        else:
            assert isinstance(app.screen, HomeScreen)
            await wait_for(pilot, lambda: draft_bodies(api) == [], "the draft to go")


async def test_keep_mine_after_a_second_conflict_asks_again(api: Charlie, other: Charlie) -> None:
    (entry,) = seed(api, (NOW, "", "Base"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await conflict_shown(pilot, api, other, entry.id)
        assert isinstance(app.screen, EditConflict)
        other.journal().entries.edit(entry.id, body="Base EDIT-C")  # Changed again while deciding.
        await pilot.press("m")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, EditConflict)
        assert view.theirs.body == "Base EDIT-C"
        assert api.journal().entries.get(entry.id).body == "Base EDIT-C"
        await pilot.press("m")
        await settle(pilot)
    assert api.journal().entries.get(entry.id).body == "Base EDIT-B"


async def test_quitting_during_a_conflict_keeps_a_draft(api: Charlie, other: Charlie) -> None:
    (entry,) = seed(api, (NOW, "", "Base"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_and_type(pilot, " EDIT-B")
        other.journal().entries.edit(entry.id, body="Base EDIT-A")
        await pilot.press("ctrl+q")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, EditConflict) and view.offer_quit
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert api.journal().entries.get(entry.id).body == "Base EDIT-A"
    (draft,) = api.drafts.list()
    assert (draft.body, draft.entry_id, draft.base_revision) == (
        "Base EDIT-B",
        entry.id,
        entry.revision,
    )


async def test_deleted_elsewhere_saves_as_new(api: Charlie, other: Charlie) -> None:
    (entry,) = seed(api, (NOW - timedelta(days=2), "Doomed", "Deleted"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await open_and_type(pilot, " but rescued")
        other.journal().entries.delete(entry.id)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EntryGone)
        await pilot.press("enter")  # The default: save as a new entry.
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert "Saved as a new entry" in notes.messages
    (saved,) = api.journal().entries.list().entries
    rescued = api.journal().entries.get(saved.id)
    assert (rescued.title, rescued.body) == ("Doomed", "Deleted but rescued")
    assert rescued.entry_at == entry.entry_at and rescued.id != entry.id
    assert api.drafts.list() == []


async def test_deleted_elsewhere_is_never_a_loop(api: Charlie, other: Charlie) -> None:
    (entry,) = seed(api, (NOW, "Doomed", "Deleted"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_and_type(pilot, " again")
        other.journal().entries.delete(entry.id)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EntryGone)
        await pilot.press("escape")  # Back to the editor, text intact.
        await settle(pilot)
        assert editor(app).snapshot().body == "Deleted again"
        assert "deleted elsewhere" in editor(app).sub_title
        await pilot.press("escape")  # Saving asks again; it does not try and fail.
        await settle(pilot)
        assert isinstance(app.screen, EntryGone)
        await pilot.click("#entry-gone-discard")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await wait_for(pilot, lambda: api.drafts.list() == [], "the draft to go")
    assert api.journal().entries.count() == 0


async def test_also_open_in_another_window(api: Charlie, other: Charlie) -> None:
    (entry,) = seed(api, (NOW, "Shared", "Two windows"))
    other.journal().entries.mark_open(entry.id, "the-other-window")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)

        def notice() -> str:
            return str(editor(app).query_one("#editor-elsewhere", Label).render())

        await wait_for(pilot, lambda: notice() == "Also open in another window", "the notice")
        session = editor(app).session
        assert (
            other.journal().entries.open_elsewhere(entry.id, "the-other-window") == 1
        )  # This editor.
        await pilot.press("escape")
        await settle(pilot)
        await wait_for(
            pilot,
            lambda: other.journal().entries.open_elsewhere(entry.id, "the-other-window") == 0,
            "the editor's mark to go",
        )
        assert (
            other.journal().entries.open_elsewhere(entry.id, session) == 1
        )  # The other window's mark.


async def test_the_reader_says_when_another_window_edits(api: Charlie, other: Charlie) -> None:
    (entry,) = seed(api, (NOW, "Shared", "Two windows"))
    other.journal().entries.mark_open(entry.id, "the-other-window")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        notice = reader.query_one(OpenElsewhere)
        await wait_for(pilot, lambda: notice.display, "the notice")
        assert str(notice.render()) == "Being edited in another window"

        # This app's own editor is not another window.
        other.journal().entries.mark_closed(entry.id, "the-other-window")
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        notice.check()
        await settle(pilot)
        assert not notice.display
