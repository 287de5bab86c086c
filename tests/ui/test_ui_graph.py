"""The knowledge-graph UI driven with Pilot on a real API and a real embedded FalkorDB:
the reader's connections, entity pages, curation dialogs, search and the month view.

Entities come from the steerable ``scripted`` extractor, run through the worker's own
code in this process (``enrich_all``), or by a real worker subprocess where the point
is the live update. Plain functions (linking names, reading job events) are tested
directly at the end.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Input
from textual.widgets._markdown import MarkdownParagraph

from backend.jobs.supervisor import Supervisor
from backend.models import EntityRef
from backend.root import Charlie
from tests.helpers.graph import enrich_all, entity
from tests.helpers.jobs import job_state
from tests.helpers.ui import (
    NOW,
    SIZE,
    Notes,
    list_texts,
    make_app,
    open_entity,
    open_reader,
    row_targets,
    seed,
    settle,
    static_text,
    type_text,
    wait_for,
)
from ui.app import CharlieApp
from ui.changes import enriched_entry
from ui.dialogs.blocked import BlockedNames
from ui.dialogs.confirm import ConfirmAction
from ui.dialogs.help import HelpScreen
from ui.dialogs.merge_entity import MergePicker
from ui.dialogs.rename_entity import RenameEntity
from ui.messages import GraphChanged
from ui.screens.entity import EntityScreen
from ui.screens.period import PeriodScreen, step_month
from ui.screens.reader import ReaderScreen
from ui.screens.search import SearchScreen
from ui.screens.settings import SettingsScreen
from ui.widgets.connections import EMPTY_NOTE, Connections
from ui.widgets.entity_list import EntityList
from ui.widgets.entity_markdown import entity_href, link_entities

# Lower-case openings: the scripted extractor takes every capitalised word for a person.
LUNCH = "lunch with Sarah and Tom. [[Person:Sarah -VISITED-> Place:Lisbon]] was the plan."


def select(app: CharlieApp, selector: str, target: str) -> None:
    """Put an EntityList's cursor on the row that opens ``target``."""
    options = app.screen.query_one(selector, EntityList)
    keys = [row.key for row in options.rows]
    wanted = next(row.key for row in options.rows if row.target == target)
    options.highlighted = keys.index(wanted)


# -- the reader ------------------------------------------------------------------------


async def test_reader_shows_connections_and_opens_entity_pages(api: Charlie) -> None:
    (entry,) = seed(api, (NOW, "", LUNCH))
    enrich_all(api)
    sarah, tom, lisbon = entity(api, "Sarah"), entity(api, "Tom"), entity(api, "Lisbon")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        assert list_texts(app, "#reader-connections") == [
            "People",
            "Sarah",
            "Tom",
            "Places",
            "Lisbon",
            "Relationships",
            "Sarah visited Lisbon",
        ]
        assert row_targets(app, "#reader-connections") == [
            None,
            sarah.id,
            tom.id,
            None,
            lisbon.id,
            None,
            sarah.id,
        ]
        # The names are links in the text; the stored entry is untouched.
        source = reader.query_one("#reader-body").source  # type: ignore[attr-defined]
        assert f"[Sarah]({entity_href(sarah.id)})" in source
        assert f"[Tom]({entity_href(tom.id)})" in source
        assert api.journal().entries.get(entry.id).body == LUNCH

        # Keyboard: Tab into the sidebar, Enter on the first entity.
        await pilot.press("tab")
        assert isinstance(app.screen.focused, Connections)
        await pilot.press("enter")
        await settle(pilot)
        page = app.screen
        assert isinstance(page, EntityScreen) and page.entity_id == sarah.id
        assert static_text(app, "#entity-name") == "Sarah"

        # Mouse: a click on "Tom" in the text.
        await pilot.press("escape")
        await settle(pilot)
        paragraph = reader.query(MarkdownParagraph).first()
        await pilot.click(paragraph, offset=(len("lunch with Sarah and T"), 0))
        await settle(pilot)
        assert isinstance(app.screen, EntityScreen) and app.screen.entity_id == tom.id


async def test_sidebar_toggles_and_says_when_nothing_is_linked(api: Charlie) -> None:
    seed(api, (NOW, "", "nothing to see here"))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        assert list_texts(app, "#reader-connections") == [EMPTY_NOTE]
        side = reader.query_one("#reader-side")
        await pilot.press("c")
        assert not side.display
        await pilot.press("c")
        assert side.display


