"""The journals the UI tests and snapshots start from (this module holds no tests).

``seed_journal`` spreads entries over this week, last week and older months around the
fixed NOW; ``seed_graph`` adds entries whose entities ``Lexicon`` finds, so the graph
screens have people, places, groups and relationships to show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from backend.root import Charlie
from tests.helpers.graph import Lexicon, enrich_all
from tests.helpers.ui import NOW, seed

READER_BODY = """\
Met **Ana** and Tom at *Luigi's* on Via Roma.

## What we ate

- Pasta alla norma
- Tiramisu, shared three ways

> "Same time next month?" — Tom

We walked back along the river afterwards.
"""


def seed_journal(api: Charlie) -> None:
    """Entries across this week, last week, earlier this month and older months."""
    seed(
        api,
        (NOW - timedelta(hours=2), "Morning run", "Ran 5k along the river with Sam.\nFelt great."),
        (NOW - timedelta(days=1, hours=3), "Dinner at Luigi's", READER_BODY),
        (NOW - timedelta(days=2), "", "# No title here\nThe first line stands in for one."),
        (
            NOW - timedelta(days=8),
            "Book club",
            "We discussed Middlemarch for two hours and still did not agree about "
            "Dorothea, Casaubon, Lydgate, Rosamond, or whether anyone should marry anyone.",
        ),
        (NOW - timedelta(days=16), "Trip planning", "Lisbon in May? Ask [Ana] about dates."),
        (datetime(2026, 2, 6, 18, 30, tzinfo=timezone(timedelta(hours=1))), "Snow", "Again."),
        (datetime(2025, 12, 24, 20, 0, tzinfo=UTC), "Christmas Eve", "Family at home."),
    )


NAMES = {
    "Sarah": "Person",
    "Sara": "Person",
    "Tom": "Person",
    "Ana": "Person",
    "Cascais": "Place",
    "Lisbon": "Place",
    "Luigi's": "Place",
    "Harbour Choir": "Group",
    "sailing": "Activity",
    "sledging": "Activity",
}
RELATIONS = (
    ("Sarah", "VISITED", "Cascais"),
    ("Tom", "KNOWS", "Sarah"),
    ("Ana", "LIVES_IN", "Lisbon"),
    ("Tom", "MEMBER_OF", "Harbour Choir"),
)


def seed_graph(api: Charlie) -> None:
    """A small journal whose entities are found by a fixed lexicon."""
    seed(
        api,
        (
            NOW - timedelta(hours=2),
            "A day on the water",
            "Took the boat out with Sarah and Tom. Sarah steered all the way to Cascais "
            "while Tom did the sails.\n\nWe talked about **Lisbon** on the way back; "
            "sailing is still the best way to spend a Wednesday.",
        ),
        (
            NOW - timedelta(days=1, hours=3),
            "Dinner at Luigi's",
            # Counts differ between the names "sa" finds: the backend orders equally
            # relevant names by count only, so equal counts would come in any order.
            "Met Sarah and Ana at Luigi's. Ana is moving to Lisbon in May, for the sailing.",
        ),
        (NOW - timedelta(days=3), "Quick call", "Sara rang about the boat."),
        (
            NOW - timedelta(days=8),
            "Choir night",
            "The Harbour Choir sang downtown. Tom joined the Harbour Choir last year.",
        ),
        (
            datetime(2026, 2, 6, 18, 30, tzinfo=UTC),
            "Snow day",
            "Sarah came over; we went sledging.",
        ),
    )
    enrich_all(api, extractor=Lexicon(NAMES, RELATIONS))


# From home: read the newest entry, move into the sidebar, open its first entity (Sarah).
TO_SARAH = ("enter", "tab", "enter")
