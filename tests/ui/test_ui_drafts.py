"""Drafts in the editor, driven with Pilot on a real API: kept, offered back, discarded.

Waits on the draft appearing in the database are bounded polls (``wait_for``), never
sleeps: the editor writes a draft ``draft_seconds`` after the last keystroke.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Input, Label, TextArea

from backend.drafts import Draft, new_draft_id
from backend.root import Charlie
from backend.settings import Settings
from tests.helpers.ui import NOW, SIZE, Notes, editor, make_app, seed, settle, type_text, wait_for
from ui.dialogs.compare_draft import CompareDraft
from ui.dialogs.confirm import ConfirmAction
from ui.dialogs.error import ErrorDialog
from ui.dialogs.restore_draft import RestoreDraft
from ui.screens.home import HomeScreen
from ui.widgets.editor_status import count_text


@pytest.fixture
def slow(settings: Settings) -> Iterator[Charlie]:
    """An API whose editor waits a minute after the last keystroke: any draft seen in a
    test comes from another trigger (a focus change, a failed save, quitting)."""
    instance = Charlie.open(settings.with_changes(draft_seconds=60))
    try:
        yield instance
    finally:
        instance.close()


def drafts(api: Charlie) -> list[Draft]:
    return api.journal(api.journals.get().name).drafts.list()


def bodies(api: Charlie) -> list[str]:
    return [d.body for d in drafts(api)]


async def test_typing_keeps_a_draft_that_the_save_removes(quick: Charlie) -> None:
    app = make_app(quick)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Words in flight")
        await wait_for(pilot, lambda: bodies(quick) == ["Words in flight"], "the draft")
        (draft,) = drafts(quick)
        assert (draft.id, draft.entry_id, draft.when) == (
            editor(app).draft_id,
            None,
            "2026-03-18 10:00",
        )
        await wait_for(
            pilot,
            lambda: "Draft kept" in str(editor(app).query_one("#editor-draft", Label).render()),
            "the status line to say the draft is kept",
        )

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert [e.preview for e in quick.journal().entries.list().entries] == ["Words in flight"]
        assert drafts(quick) == []


async def test_each_change_rewrites_the_draft(quick: Charlie) -> None:
    app = make_app(quick)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "First")
        await wait_for(pilot, lambda: bodies(quick) == ["First"], "the first draft")
        await type_text(pilot, " and second")
        await wait_for(pilot, lambda: bodies(quick) == ["First and second"], "the newer draft")
        assert len(drafts(quick)) == 1  # One draft per editor, overwritten.


async def test_moving_between_fields_keeps_a_draft(slow: Charlie) -> None:
    app = make_app(slow)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Before tabbing")
        await pilot.press("shift+tab")  # To the When field.
        await wait_for(pilot, lambda: bodies(slow) == ["Before tabbing"], "the draft")


async def test_a_failed_save_keeps_a_draft(slow: Charlie) -> None:
    app = make_app(slow)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Precious")
        editor(app).query_one("#editor-date", Input).value = "2024-13-45"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        await wait_for(pilot, lambda: bodies(slow) == ["Precious"], "the draft")
        assert drafts(slow)[0].when == "2024-13-45"


async def test_quitting_keeps_the_text_as_a_draft(slow: Charlie) -> None:
    """What SIGHUP and SIGTERM call (charlie.py installs them; the real-process test in
    tests/processes/test_drafts_process.py sends the signals): the draft is written before exit."""
    app = make_app(slow)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Closed the terminal")
        app.keep_drafts_and_exit()  # Writes the draft before it returns.
    assert app.return_code == 0
    assert bodies(slow) == ["Closed the terminal"]
    assert slow.journal().entries.count() == 0


async def test_quitting_past_a_failed_save_keeps_a_draft(slow: Charlie) -> None:
    app = make_app(slow)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Unsaveable")
        editor(app).query_one("#editor-date", Input).value = "not a date"
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog) and app.screen.offer_quit
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert slow.journal().entries.count() == 0
    assert [(d.body, d.when) for d in drafts(slow)] == [("Unsaveable", "not a date")]


async def test_an_emptied_new_entry_leaves_no_draft(quick: Charlie) -> None:
    app = make_app(quick)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "abc")
        await wait_for(pilot, lambda: bodies(quick) == ["abc"], "the draft")
        await pilot.press("backspace", "backspace", "backspace")
        # Empty again: nothing is worth keeping, so the draft goes at the next pause.
        await wait_for(pilot, lambda: drafts(quick) == [], "the draft to go")
        await type_text(pilot, "x")
        await wait_for(pilot, lambda: bodies(quick) == ["x"], "a draft again")
        await pilot.press("backspace", "escape")
        await settle(pilot)
        assert "Empty entry discarded" in notes.messages
        await wait_for(pilot, lambda: drafts(quick) == [], "the draft to be discarded")


async def test_discard_on_purpose(quick: Charlie) -> None:
    (entry,) = seed(quick, (NOW, "Kept", "as it was"))
    app = make_app(quick)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await type_text(pilot, " and more")
        await wait_for(pilot, lambda: bodies(quick) == ["as it was and more"], "the draft")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmAction)
        await pilot.press("n")  # Changed my mind: still editing, nothing lost.
        await settle(pilot)
        assert editor(app).snapshot().body == "as it was and more"
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await wait_for(pilot, lambda: drafts(quick) == [], "the draft to be discarded")
    assert quick.journal().entries.get(entry.id).body == "as it was"


async def test_an_unchanged_edit_writes_no_draft(quick: Charlie) -> None:
    seed(quick, (NOW, "Same", "Same body"))
    app = make_app(quick)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await type_text(pilot, "x")
        await wait_for(pilot, lambda: bodies(quick) == ["Same bodyx"], "the draft")
        await pilot.press("backspace")
        await wait_for(pilot, lambda: drafts(quick) == [], "the draft to go")


async def test_drafts_off(settings: Settings) -> None:
    with Charlie.open(settings.with_changes(draft_seconds=0)) as api:
        app = make_app(api)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            await type_text(pilot, "Not kept")
            await pilot.press("shift+tab")
            app.keep_drafts_and_exit()
        assert drafts(api) == []


# -- offered back ----------------------------------------------------------------------


def put_draft(
    api: Charlie,
    body: str,
    *,
    title: str = "",
    when: str = "2026-03-17 09:00",
    entry_id: str | None = None,
    base_revision: int = 0,
) -> Draft:
    return api.journal().drafts.save(
        new_draft_id(),
        entry_id=entry_id,
        title=title,
        body=body,
        when=when,
        base_revision=base_revision,
    )


async def test_a_new_entry_draft_is_offered_on_start_and_restored(api: Charlie) -> None:
    draft = put_draft(api, "Lost\tto a closed 🌧 terminal — שלום", title="Rain")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        offer = app.screen
        assert isinstance(offer, RestoreDraft) and offer.draft.id == draft.id
        assert not offer.query("#restore-draft-compare")  # Nothing saved to compare with.
        await pilot.press("r")
        await settle(pilot)
        restored = editor(app)
        assert restored.is_new and restored.draft_id == draft.id  # The same draft goes on.
        assert restored.snapshot().body == draft.body
        assert restored.snapshot().title == "Rain"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
    (saved,) = api.journal().entries.list().entries
    entry = api.journal().entries.get(saved.id)
    assert (entry.title, entry.body) == ("Rain", draft.body)
    assert entry.entry_at == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    assert drafts(api) == []


async def test_discard_and_later_on_start(api: Charlie) -> None:
    older = put_draft(api, "Older draft")
    newer = put_draft(api, "Newer draft")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.screen
        assert isinstance(first, RestoreDraft)
        assert (first.draft.id, first.position) == (newer.id, (1, 2))
        await pilot.press("x")
        await settle(pilot)
        second = app.screen
        assert isinstance(second, RestoreDraft)
        assert (second.draft.id, second.position) == (older.id, (2, 2))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        await wait_for(pilot, lambda: bodies(api) == ["Older draft"], "the discard")


async def test_an_edit_draft_restores_into_that_entry(api: Charlie) -> None:
    (entry,) = seed(api, (NOW - timedelta(days=1), "Walk", "We walked."))
    draft = put_draft(
        api,
        "We walked to the lake.",
        title="Walk",
        when="2026-03-17 10:00",
        entry_id=entry.id,
        base_revision=entry.revision,
    )
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RestoreDraft)
        await pilot.press("s")  # Show both.
        await settle(pilot)
        compare = app.screen
        assert isinstance(compare, CompareDraft)
        texts = [area.text for area in compare.query(TextArea)]
        assert texts == ["We walked to the lake.", "We walked."]
        await pilot.press("r")
        await settle(pilot)
        restored = editor(app)
        assert restored.entry is not None and restored.entry.id == entry.id
        assert restored.draft_id == draft.id
        assert restored.snapshot().body == "We walked to the lake."
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert api.journal().entries.get(entry.id).body == "We walked to the lake."
    assert api.journal().entries.get(entry.id).entry_at == entry.entry_at
    assert drafts(api) == []


async def test_opening_an_entry_offers_its_draft(api: Charlie) -> None:
    (entry,) = seed(api, (NOW, "Walk", "We walked."))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Written after start (by an editor that died since): offered when opened.
        draft = put_draft(
            api, "We walked far.", title="Walk", entry_id=entry.id, base_revision=entry.revision
        )
        await pilot.press("e")
        await settle(pilot)
        offer = app.screen
        assert isinstance(offer, RestoreDraft) and offer.draft.id == draft.id
        await pilot.press("r")
        await settle(pilot)
        opened = editor(app)
        assert opened.draft_id == draft.id
        assert opened.snapshot().body == "We walked far."
        await pilot.press("escape")
        await settle(pilot)
    assert api.journal().entries.get(entry.id).body == "We walked far."
    assert drafts(api) == []


async def test_a_draft_another_editor_is_writing_is_not_offered(api: Charlie) -> None:
    (entry,) = seed(api, (NOW, "Walk", "We walked."))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        draft = put_draft(api, "Still typing", entry_id=entry.id, base_revision=entry.revision)
        api.journal().entries.mark_open(draft.id, "another-window")
        await pilot.press("e")
        await settle(pilot)
        assert editor(app).snapshot().body == "We walked."
    assert bodies(api) == ["Still typing"]


async def test_an_edit_draft_of_a_deleted_entry_restores_as_new(api: Charlie) -> None:
    (entry,) = seed(api, (NOW - timedelta(days=3), "Gone", "Deleted later"))
    put_draft(
        api,
        "Deleted later, but I kept writing",
        title="Gone",
        when="2026-03-15 10:00",
        entry_id=entry.id,
        base_revision=entry.revision,
    )
    api.journal().entries.delete(entry.id)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        offer = app.screen
        assert isinstance(offer, RestoreDraft) and offer.entry is None
        await pilot.press("r")
        await settle(pilot)
        assert editor(app).is_new
        await pilot.press("ctrl+s")
        await settle(pilot)
    (saved,) = api.journal().entries.list().entries
    assert api.journal().entries.get(saved.id).body == "Deleted later, but I kept writing"
    assert saved.entry_at == datetime(2026, 3, 15, 10, 0, tzinfo=UTC)
    assert drafts(api) == []


# -- editor niceties -------------------------------------------------------------------


async def test_focusing_when_does_not_select_all(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Body")
        await pilot.press("shift+tab", "shift+tab")  # Back over the Tags field to When.
        date = editor(app).query_one("#editor-date", Input)
        assert date.has_focus
        assert date.selection.is_empty
        await pilot.press("5")
        assert date.value.startswith("2026-03-18 10:0")
        assert "5" in date.value


async def test_word_and_character_count(api: Charlie) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)

        def count() -> str:
            return str(editor(app).query_one("#editor-count", Label).render())

        assert count() == "0 words · 0 characters"
        await type_text(pilot, "one two three")
        await wait_for(pilot, lambda: count() == "3 words · 13 characters", "the count")


def test_count_text() -> None:
    assert count_text("") == "0 words · 0 characters"
    assert count_text("a") == "1 word · 1 character"
    assert count_text("  two\twords\n") == "2 words · 12 characters"
    assert count_text("x " * 1500) == "1,500 words · 3,000 characters"