@pytest.mark.slow
async def test_reader_updates_when_a_real_worker_finishes(
    owner: tuple[Charlie, Supervisor],
) -> None:
    api, _ = owner
    # Paused, so the reader is open (and empty) before the worker reads the entry.
    api.queue.set_inference(False)
    (entry,) = seed(api, (NOW, "", LUNCH))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await open_reader(pilot)
        assert list_texts(app, "#reader-connections") == [EMPTY_NOTE]
        api.queue.set_inference(True)
        await wait_for(
            pilot,
            lambda: "Sarah" in list_texts(app, "#reader-connections"),
            "the sidebar to show what the worker found",
            timeout=60,
        )
        assert job_state(api, entry.id) == "done"
        assert "Sarah visited Lisbon" in list_texts(app, "#reader-connections")


async def test_reader_reloads_when_its_entry_is_enriched(api: Charlie) -> None:
    first, second = seed(
        api, (NOW, "", "coffee with Ana."), (NOW - timedelta(days=1), "", "tea with Ben.")
    )
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot, index=1)
        assert reader.entry_id == second.id
        enrich_all(api)  # Publishes a "done" event per entry, as the worker does.
        await wait_for(
            pilot,
            lambda: list_texts(app, "#reader-connections") == ["People", "Ben"],
            "the reader to show Ben after the job event",
        )


async def test_remove_from_entry_asks_then_unlinks(api: Charlie) -> None:
    (entry,) = seed(api, (NOW, "", LUNCH))
    enrich_all(api)
    tom = entity(api, "Tom")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        await pilot.press("tab")
        select(app, "#reader-connections", tom.id)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmAction)
        assert app.screen.question == "Remove “Tom” from this entry?"
        await pilot.press("n")  # Leave it.
        await settle(pilot)
        assert "Tom" in list_texts(app, "#reader-connections")

        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is reader
        assert "Tom" not in list_texts(app, "#reader-connections")
        assert "Tom" not in {
            ref.name for ref, _ in api.journal().graph.entry_entities(entry.id).mentions
        }
        assert api.journal().graph.find_entity("Tom") is None  # Nobody else mentioned him.
        # Reading the entry again respects the removal.
        api.journal().entries.reenrich(entry.id)
        enrich_all(api)
        assert "Tom" not in {
            ref.name for ref, _ in api.journal().graph.entry_entities(entry.id).mentions
        }


async def test_x_only_works_on_a_mentioned_entity(api: Charlie) -> None:
    seed(api, (NOW, "", LUNCH))
    enrich_all(api)
    sarah = entity(api, "Sarah")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        await pilot.press("tab")
        sidebar = reader.sidebar
        sidebar.highlighted = len(sidebar.rows) - 1  # The relationship row.
        assert sidebar.highlighted_row is not None and sidebar.highlighted_row.target == sarah.id
        assert sidebar.check_action("remove", ()) is None
        await pilot.press("x")
        await settle(pilot)
        assert app.screen is reader


# -- entity pages and curation ---------------------------------------------------------


async def test_entity_page_shows_quotes_company_and_relationships(api: Charlie) -> None:
    older, newer = seed(
        api,
        (
            datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
            "",
            "walk with Sarah. [[Person:Sarah -KNOWS-> Person:Ana]]",
        ),
        (datetime(2026, 3, 17, 9, 0, tzinfo=UTC), "", LUNCH),
    )
    enrich_all(api)
    sarah = entity(api, "Sarah")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await open_entity(pilot, sarah)
        assert static_text(app, "#entity-name") == "Sarah"
        assert static_text(app, "#entity-facts") == (
            "Person · mentioned in 2 entries · first Mon 2 Mar 2026, last Tue 17 Mar 2026"
        )
        # Newest first, each with its date and the sentence that mentions Sarah.
        assert row_targets(app, "#entity-mentions") == [newer.id, older.id]
        mentions = list_texts(app, "#entity-mentions")
        assert mentions[0].startswith("Tue 17 Mar 2026")
        assert "“lunch with Sarah and Tom.”" in mentions[0]
        assert "“walk with Sarah.”" in mentions[1]
        company = list_texts(app, "#entity-with")
        assert {line.split("  ")[0] for line in company} == {"Ana", "Tom", "Lisbon"}
        relations = list_texts(app, "#entity-relations")
        assert [line.split("\n")[0] for line in relations] == [
            "Sarah knows Ana",
            "Sarah visited Lisbon",
        ]

        # Enter on a quote opens that entry; Escape comes back.
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen) and app.screen.entry_id == older.id
        await pilot.press("escape")
        await settle(pilot)
        # Enter on a companion opens its page.
        await pilot.press("tab")
        select(app, "#entity-with", entity(api, "Ana").id)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntityScreen)
        assert static_text(app, "#entity-name") == "Ana"


