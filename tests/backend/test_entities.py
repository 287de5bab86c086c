"""Entity resolution, relationships and curation on the real graph.

Jobs run through the worker's own Runner in this process (the same claim, plan and
commit code as `charlie worker`), with the scripted extractor: ``[[Place:Jordan]]``
yields a typed entity and ``[[Person:A -KNOWS-> Person:B]]`` a relationship.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from backend.errors import NotFoundError, ValidationError
from backend.root import Charlie
from tests.helpers.graph import enrich_all, entity, graph_is_clean, names
from tests.helpers.jobs import wait_state
from tests.helpers.procs import wait_until
from tests.helpers.scripted import events


def test_spellings_of_a_name_resolve_to_one_person(api: Charlie) -> None:
    one = api.journal().entries.add("coffee with [[Person:Sarah]].")
    two = api.journal().entries.add("[[Person:sarah]] called.")
    three = api.journal().entries.add("borrowed [[Person:Sarah's]] bike.")
    enrich_all(api)
    sarah = entity(api, "Sarah")
    page = api.journal().graph.entity(sarah.id)
    assert page.mention_count == 3
    assert {m.entry_id for m in page.mentions} == {one.id, two.id, three.id}
    assert page.entity.name == "Sarah"
    assert {m.names for m in page.mentions} == {("Sarah",), ("sarah",), ("Sarah's",)}
    assert page.mentions[0].quote  # every mention carries its sentence


def test_types_never_merge(api: Charlie) -> None:
    api.journal().entries.add("[[Person:Jordan]] flew to [[Place:Jordan]].")
    enrich_all(api)
    person, place = entity(api, "Jordan", "Person"), entity(api, "Jordan", "Place")
    assert person.id != place.id


def test_fuzzy_match_above_threshold_only(api: Charlie) -> None:
    api.journal().entries.add("dinner with [[Person:Alexandra Smith]].")
    api.journal().entries.add("call from [[Person:Alexandra Smyth]].")  # one letter off
    api.journal().entries.add("lunch with [[Person:Alex]].")  # too different
    enrich_all(api)
    assert api.journal().graph.entity(entity(api, "Alexandra Smith").id).mention_count == 2
    assert entity(api, "Alex").id != entity(api, "Alexandra Smith").id


def test_the_author_is_one_i_per_journal(api: Charlie) -> None:
    api.journal().entries.add("[[Person:I]] went out. then [[Person:me]] again.")
    api.journal().entries.add("[[Person:myself]] stayed home.")
    enrich_all(api)
    me = entity(api, "I")
    page = api.journal().graph.entity(me.id)
    assert me.id == "self" and page.is_self and page.mention_count == 2
    api.journal().entries.add("with [[Person:Noor]].")
    enrich_all(api)
    assert not api.journal().graph.entity(entity(api, "Noor").id).is_self


def test_relationships_with_evidence_on_entity_pages(api: Charlie) -> None:
    entry = api.journal().entries.add("finally [[Person:Sarah -VISITED-> Place:Lisbon]] in may.")
    enrich_all(api)
    sarah = api.journal().graph.entity(entity(api, "Sarah").id)
    assert [(r.kind, r.other.name, r.outgoing, r.entry_id) for r in sarah.relations] == [
        ("VISITED", "Lisbon", True, entry.id)
    ]
    assert "Lisbon" in sarah.relations[0].evidence
    lisbon = api.journal().graph.entity(entity(api, "Lisbon").id)
    assert [(r.kind, r.other.name, r.outgoing) for r in lisbon.relations] == [
        ("VISITED", "Sarah", False)
    ]
    assert api.journal().graph.entry_entities(entry.id).relations[0][1] == "VISITED"
    assert [a.name for a in sarah.appears_with] == ["Lisbon"]


def test_unknown_relationship_kinds_become_related_to(api: Charlie) -> None:
    api.journal().entries.add("[[Person:Ann -ADORES-> Person:Bo]]")
    enrich_all(api)
    assert [r.kind for r in api.journal().graph.entity(entity(api, "Ann").id).relations] == [
        "RELATED_TO"
    ]


def test_rename_keeps_quotes_and_the_old_name_still_resolves(api: Charlie) -> None:
    api.journal().entries.add("met [[Person:Sam]] at noon.")
    enrich_all(api)
    sam = entity(api, "Sam")
    assert api.journal().curation.rename(sam.id, "Samuel Okafor") == "Samuel Okafor"
    api.journal().entries.add("[[Person:Sam]] again.")
    enrich_all(api)
    page = api.journal().graph.entity(sam.id)
    assert page.entity.name == "Samuel Okafor"
    assert page.mention_count == 2 and page.aliases == ("Sam",)  # As written, not "sam".
    assert all(m.quote for m in page.mentions)


def test_a_spelling_matched_by_similarity_is_shown_as_written(api: Charlie) -> None:
    api.journal().entries.add("[[Person:Alexandra]] called.")
    api.journal().entries.add("dinner with [[Person:Alexandria]].")
    enrich_all(api)
    page = api.journal().graph.entity(entity(api, "Alexandra").id)
    # Whichever came first is the name; the other is its alias, as written.
    assert page.mention_count == 2 and len(page.aliases) == 1
    assert {page.entity.name, *page.aliases} == {"Alexandra", "Alexandria"}


def test_rename_to_an_existing_name_is_refused(api: Charlie) -> None:
    api.journal().entries.add("[[Person:Ann]] and [[Person:Bo]].")
    enrich_all(api)
    with pytest.raises(ValidationError, match="merge"):
        api.journal().curation.rename(entity(api, "Bo").id, "ann")
    with pytest.raises(ValidationError):
        api.journal().curation.rename(entity(api, "Bo").id, "  ...  ")


def test_merge_keeps_every_quote_and_relationship(api: Charlie) -> None:
    a = api.journal().entries.add("saw [[Person:Liz]] today.")
    b = api.journal().entries.add("[[Person:Elizabeth -KNOWS-> Person:Tom]] for years.")
    c = api.journal().entries.add("[[Person:Liz]] and [[Person:Elizabeth]] are one person.")
    enrich_all(api)
    liz, elizabeth = entity(api, "Liz"), entity(api, "Elizabeth")
    api.journal().curation.merge(liz.id, elizabeth.id)
    page = api.journal().graph.entity(liz.id)
    assert {m.entry_id for m in page.mentions} == {a.id, b.id, c.id}
    assert page.mention_count == 3
    assert [(r.kind, r.other.name) for r in page.relations] == [("KNOWS", "Tom")]
    assert page.aliases == ("Elizabeth",)
    with pytest.raises(NotFoundError):
        api.journal().graph.entity(elizabeth.id)
    graph_is_clean(api)


def test_remove_from_entry_sticks_after_re_enrichment(api: Charlie) -> None:
    one = api.journal().entries.add("[[Person:Max -KNOWS-> Person:Ida]].")
    two = api.journal().entries.add("[[Person:Max]] alone.")
    enrich_all(api)
    max_ = entity(api, "Max")
    api.journal().curation.remove_from_entry(one.id, max_.id)
    assert names(api, one.id) == {("Ida", "Person")}
    api.journal().entries.reenrich(one.id)
    enrich_all(api)
    assert names(api, one.id) == {("Ida", "Person")}
    assert [m.entry_id for m in api.journal().graph.entity(max_.id).mentions] == [two.id]
    assert api.journal().graph.entity(entity(api, "Ida").id).relations == []
    graph_is_clean(api)


def test_removing_the_last_mention_prunes_the_entity(api: Charlie) -> None:
    entry = api.journal().entries.add("[[Person:Zed -KNOWS-> Person:Yan]].")
    enrich_all(api)
    zed = entity(api, "Zed")
    api.journal().curation.remove_from_entry(entry.id, zed.id)
    assert api.journal().graph.find_entity("Zed") is None
    graph_is_clean(api)


def test_delete_everywhere_leaves_nothing_dangling(api: Charlie) -> None:
    api.journal().entries.add(
        "[[Person:Kai -KNOWS-> Person:Lu]] and [[Person:Kai -VISITED-> Place:Rome]]."
    )
    api.journal().entries.add("[[Person:Kai]] again.")
    enrich_all(api)
    api.journal().curation.delete(entity(api, "Kai").id)
    assert api.journal().graph.find_entity("Kai") is None
    assert api.journal().graph.entity(entity(api, "Lu").id).relations == []
    graph_is_clean(api)


def test_deleting_entries_prunes_entities_and_relationships(api: Charlie) -> None:
    one = api.journal().entries.add("[[Person:Nia -KNOWS-> Person:Oz]].")
    two = api.journal().entries.add("[[Person:Nia]] solo.")
    enrich_all(api)
    api.journal().entries.delete(one.id)
    assert api.journal().graph.find_entity("Oz") is None
    assert api.journal().graph.entity(entity(api, "Nia").id).relations == []
    api.journal().entries.delete(two.id)
    assert api.journal().graph.entities() == []
    graph_is_clean(api)


def test_deleting_an_entry_removes_its_relationships_between_surviving_entities(
    api: Charlie,
) -> None:
    stating = api.journal().entries.add("[[Person:Ivy -KNOWS-> Person:Jay]].")
    api.journal().entries.add("[[Person:Ivy]] and [[Person:Jay]] again.")
    enrich_all(api)
    assert [r.kind for r in api.journal().graph.entity(entity(api, "Ivy").id).relations] == [
        "KNOWS"
    ]
    api.journal().entries.delete(stating.id)
    assert api.journal().graph.entity(entity(api, "Ivy").id).relations == []
    graph_is_clean(api)


def test_block_removes_and_stops_extraction_until_unblocked(api: Charlie) -> None:
    entry = api.journal().entries.add("walked with [[Person:Monday]] and [[Person:Rex]].")
    enrich_all(api)
    assert api.journal().curation.block("monday") == 1
    assert api.journal().curation.blocked() == ["monday"]
    assert names(api, entry.id) == {("Rex", "Person")}
    api.journal().entries.reenrich(entry.id)
    enrich_all(api)
    assert names(api, entry.id) == {("Rex", "Person")}
    assert api.journal().curation.unblock("Monday") == 1  # the entry naming it is queued again
    enrich_all(api)
    assert names(api, entry.id) == {("Monday", "Person"), ("Rex", "Person")}
    assert api.journal().curation.blocked() == []
    with pytest.raises(NotFoundError):
        api.journal().curation.unblock("Monday")


def test_enrichment_twice_gives_the_same_graph(api: Charlie) -> None:
    entry = api.journal().entries.add("[[Person:Ada -WORKS_WITH-> Person:Bea]] at [[Place:Kew]].")
    enrich_all(api)
    before = api.journal().graph.entry_entities(entry.id)
    api.journal().entries.reenrich(entry.id)
    enrich_all(api)
    after = api.journal().graph.entry_entities(entry.id)
    assert before == after
    assert len(api.journal().graph.entities()) == 3


def test_search_finds_entries_and_entities_as_you_type(api: Charlie) -> None:
    hike = api.journal().entries.add(
        "a long hike up the ridge with [[Person:Harriet]].", title="Ridge"
    )
    api.journal().entries.add("quiet day at home.")
    enrich_all(api)
    results = api.journal().graph.search("rid")
    assert [h.entry.id for h in results.entries] == [hike.id]
    assert "ridge" in results.entries[0].snippet
    assert [e.name for e in api.journal().graph.search("harr").entities] == ["Harriet"]
    assert api.journal().graph.search("  !!  ").entries == []
    assert api.journal().graph.search('"unbalanced (query').entries == []


def test_period_lists_who_appeared_in_a_month(api: Charlie) -> None:
    from datetime import datetime

    march = datetime(2024, 3, 10, 12, tzinfo=UTC)
    api.journal().entries.add("[[Person:Cy]] and [[Place:Oslo]].", entry_at=march)
    api.journal().entries.add("[[Person:Cy]] again.", entry_at=march.replace(day=20))
    api.journal().entries.add("[[Person:Di]] in april.", entry_at=march.replace(month=4))
    enrich_all(api)
    summary = api.journal().graph.period(2024, 3)
    assert summary.entry_count == 2
    assert [(e.name, e.count) for e in summary.entities["Person"]] == [("Cy", 2)]
    assert [e.name for e in summary.entities["Place"]] == ["Oslo"]
    with pytest.raises(ValidationError):
        api.journal().graph.period(2024, 13)


@pytest.mark.slow
def test_a_name_blocked_while_the_worker_reads_the_entry_stays_out(
    owner: tuple[Charlie, object], log: Path
) -> None:
    """The real worker: the block lands after extraction started; the commit is planned
    against the blocked names as they are at commit time, so the name never appears."""
    api, _ = owner
    entry = api.journal().entries.add("#sleep=1.5 with [[Person:Quinn]] and [[Person:Ros]].")
    wait_until(lambda: events(log, "start"), timeout=30, what="the worker to start extracting")
    api.journal().curation.block("Quinn")
    wait_state(api, entry.id, "done")
    assert names(api, entry.id) == {("Ros", "Person")}
    assert api.journal().graph.find_entity("Quinn") is None


def test_first_and_last_mention_keep_their_offsets_beyond_the_page(api: Charlie) -> None:
    from datetime import datetime, timedelta, timezone

    lisbon = timezone(timedelta(hours=1))
    oldest = datetime(2023, 1, 2, 9, 30, tzinfo=lisbon)
    api.journal().entries.add("[[Person:Ola]] first.", entry_at=oldest)
    api.journal().entries.add("[[Person:Ola]] later.", entry_at=datetime(2024, 5, 1, tzinfo=UTC))
    newest = datetime(2025, 6, 1, 8, tzinfo=timezone(timedelta(hours=-7)))
    api.journal().entries.add("[[Person:Ola]] last.", entry_at=newest)
    enrich_all(api)
    ola = entity(api, "Ola")
    for limit in (1, 100):  # the oldest is on the page only with the larger limit
        page = api.journal().graph.entity(ola.id, limit=limit)
        assert page.first_mention == oldest and page.first_mention.utcoffset() == timedelta(hours=1)
        assert page.last_mention == newest and page.mention_count == 3
