"""The owner that supervises brings journals from before a stored field up to date itself
(folded words for search, word counts), in the background, so nobody's first search or
statistics wait for it."""

from __future__ import annotations

import pytest

from backend.graph import folding
from backend.root import Charlie
from backend.runtime import OwnerRuntime
from backend.settings import Settings
from tests.helpers.procs import wait_until

pytestmark = pytest.mark.slow


def test_the_owner_brings_an_old_journal_up_to_date_without_being_asked(settings: Settings) -> None:
    with Charlie.open(settings) as api:
        cafe = api.journal().entries.add("Met at the Café.")
        graph = api.backend.store.graph(api.journal().journal)
        # A journal from before: no folded words, no label, the old index, no marker.
        graph.query("MATCH (e:Episode) REMOVE e.folded, e:Searchable, e.words")
        graph.query("CALL db.idx.fulltext.drop('Searchable')")
        graph.query("CALL db.idx.fulltext.createNodeIndex('Episode', 'title', 'body')")
        api.backend.broker.client.delete(folding.marker_key(graph))

    with OwnerRuntime(settings, supervise=True) as runtime:
        store = runtime.backend.store
        graph = store.graph(store.journal("Journal"))
        wait_until(lambda: folding.is_folded(graph), timeout=30, what="the owner to fold it")
        hits = runtime.charlie.journal().graph.search("cafe").entries
        assert [h.entry.id for h in hits] == [cafe.id]
        counted = "MATCH (e:Episode) WHERE e.words IS NOT NULL RETURN e.words"
        wait_until(lambda: graph.read(counted) == [[4]], timeout=30, what="the word count")
