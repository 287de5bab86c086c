"""The worker's one read of an entry (its text with what the plan needs: exclusions,
names linked by hand, mentions) is planned from only while the entity version it was
read at holds; after any other write it is read again. Real graph, the scripted
extractor (``[[Person:Ann]]`` is an entity).
"""

from __future__ import annotations

import pytest

from backend.graph.cypher import Graph
from backend.graph.enrich import EntryRead, queue_enrichment, read_entry
from backend.graph.extractor import entry_text
from backend.graph.known import KnownEntities
from backend.graph.planning import plan_enrichment
from backend.graph.schema import blocked_key, version_key
from backend.jobs.commit import complete
from backend.jobs.records import Claim, Write
from backend.root import Charlie
from tests.helpers.scripted import ScriptedExtractor


def commit(api: Charlie, claim: Claim, read: EntryRead, known: KnownEntities) -> list[str]:
    """Plan and commit ``claim`` as the worker does; the names of the plan's mentions."""
    client = api.backend.broker.client
    text = entry_text(read.title, read.body)
    extraction = ScriptedExtractor().extract(text)
    mentioned: list[str] = []

    def plan() -> Write:
        planned = plan_enrichment(
            client,
            claim.journal_id,
            claim.entry_id,
            claim.content_hash,
            text,
            extraction,
            known=known,
            entry=read,
        )
        mentioned[:] = sorted(m.name for m in planned.mentions)
        return lambda pipe: queue_enrichment(pipe, claim.journal_id, planned)

    watch = (version_key(claim.journal_id), blocked_key(claim.journal_id))
    assert complete(api.backend.broker.client, claim, plan=plan, watch=watch)
    known.committed(claim.journal_id)
    return mentioned


@pytest.fixture
def reads(api: Charlie, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Cypher of every read-only query, as it runs."""
    seen: list[str] = []
    original = Graph.read

    def counted(self: Graph, cypher: str, params: dict[str, object] | None = None) -> object:
        seen.append(cypher)
        return original(self, cypher, params)

    monkeypatch.setattr(Graph, "read", counted)
    return seen


def two_claims(api: Charlie) -> tuple[Claim, Claim]:
    api.journal().entries.add("tea with [[Person:Ann Lee]].")
    api.journal().entries.add("walk with [[Person:Bo Chen]].")
    jobs = api.backend.jobs
    first, second = jobs.claim("test", lease_ms=30_000), jobs.claim("test", lease_ms=30_000)
    assert first is not None and second is not None
    return first, second


def test_an_entry_read_stands_while_the_version_holds(api: Charlie, reads: list[str]) -> None:
    first, _ = two_claims(api)
    client, known = api.backend.broker.client, KnownEntities()
    read = read_entry(client, first.journal_id, first.entry_id)
    assert read is not None
    reads.clear()
    named = "Ann Lee" if "Ann Lee" in read.body else "Bo Chen"
    assert commit(api, first, read, known) == [named]
    assert not any("e.added" in cypher for cypher in reads), "the entry is not read again"


def test_an_entry_read_is_read_again_after_another_write(api: Charlie, reads: list[str]) -> None:
    first, second = two_claims(api)
    client, known = api.backend.broker.client, KnownEntities()
    first_read = read_entry(client, first.journal_id, first.entry_id)
    second_read = read_entry(client, second.journal_id, second.entry_id)
    assert first_read is not None and second_read is not None
    commit(api, first, first_read, known)
    # The worker's commit of another entry, then the user links a name by hand to the
    # entry read before both: its read is stale now.
    api.journal().curation.link(second.entry_id, "Kim Park", "Person")
    reads.clear()
    mentioned = commit(api, second, second_read, known)
    assert "Kim Park" in mentioned
    assert any("e.added" in cypher for cypher in reads), reads
    graph = api.backend.store.graph(api.journals.get())
    rows = graph.read(
        "MATCH (:Episode {id: $id})-[m:MENTIONS]->(n) RETURN n.name ORDER BY n.name",
        {"id": second.entry_id},
    )
    assert [row[0] for row in rows] == mentioned, "each name mentioned once"
