"""Issue 13 item 6: the author's own page ("You"): entries, first and last, and their
most mentioned people, places, groups and activities, overall and this month and year.

The backend on a real graph (entries enriched by the worker's own Runner with the
scripted extractor, as tests/backend/test_entities.py does), the screen with Pilot, and
`charlie me --json`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from backend.models import AuthorPage, EntityRef
from backend.root import Charlie
from backend.settings import Settings
from charlie import main
from tests.helpers.graph import enrich_all, entity
from tests.helpers.seeds import seed_graph
from tests.helpers.ui import (
    NOW,
    SIZE,
    keys,
    list_texts,
    make_app,
    open_entity,
    seed,
    settle,
    static_text,
)
from ui.dialogs.help import HelpScreen
from ui.screens.author import AuthorScreen
from ui.screens.entity import EntityScreen
from ui.screens.home import HomeScreen

PLUS_ONE = timezone(timedelta(hours=1))
# Lower-case prose: the scripted extractor takes every capitalised word for a person.
ENTRIES = (
    (
        datetime(2026, 3, 10, 9, tzinfo=UTC),
        "",
        "[[Person:I]] met [[Person:Sarah]] at [[Place:Luigi]].",
    ),
    (
        datetime(2026, 3, 2, 9, tzinfo=UTC),
        "",
        "[[Person:Sarah]], [[Person:Tom]]. [[Activity:Climbing]]",
    ),
    (
        datetime(2026, 1, 15, 9, tzinfo=UTC),
        "",
        "[[Person:Tom]], [[Person:Sarah]], [[Group:Book Club]].",
    ),
    (
        datetime(2025, 12, 24, 20, tzinfo=UTC),
        "",
        "[[Person:Ana]] in [[Place:Lisbon]], [[Person:me]].",
    ),
    (datetime(2025, 6, 1, 8, tzinfo=PLUS_ONE), "", "[[Person:Ana]], [[Place:Lisbon]]."),
)


def counted(refs: list[EntityRef]) -> list[tuple[str, int]]:
    return [(ref.name, ref.count) for ref in refs]


def seeded(api: Charlie) -> None:
    seed(api, *ENTRIES)
    enrich_all(api)


# -- the backend -------------------------------------------------------------------------


def test_counts_order_and_the_author_left_out(api: Charlie) -> None:
    seeded(api)
    page = api.journal().graph.author(now=NOW)
    assert isinstance(page, AuthorPage)
    assert page.entry_count == 5
    # Dates in the offset they were written in.
    assert page.first_entry == datetime(2025, 6, 1, 8, 0, tzinfo=PLUS_ONE)
    assert page.first_entry is not None and page.first_entry.utcoffset() == timedelta(hours=1)
    assert page.last_entry == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    # Most mentioned first, ties by name; "I" (written "I" and "me") is not listed.
    assert {t: counted(refs) for t, refs in page.most_mentioned.items()} == {
        "Person": [("Sarah", 3), ("Ana", 2), ("Tom", 2)],
        "Place": [("Lisbon", 2), ("Luigi", 1)],
        "Group": [("Book Club", 1)],
        "Activity": [("Climbing", 1)],
    }
    assert page.author is not None
    assert (page.author.id, page.author.name, page.author.count) == ("self", "I", 2)
    # This month and this year of NOW (18 March 2026), any type, counts within them.
    assert page.month_start == datetime(2026, 3, 1, tzinfo=UTC)
    assert counted(page.this_month) == [("Sarah", 2), ("Climbing", 1), ("Luigi", 1), ("Tom", 1)]
    assert page.year_start == datetime(2026, 1, 1, tzinfo=UTC)
    assert counted(page.this_year) == [
        ("Sarah", 3),
        ("Tom", 2),
        ("Book Club", 1),
        ("Climbing", 1),
        ("Luigi", 1),
    ]
    assert [ref.type for ref in page.this_year[:3]] == ["Person", "Person", "Group"]
    every = [ref for refs in page.most_mentioned.values() for ref in refs]
    every += page.this_month + page.this_year
    assert "self" not in {ref.id for ref in every}
    # The counts are those the entity lists and pages give.
    listed = {ref.id: ref.count for ref in api.journal().graph.entities()}
    assert all(listed[ref.id] == ref.count for refs in page.most_mentioned.values() for ref in refs)

    top = api.journal().graph.author(now=NOW, limit=1)
    assert {t: counted(refs) for t, refs in top.most_mentioned.items()}["Person"] == [("Sarah", 3)]
    assert len(top.this_month) == len(top.this_year) == 1


def test_without_an_i_and_in_an_empty_journal(api: Charlie) -> None:
    # The rules extractor never emits "I": the page stands without it.
    seed(api, (NOW - timedelta(days=400), "", "[[Person:Sarah]] at [[Place:Lisbon]]."))
    enrich_all(api)
    page = api.journal().graph.author(now=NOW)
    assert page.author is None and page.entry_count == 1
    assert counted(page.most_mentioned["Person"]) == [("Sarah", 1)]
    assert page.this_month == [] and page.this_year == []

    api.journals.create("Empty")
    empty = api.journal("Empty").graph.author(now=NOW)
    assert (empty.entry_count, empty.first_entry, empty.last_entry, empty.author) == (
        0,
        None,
        None,
        None,
    )
    assert all(refs == [] for refs in empty.most_mentioned.values())
    assert list(empty.most_mentioned) == ["Person", "Place", "Group", "Activity"]


def test_counts_follow_a_merge(api: Charlie) -> None:
    seeded(api)
    api.journal().curation.merge(entity(api, "Sarah").id, entity(api, "Tom").id)
    page = api.journal().graph.author(now=NOW)
    # Tom's entries are Sarah's now, and each also named Sarah: an entry counts once.
    assert counted(page.most_mentioned["Person"]) == [("Sarah", 3), ("Ana", 2)]
    assert api.journal().graph.entity(entity(api, "Sarah").id).mention_count == 3
    assert counted(page.this_month)[0] == ("Sarah", 2)


# -- the screen --------------------------------------------------------------------------


async def test_y_opens_the_page_enter_opens_an_entity_escape_comes_back(api: Charlie) -> None:
    seeded(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        home = app.screen
        shown = {b.binding.key for b in home.active_bindings.values() if b.binding.show}
        assert "y" in shown
        await pilot.press("y")
        await settle(pilot)
        page = app.screen
        assert isinstance(page, AuthorScreen)
        assert static_text(app, "#author-name") == "You"
        assert static_text(app, "#author-facts") == (
            "5 entries · first Sun 1 Jun 2025, last Tue 10 Mar 2026 · “I” in 2 entries"
        )
        assert list_texts(app, "#author-person") == ["Sarah  3", "Ana  2", "Tom  2"]
        assert list_texts(app, "#author-place") == ["Lisbon  2", "Luigi  1"]
        assert list_texts(app, "#author-group") == ["Book Club  1"]
        assert list_texts(app, "#author-activity") == ["Climbing  1"]
        assert static_text(app, "#author-month-heading") == "This month · March 2026"
        assert list_texts(app, "#author-month") == [
            "Sarah  Person · 2 entries",
            "Climbing  Activity · 1 entry",
            "Luigi  Place · 1 entry",
            "Tom  Person · 1 entry",
        ]
        assert list_texts(app, "#author-year")[:2] == [
            "Sarah  Person · 3 entries",
            "Tom  Person · 2 entries",
        ]
        assert app.screen.focused is page.query_one("#author-person")

        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, EntityScreen)
        assert app.screen.entity_id == entity(api, "Ana").id
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is page
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_the_page_without_an_i_and_the_key_in_the_help(api: Charlie) -> None:
    seed(api, (NOW, "", "[[Person:Sarah]] at [[Place:Lisbon]]."))
    enrich_all(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert ("y", "You") in dict(app.screen.sections)["Entries"]
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, AuthorScreen)
        assert static_text(app, "#author-facts") == "1 entry · first Wed 18 Mar 2026"
        assert list_texts(app, "#author-group") == ["None"]


async def test_the_author_s_own_entity_page_leads_to_the_you_page(api: Charlie) -> None:
    seeded(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sarah = await open_entity(pilot, entity(api, "Sarah"))
        assert "y" not in sarah.active_bindings  # Only on "I".
        me = await open_entity(pilot, entity(api, "I"))
        assert me.active_bindings["y"].enabled
        assert static_text(app, "#entity-facts").endswith("this is you: y opens your page")
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert ("y", "You") in dict(app.screen.sections)["Entity"]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, AuthorScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is me


# -- the CLI -----------------------------------------------------------------------------


def test_charlie_me_json(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    with Charlie.open(settings) as api:
        # Dated now, so that they fall in this month whenever the test runs.
        api.journal().entries.add(
            "[[Person:I]] walked with [[Person:Sarah]] by [[Place:Lake Merritt]]."
        )
        api.journal().entries.add("[[Person:Sarah]] again.")
        enrich_all(api)
    assert main(["me", "--json"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert page["entries"] == 2
    assert page["first"] is not None and page["last"] is not None
    assert page["self"] == {"id": "self", "name": "I", "type": "Person", "entries": 1}
    assert list(page["most_mentioned"]) == ["Person", "Place", "Group", "Activity"]
    assert [(e["name"], e["entries"]) for e in page["most_mentioned"]["Person"]] == [("Sarah", 2)]
    assert [e["name"] for e in page["most_mentioned"]["Place"]] == ["Lake Merritt"]
    assert page["most_mentioned"]["Group"] == []
    month = page["this_month"]
    assert datetime.fromisoformat(month["start"]).day == 1
    assert [(e["name"], e["type"], e["entries"]) for e in month["entities"]] == [
        ("Sarah", "Person", 2),
        ("Lake Merritt", "Place", 1),
    ]
    assert [e["name"] for e in page["this_year"]["entities"]] == ["Sarah", "Lake Merritt"]

    assert main(["me", "--limit", "1"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith("You · 2 entries · first ") and text[0].endswith("“I” in 1")
    assert text[1] == "People:      Sarah (2)"
    assert text[3] == "Groups:      -"
    assert text[5].startswith("This month (") and text[5].endswith("): Sarah (2)")


# -- snapshot ----------------------------------------------------------------------------


def test_you_page(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("y"))
