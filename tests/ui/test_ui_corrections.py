"""Issue 13 item 4 in the TUI: every extractor mistake fixable from the screens, and the
fix holds when the entry is read again.

Pilot on a real API and a real embedded FalkorDB, like tests/ui/test_ui_graph.py; the
scripted extractor "finds" ``[[Type:Name]]`` and ignores lowercase prose, so a missed
name is simply one written in lowercase. Each test drives the keys, checks the graph
through the API, reads the entries again (``again``, as tests/backend/test_corrections.py does)
and checks that the correction held. Snapshots of the three dialogs are at the end.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, SelectionList
from textual.widgets._markdown import MarkdownParagraph

from backend.root import Charlie
from tests.helpers.graph import again, enrich_all, entity, names
from tests.helpers.seeds import TO_SARAH, seed_graph
from tests.helpers.ui import (
    NOW,
    SIZE,
    Notes,
    keys,
    list_texts,
    make_app,
    open_entity,
    open_reader,
    row_targets,
    seed,
    settle,
    static_text,
    type_text,
)
from ui.dialogs.confirm import ConfirmAction
from ui.dialogs.help import HelpScreen
from ui.dialogs.link_entity import LinkEntity, Suggestions
from ui.dialogs.merge_entity import MergePicker
from ui.dialogs.retype_entity import RetypeEntity
from ui.dialogs.split_entity import NOTHING_MARKED, SplitEntity
from ui.screens.entity import EntityScreen
from ui.widgets.type_choice import TypeChoice

# -- type --------------------------------------------------------------------------------


async def test_t_changes_the_type_and_it_holds(api: Charlie) -> None:
    (entry,) = seed(api, (NOW, "", "a walk around [[Person:Lake Merritt]]."))
    enrich_all(api)
    lake = entity(api, "Lake Merritt")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        page = await open_entity(pilot, lake)
        await pilot.press("t")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, RetypeEntity)
        types = dialog.query_one(TypeChoice)
        assert types.value == "Person"  # The cursor starts on the type it has, marked.
        assert [str(o.prompt) for o in types.options] == [
            "Person  · now",
            "Place",
            "Group",
            "Activity",
        ]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is page
        assert "“Lake Merritt” is now a place" in notes.messages
        assert static_text(app, "#entity-facts").startswith("Place · mentioned in 1 entry")
        assert api.journal().graph.find_entity("Lake Merritt") is not None
        assert api.journal().graph.entity(lake.id).entity.type == "Place"
        again(api, entry.id)
        assert names(api, entry.id) == {("Lake Merritt", "Place")}
        assert [e.id for e in api.journal().graph.entities()] == [lake.id]


async def test_t_onto_a_name_of_that_type_says_merge_and_changes_nothing(
    api: Charlie,
) -> None:
    seed(
        api,
        (NOW, "", "[[Place:Jordan]] in spring."),
        (NOW - timedelta(days=1), "", "back from [[Person:Jordan]]."),
    )
    enrich_all(api)
    person = entity(api, "Jordan", "Person")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        page = await open_entity(pilot, person)
        await pilot.press("t")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, RetypeEntity)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is dialog  # Still open, saying why.
        assert static_text(app, "#retype-error") == (
            "There is already a Place called 'Jordan'; merge 'Jordan' into it instead."
        )
        await pilot.press("down")  # Moving on clears it.
        assert not dialog.query_one("#retype-error").display
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is page
        assert api.journal().graph.entity(person.id).entity.type == "Person"
        assert static_text(app, "#entity-facts").startswith("Person")


async def test_the_author_has_no_t(api: Charlie) -> None:
    seed(api, (NOW, "", "[[Person:I]] slept."))
    enrich_all(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        page = await open_entity(pilot, entity(api, "I"))
        assert page.check_action("retype", ()) is None
        await pilot.press("t")
        await settle(pilot)
        assert app.screen is page


# -- split -------------------------------------------------------------------------------


async def test_s_splits_marked_entries_off_for_good(api: Charlie) -> None:
    home, *work = seed(
        api,
        (NOW, "", "dinner at [[Person:Sam -KNOWS-> Person:Ida]]'s."),
        (NOW - timedelta(days=1), "", "stand-up 1 with [[Person:Sam]]."),
        (NOW - timedelta(days=2), "", "stand-up 2 with [[Person:Sam]]."),
    )
    enrich_all(api)
    sam = entity(api, "Sam")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        page = await open_entity(pilot, sam)
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SplitEntity)
        entries = dialog.query_one(SelectionList)
        assert entries.has_focus
        # Its entries, newest first, each with its date and the sentence naming Sam.
        values = [entries.get_option_at_index(i).value for i in range(entries.option_count)]
        assert values == [home.id, *(w.id for w in work)]
        assert "“stand-up 1 with [[Person:Sam]].”" in str(entries.get_option_at_index(1).prompt)

        # Enter in the name box with nothing marked says what to do.
        await pilot.press("tab")
        await pilot.press("enter")
        await settle(pilot)
        assert static_text(app, "#split-error") == NOTHING_MARKED

        await pilot.press("shift+tab", "down", "space", "down", "space", "tab")
        assert entries.selected == [w.id for w in work]
        await type_text(pilot, "Sam Lee")
        await settle(pilot)
        assert static_text(app, "#split-preview") == "2 entries move to “Sam Lee”, a new person."
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is page
        assert "Moved 2 entries to “Sam Lee” (person)" in notes.messages
        assert row_targets(app, "#entity-mentions") == [home.id]

    lee = entity(api, "Sam Lee")
    for w in work:
        assert names(api, w.id) == {("Sam Lee", "Person")}
    again(api, home.id, *(w.id for w in work))
    for w in work:
        assert names(api, w.id) == {("Sam Lee", "Person")}
    assert names(api, home.id) == {("Sam", "Person"), ("Ida", "Person")}
    assert entity(api, "Sam Lee").id == lee.id
    assert [m.entry_id for m in api.journal().graph.entity(sam.id).mentions] == [home.id]


async def test_s_moving_every_entry_to_a_known_name_of_another_type_opens_it(
    api: Charlie,
) -> None:
    place_entry, person_entry = seed(
        api,
        (NOW, "", "[[Place:Jordan]] in spring."),
        (NOW - timedelta(days=1), "", "a week in [[Person:Jordan]]."),
    )
    enrich_all(api)
    place, person = entity(api, "Jordan", "Place"), entity(api, "Jordan", "Person")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await open_entity(pilot, person)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SplitEntity)
        await pilot.press("space", "tab")
        await type_text(pilot, "jordan")
        await pilot.press("tab", "down")  # Person -> Place.
        await settle(pilot)
        assert static_text(app, "#split-preview") == (
            "1 entry moves to “Jordan”, the place already in your journal."
        )
        await pilot.press("enter")
        await settle(pilot)
        # The person is gone (every entry moved), so the page shown is the place's.
        shown = app.screen
        assert isinstance(shown, EntityScreen) and shown.entity_id == place.id
        assert static_text(app, "#entity-facts").startswith("Place · mentioned in 2 entries")
    assert api.journal().graph.find_entity("Jordan", type="Person") is None
    again(api, place_entry.id, person_entry.id)
    assert names(api, person_entry.id) == {("Jordan", "Place")}
    assert api.journal().graph.find_entity("Jordan", type="Person") is None


# -- merge across types ------------------------------------------------------------------


async def test_m_lists_every_type_same_type_first_and_merges_across(api: Charlie) -> None:
    place_entry, person_entry, *_ = seed(
        api,
        (NOW, "", "[[Place:Jordan]] in spring."),
        (NOW - timedelta(days=1), "", "back from [[Person:Jordan]]."),
        (NOW - timedelta(days=2), "", "a trip to [[Place:Lisbon]]."),
        (NOW - timedelta(days=3), "", "tea with [[Person:Sarah]]."),
        (NOW - timedelta(days=4), "", "a call from [[Person:Sarah]]."),
    )
    enrich_all(api)
    place, person = entity(api, "Jordan", "Place"), entity(api, "Jordan", "Person")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        page = await open_entity(pilot, place)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MergePicker)
        # Places first (though Sarah is mentioned more), each with its type.
        assert list_texts(app, "#merge-list") == [
            "Lisbon  Place · 1 entry",
            "Sarah  Person · 2 entries",
            "Jordan  Person · 1 entry",
        ]
        await type_text(pilot, "jor")
        assert row_targets(app, "#merge-list") == [person.id]
        await pilot.press("enter")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmAction)
        assert confirm.question == "Merge “Jordan” (person) into “Jordan” (place)?"
        assert "read as a place from now on" in confirm.detail
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is page
        assert "mentioned in 2 entries" in static_text(app, "#entity-facts")
    assert names(api, person_entry.id) == {("Jordan", "Place")}
    again(api, place_entry.id, person_entry.id)
    assert names(api, place_entry.id) == names(api, person_entry.id) == {("Jordan", "Place")}
    assert api.journal().graph.find_entity("Jordan", type="Person") is None


# -- link --------------------------------------------------------------------------------


async def test_l_links_a_known_name_picked_from_the_suggestions(api: Charlie) -> None:
    entry, *_ = seed(
        api,
        (NOW, "", "coffee with noor at the market. [[Person:Sam]] came too."),
        (NOW - timedelta(days=1), "", "[[Person:Noor]] called."),
        (NOW - timedelta(days=2), "", "a walk in [[Place:Noordpark]]."),
    )
    enrich_all(api)
    noor = entity(api, "Noor")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        reader = await open_reader(pilot)
        assert reader.entry_id == entry.id
        await pilot.press("l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LinkEntity)
        assert dialog.query_one(Input).value == ""  # Nothing was selected in the text.
        await type_text(pilot, "noo")
        await settle(pilot)
        suggestions = dialog.query_one(Suggestions)
        assert {(r.name, r.type) for r in suggestions.refs} == {
            ("Noor", "Person"),
            ("Noordpark", "Place"),
        }
        assert suggestions.picked is None
        # ↓ picks a suggestion and the type follows it; ↑ above the first picks none.
        await pilot.press("down")
        first = suggestions.picked
        assert first is not None and dialog.query_one(TypeChoice).value == first.type
        await pilot.press("down")
        second = suggestions.picked
        assert second is not None and dialog.query_one(TypeChoice).value == second.type
        await pilot.press("up", "up")
        assert suggestions.picked is None
        # A click picks one too, and so does a click on a type: neither links yet.
        park = [r.name for r in suggestions.refs].index("Noordpark")
        await pilot.click(suggestions, offset=(2, park))
        assert suggestions.picked is not None and suggestions.picked.name == "Noordpark"
        assert dialog.query_one(TypeChoice).value == "Place"
        await pilot.click(dialog.query_one(TypeChoice), offset=(2, 2))  # Group.
        assert dialog.query_one(TypeChoice).value == "Group"
        assert suggestions.picked is None  # Another type: a new name, not Noordpark.
        assert app.screen is dialog
        await pilot.press("shift+tab")  # Back to the name box, whose ↑↓ pick again.
        assert isinstance(dialog.focused, Input)
        await pilot.press(*["down"] * (1 + [first.name, second.name].index("Noor")))
        assert suggestions.picked is not None and suggestions.picked.name == "Noor"
        assert dialog.query_one(TypeChoice).value == "Person"
        assert static_text(app, "#link-preview") == (
            "Enter links “Noor”, the person already in your journal."
        )
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is reader
        assert "Linked “Noor” (person) to this entry" in notes.messages
        assert "Noor  as noor" in list_texts(app, "#reader-connections")
    assert names(api, entry.id) == {("Noor", "Person"), ("Sam", "Person")}
    assert entity(api, "Noor").id == noor.id
    again(api, entry.id)
    assert names(api, entry.id) == {("Noor", "Person"), ("Sam", "Person")}


async def test_l_starts_from_the_selected_text_and_links_a_new_place(api: Charlie) -> None:
    (entry,) = seed(api, (NOW, "", "swim at ocean beach with [[Person:Ana]]."))
    enrich_all(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        # Select "ocean beach" in the text with the mouse.
        paragraph = reader.query(MarkdownParagraph).first()
        start, end = len("swim at "), len("swim at ocean beac")  # Both ends included.
        await pilot.mouse_down(paragraph, offset=(start, 0))
        await pilot.hover(paragraph, offset=(end, 0))
        await pilot.mouse_up(paragraph, offset=(end, 0))
        assert reader.get_selected_text() == "ocean beach"
        await pilot.press("l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LinkEntity)
        assert dialog.query_one(Input).value == "ocean beach"
        assert static_text(app, "#link-preview") == "Enter links “ocean beach”, a new person."
        await pilot.press("tab", "down")  # Person -> Place.
        assert static_text(app, "#link-preview") == "Enter links “ocean beach”, a new place."
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is reader
        assert list_texts(app, "#reader-connections")[:4] == [
            "People",
            "Ana",
            "Places",
            "ocean beach",
        ]
    assert names(api, entry.id) == {("Ana", "Person"), ("ocean beach", "Place")}
    again(api, entry.id)
    assert names(api, entry.id) == {("Ana", "Person"), ("ocean beach", "Place")}


async def test_l_shows_a_refusal_in_the_dialog(api: Charlie) -> None:
    (entry,) = seed(api, (NOW, "", "coffee with [[Person:Noor]]."))
    enrich_all(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await open_reader(pilot)
        await pilot.press("l")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, LinkEntity)
        # Already linked, so not suggested; typed anyway.
        await type_text(pilot, "noor")
        await settle(pilot)
        assert dialog.query_one(Suggestions).refs == []
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog
        assert static_text(app, "#link-error") == "This entry already mentions 'Noor'."
    assert names(api, entry.id) == {("Noor", "Person")}


# -- keys --------------------------------------------------------------------------------


async def test_the_new_keys_are_in_the_footer_and_the_help_panel(api: Charlie) -> None:
    seed(api, (NOW, "", "tea with [[Person:Sarah]]."))
    enrich_all(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        shown = {b.binding.key for b in reader.active_bindings.values() if b.binding.show}
        assert "l" in shown
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert ("l", "Link") in dict(app.screen.sections)["Reader"]
        await pilot.press("escape")
        await settle(pilot)

        page = await open_entity(pilot, entity(api, "Sarah"))
        shown = {b.binding.key for b in page.active_bindings.values() if b.binding.show}
        assert {"t", "s", "m"} <= shown
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = dict(app.screen.sections)["Entity"]
        assert ("t", "Type") in rows and ("s", "Split") in rows


# -- snapshots ---------------------------------------------------------------------------


def test_retype_dialog(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys(*TO_SARAH, "t"))


def test_split_dialog(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)

    async def split(pilot: Pilot[Any]) -> None:
        await keys(*TO_SARAH, "s", "down", "space", "tab")(pilot)
        await type_text(pilot, "Sarah Moss")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=split)


def test_link_dialog(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)

    async def link(pilot: Pilot[Any]) -> None:
        await keys("enter", "l")(pilot)
        await type_text(pilot, "sa")
        await settle(pilot)
        await pilot.press("down")

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=link)