async def test_rename_shows_refusals_inline_then_updates_every_view(api: Charlie) -> None:
    seed(api, (NOW, "", LUNCH))
    enrich_all(api)
    sarah = entity(api, "Sarah")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot)
        await pilot.press("tab", "enter")
        await settle(pilot)
        page = app.screen
        assert isinstance(page, EntityScreen) and page.entity_id == sarah.id

        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, RenameEntity)
        box = dialog.query_one(Input)
        assert box.value == "Sarah"
        box.value = "?!"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog  # Still open, with the reason under the name.
        assert static_text(app, "#rename-error") == "A name needs at least one letter or digit."

        box.value = "Sarah Jones"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is page
        assert static_text(app, "#entity-name") == "Sarah Jones"
        assert api.journal().graph.entity(sarah.id).entity.name == "Sarah Jones"
        assert static_text(app, "#entity-aliases") == "Also written: Sarah"  # As it was written.

        # The reader underneath caught up too.
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is reader
        assert "Sarah Jones  as Sarah" in list_texts(app, "#reader-connections")


async def test_merge_through_the_picker(api: Charlie) -> None:
    seed(
        api,
        (NOW, "", "coffee with Sarah."),
        (NOW - timedelta(days=1), "", "a call from Sara."),
        (NOW - timedelta(days=2), "", "a note from Sam."),
    )
    enrich_all(api)
    sarah, sara = entity(api, "Sarah"), entity(api, "Sara")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        page = await open_entity(pilot, sarah)
        await pilot.press("m")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, MergePicker)
        # Every other person, never Sarah herself; typing narrows the list.
        assert {t for t in row_targets(app, "#merge-list")} == {sara.id, entity(api, "Sam").id}
        await type_text(pilot, "sar")
        assert row_targets(app, "#merge-list") == [sara.id]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmAction)
        assert app.screen.question == "Merge “Sara” into “Sarah”?"
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is page
        assert api.journal().graph.entity(sarah.id).mention_count == 2
        assert "mentioned in 2 entries" in static_text(app, "#entity-facts")
        assert api.journal().graph.find_entity("Sara") == EntityRef(sarah.id, "Sarah", "Person")


async def test_merge_picker_says_when_nothing_matches(api: Charlie) -> None:
    seed(api, (NOW, "", "coffee with Sarah."))
    enrich_all(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await open_entity(pilot, entity(api, "Sarah"))
        await pilot.press("m")
        await settle(pilot)
        assert list_texts(app, "#merge-list") == ["There are no other names yet."]
        await pilot.press("enter")  # Nothing to pick: stays open.
        await settle(pilot)
        assert isinstance(app.screen, MergePicker)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EntityScreen)


async def test_delete_everywhere_leaves_the_page_and_updates_others(api: Charlie) -> None:
    seed(api, (NOW, "", LUNCH), (NOW - timedelta(days=1), "", "tennis with Tom."))
    enrich_all(api)
    sarah, tom = entity(api, "Sarah"), entity(api, "Tom")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        sarah_page = await open_entity(pilot, sarah)
        assert tom.id in row_targets(app, "#entity-with")
        await open_entity(pilot, tom)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmAction)
        assert app.screen.question == "Delete “Tom” everywhere?"
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is sarah_page
        assert api.journal().graph.find_entity("Tom") is None
        assert tom.id not in row_targets(app, "#entity-with")


async def test_page_of_an_entity_merged_away_says_it_is_gone(api: Charlie) -> None:
    seed(api, (NOW, "", "coffee with Sarah."), (NOW, "", "a call from Sara."))
    enrich_all(api)
    sarah, sara = entity(api, "Sarah"), entity(api, "Sara")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        gone = await open_entity(pilot, sara)
        await open_entity(pilot, sarah)
        api.journal().curation.merge(sarah.id, sara.id)
        app.post_message(GraphChanged())  # As the screen that merged would.
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is gone
        assert gone.page is None
        assert gone.query_one("#entity-gone").display
        assert gone.check_action("rename", ()) is None


