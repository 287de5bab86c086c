"""Helpers for the knowledge-graph tests, backend and UI alike.

Entities get into a test journal without a model by running the queued jobs through
the worker's own Runner in this process (``enrich_all``). Behaviour tests use the
steerable ``scripted`` extractor; snapshots use ``Lexicon``, which finds exactly the
names it is given, so their entries read as plain prose instead of carrying
``[[Type:Name]]`` markup on screen.
"""

from __future__ import annotations

import re

from backend.graph.extractor import Entity, Extraction, Extractor, Relationship
from backend.jobs.worker import Runner
from backend.models import EntityRef
from backend.root import Charlie
from tests.helpers.scripted import ScriptedExtractor


class Lexicon(Extractor):
    """A stand-in for the model that finds the names of a fixed lexicon (as whole words,
    case as given) and states the given relationships when both ends are in the text."""

    name = "lexicon"

    def __init__(
        self, names: dict[str, str], relations: tuple[tuple[str, str, str], ...] = ()
    ) -> None:
        super().__init__()
        self.names = names
        """Name -> type."""
        self.relations = relations
        """(source name, kind, target name)."""

    def extract(self, text: str) -> Extraction:
        found = [name for name in self.names if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text)]
        entities = [Entity(name, self.names[name]) for name in found]
        sentences = re.split(r"(?<=[.!?])\s+|\n+", text)
        relationships = [
            Relationship(
                Entity(source, self.names[source]),
                kind,
                Entity(target, self.names[target]),
                # As a model would: the sentence that says it.
                next((s for s in sentences if source in s and target in s), ""),
            )
            for source, kind, target in self.relations
            if source in found and target in found
        ]
        return Extraction(entities=entities, relationships=relationships)


def enrich_all(api: Charlie, *, extractor: Extractor | None = None) -> None:
    """Run every queued job through the worker's own Runner in this process (the scripted
    extractor unless another is given) and check that none is left queued."""
    runner = Runner(
        jobs=api.backend.jobs,
        client=api.backend.broker.client,
        extractor=extractor or ScriptedExtractor(),
        worker_id="test",
        lease_ms=30_000,
    )
    runner.drain()
    assert api.queue.job_counts()["queued"] == 0


def again(api: Charlie, *entry_ids: str) -> None:
    """Enrich these entries again, as `r` in the reader does."""
    for entry_id in entry_ids:
        api.journal().entries.reenrich(entry_id)
    enrich_all(api)


def entity(api: Charlie, name: str, type: str | None = None) -> EntityRef:
    """The entity called ``name`` (failing the test if there is none)."""
    found = api.journal().graph.find_entity(name, type=type)
    assert found is not None, f"no entity {name!r}"
    return found


def names(api: Charlie, entry_id: str) -> set[tuple[str, str]]:
    """(name, type) of every entity the entry mentions."""
    return {
        (ref.name, ref.type) for ref, _ in api.journal().graph.entry_entities(entry_id).mentions
    }


def graph_is_clean(api: Charlie) -> None:
    """No entity without a mention, no relationship to an entity nobody mentions."""
    graph = api.backend.store.graph(api.journals.get())
    orphans = graph.read("MATCH (n:Entity) WHERE NOT ()-[:MENTIONS]->(n) RETURN n.name")
    assert orphans == []
    dangling = graph.read(
        "MATCH (a)-[r:RELATES]->(b) OPTIONAL MATCH (e:Episode {id: r.episode}) "
        "WITH r, e WHERE e IS NULL RETURN r.kind"
    )
    assert dangling == []
