"""Entity resolution, relationships and curation on the real graph.

Jobs run through the worker's own Runner in this process (the same claim, plan and
commit code as `charlie worker`), with the scripted extractor: ``[[Place:Jordan]]``
yields a typed entity and ``[[Person:A -KNOWS-> Person:B]]`` a relationship.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from backend.api import CharlieAPI
from backend.errors import NotFoundError, ValidationError
from backend.jobs.worker import Runner
from plugins.scripted import ScriptedExtractor
from tests.conftest import events, wait_state
from tests.helpers.procs import wait_until


def enrich_all(api: CharlieAPI, *, extractor: object | None = None) -> None:
    runner = Runner(
        jobs=api.jobs,
        client=api.broker.client,
        extractor=extractor or ScriptedExtractor(),  # type: ignore[arg-type]
        worker_id="test",
        lease_ms=30_000,
    )
    runner.drain()
    assert api.job_counts()["queued"] == 0


def names(api: CharlieAPI, entry_id: str) -> set[tuple[str, str]]:
    return {(ref.name, ref.type) for ref, _ in api.entry_entities(entry_id).mentions}


def entity(api: CharlieAPI, name: str, type: str | None = None):  # noqa: ANN201
    found = api.find_entity(name, type=type)
    assert found is not None, f"no entity {name!r}"
    return found


def graph_is_clean(api: CharlieAPI) -> None:
    """No entity without a mention, no relationship to an entity nobody mentions."""
    graph = api.store.graph(api.journal())
    orphans = graph.read("MATCH (n:Entity) WHERE NOT ()-[:MENTIONS]->(n) RETURN n.name")
    assert orphans == []
    dangling = graph.read(
        "MATCH (a)-[r:RELATES]->(b) OPTIONAL MATCH (e:Episode {id: r.episode}) "
        "WITH r, e WHERE e IS NULL RETURN r.kind"
    )
    assert dangling == []


def test_spellings_of_a_name_resolve_to_one_person(api: CharlieAPI) -> None:
    one = api.add_entry("coffee with [[Person:Sarah]].")
    two = api.add_entry("[[Person:sarah]] called.")
    three = api.add_entry("borrowed [[Person:Sarah's]] bike.")
    enrich_all(api)
    sarah = entity(api, "Sarah")
    page = api.entity(sarah.id)
    assert page.mention_count == 3
    assert {m.entry_id for m in page.mentions} == {one.id, two.id, three.id}
    assert page.entity.name == "Sarah"
    assert {m.names for m in page.mentions} == {("Sarah",), ("sarah",), ("Sarah's",)}
    assert page.mentions[0].quote  # every mention carries its sentence


def test_types_never_merge(api: CharlieAPI) -> None:
    api.add_entry("[[Person:Jordan]] flew to [[Place:Jordan]].")
    enrich_all(api)
    person, place = entity(api, "Jordan", "Person"), entity(api, "Jordan", "Place")
    assert person.id != place.id


def test_fuzzy_match_above_threshold_only(api: CharlieAPI) -> None:
    api.add_entry("dinner with [[Person:Alexandra Smith]].")
    api.add_entry("call from [[Person:Alexandra Smyth]].")  # one letter off
    api.add_entry("lunch with [[Person:Alex]].")  # too different
    enrich_all(api)
    assert api.entity(entity(api, "Alexandra Smith").id).mention_count == 2
    assert entity(api, "Alex").id != entity(api, "Alexandra Smith").id


def test_the_author_is_one_i_per_journal(api: CharlieAPI) -> None:
    api.add_entry("[[Person:I]] went out. then [[Person:me]] again.")
    api.add_entry("[[Person:myself]] stayed home.")
    enrich_all(api)
    me = entity(api, "I")
    page = api.entity(me.id)
    assert me.id == "self" and page.is_self and page.mention_count == 2
    api.add_entry("with [[Person:Noor]].")
    enrich_all(api)
    assert not api.entity(entity(api, "Noor").id).is_self


def test_relationships_with_evidence_on_entity_pages(api: CharlieAPI) -> None:
    entry = api.add_entry("finally [[Person:Sarah -VISITED-> Place:Lisbon]] in may.")
    enrich_all(api)
    sarah = api.entity(entity(api, "Sarah").id)
    assert [(r.kind, r.other.name, r.outgoing, r.entry_id) for r in sarah.relations] == [
        ("VISITED", "Lisbon", True, entry.id)
    ]
    assert "Lisbon" in sarah.relations[0].evidence
    lisbon = api.entity(entity(api, "Lisbon").id)
    assert [(r.kind, r.other.name, r.outgoing) for r in lisbon.relations] == [
        ("VISITED", "Sarah", False)
    ]
    assert api.entry_entities(entry.id).relations[0][1] == "VISITED"
    assert [a.name for a in sarah.appears_with] == ["Lisbon"]


def test_unknown_relationship_kinds_become_related_to(api: CharlieAPI) -> None:
    api.add_entry("[[Person:Ann -ADORES-> Person:Bo]]")
    enrich_all(api)
    assert [r.kind for r in api.entity(entity(api, "Ann").id).relations] == ["RELATED_TO"]


def test_rename_keeps_quotes_and_the_old_name_still_resolves(api: CharlieAPI) -> None:
    api.add_entry("met [[Person:Sam]] at noon.")
    enrich_all(api)
    sam = entity(api, "Sam")
    assert api.rename_entity(sam.id, "Samuel Okafor") == "Samuel Okafor"
    api.add_entry("[[Person:Sam]] again.")
    enrich_all(api)
    page = api.entity(sam.id)
    assert page.entity.name == "Samuel Okafor"
    assert page.mention_count == 2 and page.aliases == ("Sam",)  # As written, not "sam".
    assert all(m.quote for m in page.mentions)


def test_a_spelling_matched_by_similarity_is_shown_as_written(api: CharlieAPI) -> None:
    api.add_entry("[[Person:Alexandra]] called.")
    api.add_entry("dinner with [[Person:Alexandria]].")
    enrich_all(api)
    page = api.entity(entity(api, "Alexandra").id)
    # Whichever came first is the name; the other is its alias, as written.
    assert page.mention_count == 2 and len(page.aliases) == 1
    assert {page.entity.name, *page.aliases} == {"Alexandra", "Alexandria"}


def test_rename_to_an_existing_name_is_refused(api: CharlieAPI) -> None:
    api.add_entry("[[Person:Ann]] and [[Person:Bo]].")
    enrich_all(api)
    with pytest.raises(ValidationError, match="merge"):
        api.rename_entity(entity(api, "Bo").id, "ann")
    with pytest.raises(ValidationError):
        api.rename_entity(entity(api, "Bo").id, "  ...  ")


def test_merge_keeps_every_quote_and_relationship(api: CharlieAPI) -> None:
    a = api.add_entry("saw [[Person:Liz]] today.")
    b = api.add_entry("[[Person:Elizabeth -KNOWS-> Person:Tom]] for years.")
    c = api.add_entry("[[Person:Liz]] and [[Person:Elizabeth]] are one person.")
    enrich_all(api)
    liz, elizabeth = entity(api, "Liz"), entity(api, "Elizabeth")
    api.merge_entities(liz.id, elizabeth.id)
    page = api.entity(liz.id)
    assert {m.entry_id for m in page.mentions} == {a.id, b.id, c.id}
    assert page.mention_count == 3
    assert [(r.kind, r.other.name) for r in page.relations] == [("KNOWS", "Tom")]
    assert page.aliases == ("Elizabeth",)
    with pytest.raises(NotFoundError):
        api.entity(elizabeth.id)
    graph_is_clean(api)


def test_remove_from_entry_sticks_after_re_enrichment(api: CharlieAPI) -> None:
    one = api.add_entry("[[Person:Max -KNOWS-> Person:Ida]].")
    two = api.add_entry("[[Person:Max]] alone.")
    enrich_all(api)
    max_ = entity(api, "Max")
    api.remove_entity_from_entry(one.id, max_.id)
    assert names(api, one.id) == {("Ida", "Person")}
    api.reenrich(one.id)
    enrich_all(api)
    assert names(api, one.id) == {("Ida", "Person")}
    assert [m.entry_id for m in api.entity(max_.id).mentions] == [two.id]
    assert api.entity(entity(api, "Ida").id).relations == []
    graph_is_clean(api)


def test_removing_the_last_mention_prunes_the_entity(api: CharlieAPI) -> None:
    entry = api.add_entry("[[Person:Zed -KNOWS-> Person:Yan]].")
    enrich_all(api)
    zed = entity(api, "Zed")
    api.remove_entity_from_entry(entry.id, zed.id)
    assert api.find_entity("Zed") is None
    graph_is_clean(api)


def test_delete_everywhere_leaves_nothing_dangling(api: CharlieAPI) -> None:
    api.add_entry("[[Person:Kai -KNOWS-> Person:Lu]] and [[Person:Kai -VISITED-> Place:Rome]].")
    api.add_entry("[[Person:Kai]] again.")
    enrich_all(api)
    api.delete_entity(entity(api, "Kai").id)
    assert api.find_entity("Kai") is None
    assert api.entity(entity(api, "Lu").id).relations == []
    graph_is_clean(api)


def test_deleting_entries_prunes_entities_and_relationships(api: CharlieAPI) -> None:
    one = api.add_entry("[[Person:Nia -KNOWS-> Person:Oz]].")
    two = api.add_entry("[[Person:Nia]] solo.")
    enrich_all(api)
    api.delete_entry(one.id)
    assert api.find_entity("Oz") is None
    assert api.entity(entity(api, "Nia").id).relations == []
    api.delete_entry(two.id)
    assert api.entities() == []
    graph_is_clean(api)


def test_deleting_an_entry_removes_its_relationships_between_surviving_entities(
    api: CharlieAPI,
) -> None:
    stating = api.add_entry("[[Person:Ivy -KNOWS-> Person:Jay]].")
    api.add_entry("[[Person:Ivy]] and [[Person:Jay]] again.")
    enrich_all(api)
    assert [r.kind for r in api.entity(entity(api, "Ivy").id).relations] == ["KNOWS"]
    api.delete_entry(stating.id)
    assert api.entity(entity(api, "Ivy").id).relations == []
    graph_is_clean(api)


def test_block_removes_and_stops_extraction_until_unblocked(api: CharlieAPI) -> None:
    entry = api.add_entry("walked with [[Person:Monday]] and [[Person:Rex]].")
    enrich_all(api)
    assert api.block_name("monday") == 1
    assert api.blocked_names() == ["monday"]
    assert names(api, entry.id) == {("Rex", "Person")}
    api.reenrich(entry.id)
    enrich_all(api)
    assert names(api, entry.id) == {("Rex", "Person")}
    assert api.unblock_name("Monday") == 1  # the entry naming it is queued again
    enrich_all(api)
    assert names(api, entry.id) == {("Monday", "Person"), ("Rex", "Person")}
    assert api.blocked_names() == []
    with pytest.raises(NotFoundError):
        api.unblock_name("Monday")


def test_enrichment_twice_gives_the_same_graph(api: CharlieAPI) -> None:
    entry = api.add_entry("[[Person:Ada -WORKS_WITH-> Person:Bea]] at [[Place:Kew]].")
    enrich_all(api)
    before = api.entry_entities(entry.id)
    api.reenrich(entry.id)
    enrich_all(api)
    after = api.entry_entities(entry.id)
    assert before == after
    assert len(api.entities()) == 3


def test_search_finds_entries_and_entities_as_you_type(api: CharlieAPI) -> None:
    hike = api.add_entry("a long hike up the ridge with [[Person:Harriet]].", title="Ridge")
    api.add_entry("quiet day at home.")
    enrich_all(api)
    results = api.search("rid")
    assert [h.entry.id for h in results.entries] == [hike.id]
    assert "ridge" in results.entries[0].snippet
    assert [e.name for e in api.search("harr").entities] == ["Harriet"]
    assert api.search("  !!  ").entries == []
    assert api.search('"unbalanced (query').entries == []


def test_period_lists_who_appeared_in_a_month(api: CharlieAPI) -> None:
    from datetime import datetime

    march = datetime(2024, 3, 10, 12, tzinfo=UTC)
    api.add_entry("[[Person:Cy]] and [[Place:Oslo]].", entry_at=march)
    api.add_entry("[[Person:Cy]] again.", entry_at=march.replace(day=20))
    api.add_entry("[[Person:Di]] in april.", entry_at=march.replace(month=4))
    enrich_all(api)
    summary = api.period(2024, 3)
    assert summary.entry_count == 2
    assert [(e.name, e.count) for e in summary.entities["Person"]] == [("Cy", 2)]
    assert [e.name for e in summary.entities["Place"]] == ["Oslo"]
    with pytest.raises(ValidationError):
        api.period(2024, 13)


def test_a_name_blocked_while_the_worker_reads_the_entry_stays_out(
    owner: tuple[CharlieAPI, object], log: Path
) -> None:
    """The real worker: the block lands after extraction started; the commit is planned
    against the blocked names as they are at commit time, so the name never appears."""
    api, _ = owner
    entry = api.add_entry("#sleep=1.5 with [[Person:Quinn]] and [[Person:Ros]].")
    wait_until(lambda: events(log, "start"), timeout=30, what="the worker to start extracting")
    api.block_name("Quinn")
    wait_state(api, entry.id, "done")
    assert names(api, entry.id) == {("Ros", "Person")}
    assert api.find_entity("Quinn") is None


def test_first_and_last_mention_keep_their_offsets_beyond_the_page(api: CharlieAPI) -> None:
    from datetime import datetime, timedelta, timezone

    lisbon = timezone(timedelta(hours=1))
    oldest = datetime(2023, 1, 2, 9, 30, tzinfo=lisbon)
    api.add_entry("[[Person:Ola]] first.", entry_at=oldest)
    api.add_entry("[[Person:Ola]] later.", entry_at=datetime(2024, 5, 1, tzinfo=UTC))
    newest = datetime(2025, 6, 1, 8, tzinfo=timezone(timedelta(hours=-7)))
    api.add_entry("[[Person:Ola]] last.", entry_at=newest)
    enrich_all(api)
    ola = entity(api, "Ola")
    for limit in (1, 100):  # the oldest is on the page only with the larger limit
        page = api.entity(ola.id, limit=limit)
        assert page.first_mention == oldest and page.first_mention.utcoffset() == timedelta(hours=1)
        assert page.last_mention == newest and page.mention_count == 3
