"""Tags typed in the editor's Tags field are kept in its draft like every other field."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input

from backend.drafts import new_draft_id
from backend.root import Charlie
from tests.helpers.ui import NOW, SIZE, make_app, seed, settle, wait_for
from ui.dialogs.restore_draft import RestoreDraft
from ui.screens.editor import EditorScreen


async def test_a_tags_only_change_is_kept_as_a_draft_and_restores(quick: Charlie) -> None:
    (entry,) = seed(quick, (NOW - timedelta(days=1), "Walk", "We walked. #outside"))
    app = make_app(quick)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        editor.query_one("#editor-tags", Input).value = "lake, friends"
        await wait_for(
            pilot,
            lambda: [d.tags for d in quick.drafts.list()] == ["lake, friends"],
            "a draft holding the Tags field",
        )
    # The app went without saving (as a closed terminal would): the draft restores whole.
    (draft,) = quick.drafts.list()
    restored = quick.drafts.restore(draft.id)
    assert restored.id == entry.id
    assert quick.journal().entries.get(entry.id).tags == ("friends", "lake", "outside")


async def test_restoring_a_draft_fills_the_tags_field(api: Charlie) -> None:
    api.journal().drafts.save(
        new_draft_id(),
        entry_id=None,
        title="Trip",
        body="Packed the car.",
        when="2026-03-17 09:00",
        tags="travel",
    )
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RestoreDraft)
        await pilot.press("r")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        assert editor.query_one("#editor-tags", Input).value == "travel"
        await pilot.press("ctrl+s")
        await settle(pilot)
    [saved] = api.journal().entries.list().entries
    assert api.journal().entries.get(saved.id).tags == ("travel",)
    assert api.drafts.list() == []


def test_a_draft_without_the_field_keeps_the_entrys_tags(api: Charlie) -> None:
    entry = api.journal().entries.add("Rain.", tags=["weather"])
    draft = api.journal().drafts.save(
        new_draft_id(), entry_id=entry.id, title="", body="Rain all day.", base_revision=1
    )
    assert draft.tags is None
    api.drafts.restore(draft.id)
    assert api.journal().entries.get(entry.id).tags == ("weather",)