async def test_block_then_unblock_from_the_blocked_names_dialog(api: Charlie) -> None:
    (entry,) = seed(api, (NOW, "", LUNCH))
    enrich_all(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        reader = await open_reader(pilot)
        await pilot.press("tab")
        select(app, "#reader-connections", entity(api, "Tom").id)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmAction)
        assert "never picked out of an entry again" in confirm.detail
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is reader
        assert api.journal().curation.blocked() == ["Tom"]
        assert "Tom" not in list_texts(app, "#reader-connections")
        # Blocked means not found again, even when the entry is read again.
        api.journal().entries.reenrich(entry.id)
        enrich_all(api)
        assert api.journal().graph.find_entity("Tom") is None

        await pilot.press("f8")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, BlockedNames)
        assert dialog.names == ["Tom"]
        await pilot.press("u")
        await settle(pilot)
        assert api.journal().curation.blocked() == []
        assert dialog.names == []
        assert "“Tom” is no longer blocked; 1 entry will be read again." in notes.messages
        assert job_state(api, entry.id) == "queued"
        await pilot.press("escape")
        await settle(pilot)
        enrich_all(api)
        await wait_for(
            pilot,
            lambda: "Tom" in list_texts(app, "#reader-connections"),
            "Tom to come back in the sidebar",
        )


async def test_blocked_names_opens_from_the_entity_page(api: Charlie) -> None:
    seed(api, (NOW, "", LUNCH))
    enrich_all(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await open_entity(pilot, entity(api, "Sarah"))
        await pilot.press("B")
        await settle(pilot)
        assert isinstance(app.screen, BlockedNames)
        assert app.screen.names == []
        assert app.screen.check_action("unblock", ()) is None


# -- search ----------------------------------------------------------------------------


async def test_search_shows_results_as_you_type_and_opens_them(api: Charlie) -> None:
    lunch, other = seed(api, (NOW, "", LUNCH), (NOW - timedelta(days=1), "", "a quiet day."))
    enrich_all(api)
    sarah = entity(api, "Sarah")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        search = app.screen
        assert isinstance(search, SearchScreen)
        assert isinstance(search.focused, Input)

        # A text that matches nothing, then the one wanted: only the last one shows.
        await type_text(pilot, "zzz")
        await pilot.press("backspace", "backspace", "backspace")
        await type_text(pilot, "sar")
        await wait_for(
            pilot,
            lambda: search.results is not None and search.results.query == "sar",
            "results for 'sar'",
        )
        await settle(pilot)
        assert search.results is not None and search.results.query == "sar"
        assert row_targets(app, "#search-entries") == [lunch.id]
        assert row_targets(app, "#search-entities") == [sarah.id]
        assert list_texts(app, "#search-entities") == ["Sarah  Person · 1 entry"]

        # Enter goes to the results, Enter again opens the entry.
        await pilot.press("enter")
        assert search.focused is search.query_one("#search-entries")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen) and app.screen.entry_id == lunch.id
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is search
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert isinstance(app.screen, EntityScreen) and app.screen.entity_id == sarah.id

        # Clearing the box clears the results.
        await pilot.press("escape")
        await settle(pilot)
        search.query_one(Input).value = ""
        await wait_for(pilot, lambda: search.results is None, "the results to clear")


async def test_search_opens_with_f5_and_finds_nothing_politely(api: Charlie) -> None:
    seed(api, (NOW, "", "a quiet day."))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        search = app.screen
        assert isinstance(search, SearchScreen)
        await type_text(pilot, "volcano")
        await wait_for(pilot, lambda: search.results is not None, "the search to answer")
        assert static_text(app, "#search-status") == "Nothing matches."
        assert list_texts(app, "#search-entries") == ["No entry matches."]
        assert list_texts(app, "#search-entities") == ["No name matches."]


# -- the month view --------------------------------------------------------------------


async def test_period_view_steps_through_months(api: Charlie) -> None:
    seed(
        api,
        (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "", "walk with Sarah and Tom."),
        (datetime(2026, 3, 10, 9, 0, tzinfo=UTC), "", "dinner with Sarah at [[Place:Luigi]]."),
        (datetime(2026, 2, 14, 9, 0, tzinfo=UTC), "", "skating with Ana. [[Activity:skating]]"),
    )
    enrich_all(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        period = app.screen
        assert isinstance(period, PeriodScreen)
        # The app's clock says March 2026.
        assert static_text(app, "#period-title") == "March 2026"
        assert static_text(app, "#period-count") == "2 entries this month"
        assert list_texts(app, "#period-person") == ["Sarah  2", "Tom  1"]
        assert list_texts(app, "#period-place") == ["Luigi  1"]
        assert list_texts(app, "#period-activity") == ["None"]

        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert static_text(app, "#period-title") == "February 2026"
        assert list_texts(app, "#period-person") == ["Ana  1"]
        assert list_texts(app, "#period-activity") == ["skating  1"]

        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert static_text(app, "#period-title") == "April 2026"
        assert static_text(app, "#period-count") == "No entries this month."

        await pilot.press("left_square_bracket")
        await settle(pilot)
        period.query_one("#period-person").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntityScreen)
        assert app.screen.entity_id == entity(api, "Sarah").id


