"""Snapshot of search with filters and highlights: the filters line under the box, the
matched words lit up in titles and snippets (accents aside), a starred entry's star.

Same pinning as the other snapshot modules (size, clock, animations). Update with
``pytest tests/ui/test_ui_snapshots_search.py --snapshot-update`` and look at the SVG
before committing it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.pilot import Pilot

from backend.root import Charlie
from tests.helpers.graph import Lexicon, enrich_all
from tests.helpers.ui import NOW, SIZE, make_app, seed, settle, type_text, wait_for
from ui.screens.search import SearchScreen

QUERY = "cafe tag:work"


def test_search_with_filters_and_highlights(snap_compare: Any, api: Charlie) -> None:
    first, _, _ = seed(
        api,
        (
            NOW - timedelta(hours=2),
            "Café with Zoë",
            "Met Zoë at the Café on Rua Augusta and planned the #work trip; she wants "
            "[brackets] kept as she wrote them.",
        ),
        (NOW - timedelta(days=1), "", "Another cafe morning before the train to work. #work"),
        (NOW - timedelta(days=3), "Quiet", "Nothing but a cafe and a book today."),
    )
    api.journal().entries.star(first.id)
    enrich_all(api, extractor=Lexicon({"Zoë": "Person"}))

    async def search(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await type_text(pilot, QUERY)
        screen = pilot.app.screen
        assert isinstance(screen, SearchScreen)
        await wait_for(
            pilot,
            lambda: screen.results is not None and screen.results.query == QUERY,
            f"search results for {QUERY!r}",
        )
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=search)
