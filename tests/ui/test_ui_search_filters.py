"""The search screen with filters: what it applied is listed, a filter it cannot read
says what it needs (no error dialog while typing), matched words are highlighted
(accents aside), and user text in an entry is never read as markup."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Input, Static

from backend.root import Charlie
from tests.helpers.ui import (
    NOW,
    SIZE,
    make_app,
    row_targets,
    seed,
    settle,
    static_text,
    type_text,
    wait_for,
)
from ui.screens.search import SearchScreen, highlighted, matched_words
from ui.widgets.entity_list import EntityList


async def open_search(pilot: object) -> SearchScreen:
    await settle(pilot)  # type: ignore[arg-type]
    await pilot.press("slash")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    screen = pilot.app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, SearchScreen)
    return screen


async def test_filters_are_listed_and_a_bad_one_says_what_it_needs(api: Charlie) -> None:
    work, home = seed(
        api,
        (NOW, "", "Café [bold]plans[/] #work"),
        (NOW - timedelta(days=1), "", "cafe at home"),
    )
    api.journal().entries.star(work.id)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        search = await open_search(pilot)
        await type_text(pilot, "cafe")
        await wait_for(
            pilot, lambda: search.results is not None and search.results.query == "cafe", "cafe"
        )
        assert row_targets(app, "#search-entries") == [work.id, home.id]
        assert not search.query_one("#search-filters").display

        # A filter half typed says what it needs, and no error dialog opens.
        await type_text(pilot, " before:2026")
        await wait_for(
            pilot,
            lambda: static_text(app, "#search-status").startswith("before: needs a date"),
            "the date hint",
        )
        assert app.screen is search and search.results is None
        search.query_one(Input).value = "cafe starred tag:work"
        await wait_for(
            pilot,
            lambda: search.results is not None and search.results.query.endswith("work"),
            "filtered results",
        )
        await settle(pilot)
        assert row_targets(app, "#search-entries") == [work.id]
        assert search.query_one("#search-filters").display
        assert static_text(app, "#search-filters") == "Filters: starred · tag:work"

        # The entry's own "[bold]" is text, not markup; "cafe" lights up "Café".
        row = search.query_one("#search-entries", EntityList).get_option_at_index(0).prompt
        assert "[bold]plans[/]" in str(row)
        spans = [str(row)[s.start : s.end] for s in row.spans if "underline" in str(s.style)]
        assert spans == ["Café", "Café"]  # In the headline (its first line) and the snippet.


def test_highlighted_marks_whole_words_only() -> None:
    content = highlighted("Cafés and Café [x]", {"Café"}, "")
    marked = [str(content)[s.start : s.end] for s in content.spans if "underline" in str(s.style)]
    assert marked == ["Café"]
    assert str(highlighted("[b]x[/b]", set(), "")) == "[b]x[/b]"


def test_matched_words_come_from_snippet_and_title() -> None:
    from datetime import UTC, datetime

    from backend.models import EntrySummary, SearchHit

    hit = SearchHit(
        EntrySummary("e1", "José day", "", datetime(2026, 1, 1, tzinfo=UTC)),
        "with José",
        ((5, 9),),
        ((0, 4),),
    )
    assert matched_words(hit) == {"José"}


async def test_person_filter_lists_the_person_beside_their_entries(api: Charlie) -> None:
    from tests.helpers.graph import Lexicon, enrich_all

    lunch, _ = seed(api, (NOW, "", "Lunch with Zoë."), (NOW - timedelta(days=1), "", "Alone."))
    enrich_all(api, extractor=Lexicon({"Zoë": "Person"}))
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        search = await open_search(pilot)
        await type_text(pilot, "person:zoe")
        await wait_for(
            pilot,
            lambda: search.results is not None and search.results.query == "person:zoe",
            "zoe",
        )
        await settle(pilot)
        assert row_targets(app, "#search-entries") == [lunch.id]
        assert [e.name for e in search.results.entities] == ["Zoë"]
        assert isinstance(search.query_one("#search-filters"), Static)
