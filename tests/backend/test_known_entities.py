"""The worker's copy of a journal's entities (backend/graph/known.py) on the real graph.

A plan made from the copy must be the plan a full read would give: after the worker's
own commits, after a user's correction, and when someone writes between a plan and
its commit. Jobs run here as ``Runner._run`` runs them, with the scripted extractor
(``[[Place:Jordan]]`` is a typed entity).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from backend.graph import planning
from backend.graph.enrich import EntryRead, queue_enrichment, read_entry
from backend.graph.extractor import Extraction, entry_text
from backend.graph.known import KnownEntities
from backend.graph.planning import plan_enrichment
from backend.graph.resolution import Known, KnownIndex
from backend.graph.schema import blocked_key, version_key
from backend.jobs.commit import complete
from backend.jobs.records import Claim, Write
from backend.root import Charlie
from tests.helpers.graph import entity, names
from tests.helpers.scripted import ScriptedExtractor

ENTRIES = (
    "coffee with [[Person:Alexandra Smith]] at [[Place:Lisbon]].",
    "call from [[Person:Alexandra Smyth]] and [[Person:I]].",  # similar: an alias
    "[[Person:Jordan]] flew to [[Place:Jordan]] with [[Person:Noor]].",
    "[[Person:Noor]] and [[Person:Noor Haddad]] and [[Person:Alexandra Smyth]].",
    "[[Group:Book Club]] met; [[Person:me]] and [[Person:Alexandra Smithe]] came.",
    "[[Person:Noor Hadad]] again, with [[Group:the Book Club]].",
)


def enrich_queued(
    api: Charlie,
    known: KnownEntities | None,
    *,
    before_commit: Callable[[], None] | None = None,
    after_read: Callable[[], None] | None = None,
) -> int:
    """Run every queued job as the worker does, planning with ``known`` (None: read every
    entity). ``before_commit`` runs once, between the first plan and its commit;
    ``after_read`` once, between reading the first entry and planning it. Returns how
    many plans were made."""
    client, jobs = api.backend.broker.client, api.backend.jobs
    extractor = ScriptedExtractor()
    plans = 0
    while (claim := jobs.claim("test", lease_ms=30_000)) is not None:
        stored = read_entry(client, claim.journal_id, claim.entry_id)
        assert stored is not None
        text = entry_text(stored.title, stored.body)
        extraction = extractor.extract(text)
        if after_read is not None:
            after_read, meddle = None, after_read
            meddle()

        def plan(
            c: Claim = claim, t: str = text, x: Extraction = extraction, e: EntryRead = stored
        ) -> Write:
            nonlocal plans, before_commit
            planned = plan_enrichment(
                client, c.journal_id, c.entry_id, c.content_hash, t, x, known=known, entry=e
            )
            plans += 1
            if before_commit is not None:
                before_commit, meddle = None, before_commit
                meddle()
            return lambda pipe: queue_enrichment(pipe, c.journal_id, planned)

        watch = (version_key(claim.journal_id), blocked_key(claim.journal_id))
        committed = complete(jobs.client, claim, plan=plan, watch=watch)
        assert committed
        if known is not None:
            known.committed(claim.journal_id)
    return plans


def graph_shape(api: Charlie, journal: str) -> tuple[set[tuple[object, ...]], set[object]]:
    """Entities (type, key, name, aliases) and each entry's mentions, without ids."""
    graph = api.backend.store.graph(api.journals.get(journal))
    entities = {
        (row[0], row[1], row[2], tuple(row[3] or ()))
        for row in graph.read("MATCH (n:Entity) RETURN n.type, n.key, n.name, n.aliases")
    }
    mentions = {
        (row[0], row[1], row[2], row[3])
        for row in graph.read(
            "MATCH (e:Episode)-[m:MENTIONS]->(n) RETURN e.body, n.type, n.key, m.quote"
        )
    }
    return entities, mentions


def counting_reads(monkeypatch: object) -> list[int]:
    """Count the reads of every entity of a journal."""
    reads: list[int] = []
    original = planning.known_entities

    def counted(*args: object) -> list[Known]:
        reads.append(1)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(planning, "known_entities", counted)  # type: ignore[attr-defined]
    return reads


def test_an_index_grown_entity_by_entity_answers_as_one_built_at_once() -> None:
    rng = random.Random(3)
    keys = ["sam", "noor", "ada", "lisbon", "jordan", "i"]
    entities = [
        Known(
            f"{rng.randrange(16**4):04x}{n}",
            rng.choice(["Person", "Place"]),
            "x",
            rng.choice(keys),
            tuple(rng.sample(keys, rng.randint(0, 2))),
        )
        for n in range(40)
    ]
    at_once = KnownIndex(sorted(entities, key=lambda k: k.id))
    grown = KnownIndex()
    for known in entities:
        grown.add(known)
    for type_ in ("Person", "Place"):
        assert sorted(grown.choices(type_)) == sorted(at_once.choices(type_))
        for key in keys:
            assert grown.exact(type_, key) == at_once.exact(type_, key)
            assert grown.named(type_, key) == at_once.named(type_, key)


def test_aliases_added_later_resolve_exactly() -> None:
    index = KnownIndex([Known("b", "Person", "Sam", "sam"), Known("c", "Person", "Sal", "sal")])
    index.add_aliases("c", ["samm"])
    index.add_aliases("b", ["samm", "sammy"])
    assert index.exact("Person", "samm").id == "b"  # the smaller id wins a shared key
    assert index.exact("Person", "sammy").aliases == ("samm", "sammy")
    assert index.named("Person", "sam").aliases == ("samm", "sammy")