async def test_f6_opens_the_month_view_anywhere(api: Charlie) -> None:
    seed(api, (NOW, "", "a quiet day."))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await open_reader(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, PeriodScreen)


# -- settings and help -----------------------------------------------------------------


async def test_settings_show_the_model_in_use(api: Charlie) -> None:
    changed = api.settings.with_changes(extractor="llama_cpp", model="/models/tiny.gguf")
    api.backend.settings = changed
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("comma")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert static_text(app, "#settings-extractor") == "llama_cpp"
        assert static_text(app, "#settings-model") == "/models/tiny.gguf"


async def test_new_keys_are_in_the_help_panel(api: Charlie) -> None:
    seed(api, (NOW, "", LUNCH))
    enrich_all(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        sections = dict(app.screen.sections)
        assert ("/", "Search") in sections["Entries"]
        assert ("p", "Month") in sections["Entries"]
        everywhere = dict((desc, keys) for keys, desc in sections["Everywhere"])
        # On home, / is the screen's own key (so that the footer shows it).
        assert everywhere["Search"] == "f5"
        assert everywhere["Month"] == "f6"
        assert everywhere["Blocked names"] == "f8"
        await pilot.press("escape")
        await settle(pilot)

        await open_entity(pilot, entity(api, "Sarah"))
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        sections = dict(app.screen.sections)
        assert ("f5", "Search") in sections["Everywhere"]
        rows = {desc: keys for keys, desc in sections["Entity"]}
        assert rows == {
            "Back": "esc",
            "Rename": "e",
            "Type": "t",
            "Split": "s",
            "Merge": "m",
            "Delete": "d",
            "Block": "b",
            "Blocked": "B",
            # The browsing screens' own keys (ui/keys.py).
            "Queue": "w",
            "Dead jobs": "!",
            "Settings": ",",
            "Search": "/",
            "Quit": "q",
        }


# -- plain functions -------------------------------------------------------------------


def ref(entity_id: str, name: str, type_: str = "Person") -> EntityRef:
    return EntityRef(entity_id, name, type_)


def test_link_entities_links_whole_words_in_plain_text_only() -> None:
    body = (
        "Sarah met Sarah Jones. `Sarah` in code, [Sarah](http://x) linked, <b>Sarah</b>.\n"
        "\n"
        "```\n"
        "Sarah in a fence\n"
        "```\n"
        "    Sarah indented\n"
        "[ref]: http://example.com/Sarah\n"
        "Sarahs and xSarah stay; Sarah's bike is linked as spelled.\n"
    )
    linked = link_entities(
        body, [(ref("a", "Sarah"), ("Sarah", "Sarah's")), (ref("b", "Sarah Jones"), ())]
    )
    lines = linked.splitlines()
    assert lines[0] == (
        "[Sarah](entity:a) met [Sarah Jones](entity:b). `Sarah` in code, "
        "[Sarah](http://x) linked, <b>[Sarah](entity:a)</b>."
    )
    assert lines[2:7] == body.splitlines()[2:7]
    assert lines[7] == "Sarahs and xSarah stay; [Sarah's](entity:a) bike is linked as spelled."


def test_link_entities_skips_unsafe_names_and_leaves_bodies_without_names() -> None:
    assert link_entities("a [x] b", [(ref("a", "[x]"), ())]) == "a [x] b"
    assert link_entities("nobody here", []) == "nobody here"


def test_enriched_entry_reads_done_events_only() -> None:
    assert enriched_entry({"job": "enrich:j1:abc123", "event": "done", "state": "done"}) == "abc123"
    assert enriched_entry({"job": "enrich:j1:abc123", "event": "started"}) is None
    assert enriched_entry({"event": "paused", "cause": "inference"}) is None
    assert enriched_entry({}) is None


def test_step_month_wraps_years() -> None:
    assert step_month(2026, 1, -1) == (2025, 12)
    assert step_month(2025, 12, 1) == (2026, 1)
    assert step_month(2026, 3, 0) == (2026, 3)
