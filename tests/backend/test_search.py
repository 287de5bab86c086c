"""Search that finds: accents and case aside, whole-word snippets with the matched words
marked, filters in the query, journals from before folding, and the windows that keep a
common prefix fast in a large journal (their answers equal sorting every match)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.errors import ValidationError
from backend.graph import folding
from backend.graph import search as graph_search
from backend.graph.search import snippet
from backend.graph.search_query import parse
from backend.root import Charlie
from tests.helpers.graph import Lexicon, enrich_all

DAY = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def ids(results: object) -> list[str]:
    return [hit.entry.id for hit in results.entries]  # type: ignore[attr-defined]


def marked(hit: object) -> list[str]:
    text = hit.snippet  # type: ignore[attr-defined]
    return [text[s:e] for s, e in hit.marks]  # type: ignore[attr-defined]


def test_accents_and_case_fold_both_ways(api: Charlie) -> None:
    entries = api.journal().entries
    accented = entries.add("Coffee at the Café with José. Straße, ÉCOLE, Łódź.", entry_at=DAY)
    plain = entries.add("plain cafe with jose, strasse, ecole, lodz", entry_at=DAY - timedelta(1))
    graph = api.journal().graph
    for query in ("cafe", "Café", "CAFÉ", "caf", "jose", "José", "strasse", "straße", "école"):
        assert ids(graph.search(query)) == [accented.id, plain.id], query
    assert ids(graph.search("lodz")) == [accented.id, plain.id]
    # The matched word is marked as written: "cafe" marks "Café".
    hit = graph.search("cafe").entries[0]
    assert marked(hit) == ["Café"]
    assert marked(graph.search("jos").entries[0]) == ["José"]


def test_entity_names_fold_and_one_letter_finds_names(api: Charlie) -> None:
    api.journal().entries.add("Lunch with José and Zoë at Café Öz.", entry_at=DAY)
    enrich_all(api, extractor=Lexicon({"José": "Person", "Zoë": "Person", "Café Öz": "Place"}))
    graph = api.journal().graph
    assert [e.name for e in graph.search("jose").entities] == ["José"]
    assert [e.name for e in graph.search("ZOE").entities] == ["Zoë"]
    assert [e.name for e in graph.search("cafe oz").entities] == ["Café Öz"]
    # One letter: names starting with it (folded), never "Nothing matches".
    one = graph.search("z")
    assert one.entries == [] and [e.name for e in one.entities] == ["Zoë"]
    assert [e.name for e in graph.search("J").entities] == ["José"]
    # A rename is folded again at the next search.
    jose = graph.find_entity("José")
    assert jose is not None
    api.journal().curation.rename(jose.id, "Jérôme")
    assert [e.name for e in graph.search("jerome").entities] == ["Jérôme"]


def test_snippets_are_whole_words_around_the_match() -> None:
    body = (
        " ".join(f"word{n}" for n in range(60))
        + " the Café was full "
        + " ".join(f"tail{n}" for n in range(60))
    )
    text, marks = snippet(body, ("cafe",))
    assert text.startswith("…") and text.endswith("…")
    inner = text.strip("…")
    # Never half a word at either end.
    assert inner.split()[0] in body.split() and inner.split()[-1] in body.split()
    assert [text[s:e] for s, e in marks] == ["Café"]
    assert len(text) <= graph_search.SNIPPET_CHARS + 2
    # Short bodies whole; a match at the start is not cut before.
    assert snippet("Café au lait", ("cafe",)) == ("Café au lait", ((0, 4),))
    # An accent written as a combining mark is part of the word.
    decomposed = "Cafe\u0301 noir"
    assert snippet(decomposed, ("cafe",))[1] == ((0, 5),)


def test_filters_narrow_and_alone_list_newest_first(api: Charlie) -> None:
    entries = api.journal().entries
    old = entries.add("Walked to the lake with Ana. #walks", entry_at=DAY - timedelta(days=40))
    mid = entries.add("Walked in Lisbon alone.", entry_at=DAY - timedelta(days=10), tags=["trips"])
    new = entries.add("Walked with Ana in Lisbon.", entry_at=DAY, tags=["Trips"])
    other = entries.add("Quiet day at home.", entry_at=DAY - timedelta(days=1))
    entries.star(mid.id)
    enrich_all(api, extractor=Lexicon({"Ana": "Person", "Lisbon": "Place"}))
    graph = api.journal().graph

    assert ids(graph.search("walked")) == [new.id, mid.id, old.id]
    assert ids(graph.search("walked tag:trips")) == [new.id, mid.id]
    assert ids(graph.search("#walks")) == [old.id]
    assert ids(graph.search("walk starred")) == [mid.id]
    assert ids(graph.search("walked person:ana")) == [new.id, old.id]
    assert ids(graph.search("place:lisbon person:ANA")) == [new.id]
    assert ids(graph.search("walked before:2026-03-01")) == [mid.id, old.id]
    assert ids(graph.search("after:2026-03-09")) == [new.id, other.id]
    assert ids(graph.search("after:2026-01-01 before:2026-03-10")) == [other.id, mid.id, old.id]
    # Filters alone: newest first, and the entities named are shown.
    alone = graph.search("person:Ana")
    assert ids(alone) == [new.id, old.id]
    assert [e.name for e in alone.entities] == ["Ana"]
    assert alone.filters == ("person:Ana",)
    assert ids(graph.search("tag:trips starred")) == [mid.id]
    nobody = graph.search("person:Zed")
    assert nobody.entries == [] and nobody.notes == ("No person is called 'Zed'.",)


def test_journal_filter_searches_that_journal(api: Charlie) -> None:
    api.journals.create("Work")
    api.journal("Work").entries.add("Café budget meeting", entry_at=DAY)
    api.journal().entries.add("Café at home", entry_at=DAY)
    found = api.journal().graph.search("cafe journal:work")
    assert found.journal == "Work"
    assert [h.snippet for h in found.entries] == ["Café budget meeting"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("before:tomorrow", "before: needs a date like 2026-03-17"),
        ("after:2026-02-30", "after: needs a date like 2026-03-17"),
        ("tag:", "tag: needs a tag"),
        ("person:", "person: needs a name"),
        ("after:2026-03-01 before:2026-02-01", "nothing is between"),
        ("journal:a journal:b", "journal: can be given once"),
    ],
)
def test_bad_filters_say_what_they_need(api: Charlie, text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        api.journal().graph.search(text)


def test_the_query_reads_words_filters_and_quotes() -> None:
    query = parse('Café person:"Ana Lopez" TAG:Work is:starred 10:30 http://x.org')
    assert query.words == "Café 10:30 http://x.org"
    assert query.people == ("Ana Lopez",) and query.tags == ("work",) and query.starred
    assert query.filters == ('person:"Ana Lopez"', "tag:Work", "starred")
    # A quote still being typed is the rest of the value.
    assert parse('place:"New Yo').places == ("New Yo",)


def test_a_journal_from_before_folding_finds_cafe(api: Charlie) -> None:
    journal = api.journal()
    cafe = journal.entries.add("Met at the Café.", entry_at=DAY)
    plain = journal.entries.add("A plain day.", entry_at=DAY)
    graph = api.backend.store.graph(journal.journal)
    # Make it a journal from before: no folded words, no label, the old index, no marker.
    graph.query("MATCH (e:Episode) REMOVE e.folded, e:Searchable")
    graph.query("CALL db.idx.fulltext.drop('Searchable')")
    graph.query("CALL db.idx.fulltext.createNodeIndex('Episode', 'title', 'body')")
    api.backend.broker.client.delete(folding.marker_key(graph))
    # A walk cut short after its first range goes on from there.
    api.backend.broker.client.set(f"{folding.marker_key(graph)}:from", 0)

    assert ids(journal.graph.search("cafe")) == [cafe.id]
    assert folding.is_folded(graph)
    assert ids(journal.graph.search("plain")) == [plain.id]
    assert folding.fold_journal(graph) == 0  # Done once; asking again does nothing.
    # The old index is gone: search has one index of the entries' text.
    assert "'Episode', 'title'" not in str(graph.read("CALL db.indexes() YIELD label RETURN label"))


def test_the_fold_walk_is_bounded_and_skips_entries_written_meanwhile(api: Charlie) -> None:
    journal = api.journal()
    written = [journal.entries.add(f"Entry {n} at the café", entry_at=DAY) for n in range(7)]
    graph = api.backend.store.graph(journal.journal)
    graph.query("MATCH (e:Episode) REMOVE e.folded, e:Searchable")
    api.backend.broker.client.delete(folding.marker_key(graph))
    # An entry edited before the walk reaches it is searchable by its own write.
    edited = journal.entries.edit(
        written[0].id, body="Now at the Crêperie", expected_revision=written[0].revision
    )
    assert folding.fold_journal(graph, batch=2) == 6
    assert sorted(ids(journal.graph.search("cafe"))) == sorted(e.id for e in written[1:])
    assert ids(journal.graph.search("creperie")) == [edited.id]


def test_a_common_prefix_in_a_large_journal_reads_a_window(
    api: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a probe of 3 matches, "mo" (in every entry) takes the windowed path; its
    # answer must be exactly the newest matches, as sorting them all would give.
    monkeypatch.setattr(graph_search, "PROBE", 3)
    monkeypatch.setattr(graph_search, "FIRST_WINDOW", 86400)
    entries = api.journal().entries
    start = datetime(2023, 1, 1, tzinfo=UTC)
    made = []
    for n in range(40):
        # Unevenly spread: a burst of days, then months apart.
        at = start + timedelta(days=n if n < 25 else 25 + (n - 25) * 45)
        made.append(entries.add(f"morning {n} moon #t{n % 2}", entry_at=at))
    newest_first = [e.id for e in sorted(made, key=lambda e: e.entry_at, reverse=True)]
    graph = api.journal().graph
    assert ids(graph.search("mo", limit=5)) == newest_first[:5]
    assert ids(graph.search("mo", limit=30)) == newest_first[:30]
    # A filter that only old entries pass widens the window until it finds them.
    assert ids(graph.search("mo before:2023-01-04", limit=5)) == [
        e.id for e in sorted(made[:3], key=lambda e: e.entry_at, reverse=True)
    ]
    # An entry years after the rest: the walk jumps the empty stretch between.
    late = entries.add("moon over the bay", entry_at=start + timedelta(days=3 * 365))
    assert ids(graph.search("mo", limit=5)) == [late.id, *newest_first[:4]]
    assert ids(graph.search("starred after:2020-01-01", limit=5)) == []
    newest_first.insert(0, late.id)
    # Filters alone page back through time the same way.
    tagged = [i for i in newest_first if i in {e.id for e in made if "#t1" in e.body}]
    assert ids(graph.search("tag:t1", limit=4)) == tagged[:4]
    assert ids(graph.search("after:2023-01-10", limit=50)) == [
        e.id
        for e in sorted([*made, late], key=lambda e: e.entry_at, reverse=True)
        if e.entry_at >= datetime(2023, 1, 10, tzinfo=UTC)
    ]
    assert ids(graph.search("after:2023-01-10 before:2025-01-01", limit=3)) == newest_first[1:4]


def test_marks_follow_what_the_index_matched() -> None:
    # The last word is a prefix; earlier ones are words (with a short ending); stop
    # words, which the index skips, are not marked.
    text, marks = snippet(
        "At the café they walked the walkways at last", ("at", "the", "walk", "caf")
    )
    assert [text[s:e] for s, e in marks] == ["café", "walked"]