def test_plans_from_the_copy_build_the_graph_a_full_read_builds(api: Charlie, monkeypatch) -> None:
    api.journals.create("other")
    for text in ENTRIES:
        api.journal().entries.add(text)
        api.journal("other").entries.add(text)
    # Every job of the default journal plans with the copy, the other journal's read all.
    known = KnownEntities()
    reads = counting_reads(monkeypatch)
    client, jobs = api.backend.broker.client, api.backend.jobs
    default = api.journals.get().id
    extractor = ScriptedExtractor()
    while (claim := jobs.claim("test", lease_ms=30_000)) is not None:
        stored = read_entry(client, claim.journal_id, claim.entry_id)
        assert stored is not None
        text = entry_text(stored.title, stored.body)
        copy = known if claim.journal_id == default else None

        def plan(c=claim, t=text, k=copy, e=stored) -> Write:  # type: ignore[no-untyped-def]
            planned = plan_enrichment(
                client,
                c.journal_id,
                c.entry_id,
                c.content_hash,
                t,
                extractor.extract(t),
                known=k,
                entry=e,
            )
            return lambda pipe: queue_enrichment(pipe, c.journal_id, planned)

        watch = (version_key(claim.journal_id), blocked_key(claim.journal_id))
        assert complete(jobs.client, claim, plan=plan, watch=watch)
        if copy is not None:
            copy.committed(claim.journal_id)
    assert graph_shape(api, api.journals.get().name) == graph_shape(api, "other")
    # The other journal read its entities for each entry; the copy, once.
    assert len(reads) == len(ENTRIES) + 1
    smith = entity(api, "Alexandra Smith")
    assert api.journal().graph.entity(smith.id).mention_count == 4


def test_a_correction_by_the_user_is_seen_by_the_next_plan(api: Charlie, monkeypatch) -> None:
    known = KnownEntities()
    first = api.journal().entries.add("with [[Person:Sam Okafor]] and [[Person:Ada]].")
    enrich_queued(api, known)
    curation = api.journal().curation
    curation.rename(entity(api, "Sam Okafor").id, "Samuel Okafor")
    lovelace = api.journal().entries.add("[[Person:Ada Lovelace]] visited.")
    enrich_queued(api, known)
    curation.merge(entity(api, "Ada").id, entity(api, "Ada Lovelace").id)
    reads = counting_reads(monkeypatch)
    later = api.journal().entries.add("[[Person:Samuel Okafor]] met [[Person:Ada Lovelace]].")
    enrich_queued(api, known)
    # Renamed and merged: a stale copy would make a new Samuel, and link a deleted Ada.
    assert reads == [1]
    assert names(api, later.id) == {("Samuel Okafor", "Person"), ("Ada", "Person")}
    ada = api.journal().graph.entity(entity(api, "Ada").id)
    assert {m.entry_id for m in ada.mentions} == {first.id, lovelace.id, later.id}


def test_a_write_between_plan_and_commit_makes_the_plan_again(api: Charlie) -> None:
    known = KnownEntities()
    api.journal().entries.add("with [[Person:Noor]].")
    enrich_queued(api, known)
    entry = api.journal().entries.add("[[Person:Noor]] again, and [[Person:Quinn]].")
    noor = entity(api, "Noor").id
    # A rename lands after the plan read the copy, before the commit: the commit is
    # thrown away and planned again on the renamed entity.
    plans = enrich_queued(
        api, known, before_commit=lambda: api.journal().curation.rename(noor, "Noor Haddad")
    )
    assert plans == 2
    assert names(api, entry.id) == {("Noor Haddad", "Person"), ("Quinn", "Person")}
    assert api.journal().graph.entity(noor).mention_count == 2
    assert api.journal().graph.find_entity("Noor", type="Person").id == noor  # an alias now


def test_a_commit_that_may_prune_drops_the_copy(api: Charlie) -> None:
    known = KnownEntities()
    entry = api.journal().entries.add("with [[Person:Ada]] and [[Person:Ros]].")
    enrich_queued(api, known)
    api.journal().entries.edit(entry.id, body="with [[Person:Ros]] only.")
    enrich_queued(api, known)  # Ada is pruned: nobody mentions her any more
    assert api.journal().graph.find_entity("Ada") is None
    later = api.journal().entries.add("[[Person:Ada]] is back.")
    enrich_queued(api, known)
    # A copy that still held the pruned Ada would link the entry to nothing.
    assert names(api, later.id) == {("Ada", "Person")}


def test_a_correction_between_reading_the_entry_and_planning_it_is_seen(api: Charlie) -> None:
    known = KnownEntities()
    entry = api.journal().entries.add("with [[Person:Ada]] and [[Person:Ros]].")
    enrich_queued(api, known)
    api.journal().entries.reenrich(entry.id)
    ada = entity(api, "Ada").id
    # The entry (and what it excludes) was read before the user removed Ada from it.
    enrich_queued(
        api, known, after_read=lambda: api.journal().curation.remove_from_entry(entry.id, ada)
    )
    assert names(api, entry.id) == {("Ros", "Person")}
    assert api.journal().graph.find_entity("Ada") is None
