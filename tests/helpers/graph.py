"""Helpers for the knowledge-graph UI tests (this module holds no tests of its own).

Entities get into a test journal without a model by running the queued jobs through
the worker's own Runner in this process (``enrich_all``, shared with test_entities).
Behaviour tests use the steerable ``scripted`` extractor; snapshots use ``Lexicon``,
which finds exactly the names it is given, so their entries read as plain prose
instead of carrying ``[[Type:Name]]`` markup on screen.
"""

from __future__ import annotations

import re
from typing import Any

from textual.widgets import Static

from backend.api import CharlieAPI
from backend.graph.extractor import Entity, Extraction, Extractor, Relationship
from backend.models import EntityRef
from tests.backend.test_entities import enrich_all
from ui.app import CharlieApp
from ui.widgets.entity_list import EntityList

__all__ = ["Lexicon", "enrich_all", "entity", "list_texts", "row_targets", "text_of"]


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


def entity(api: CharlieAPI, name: str, type: str | None = None) -> EntityRef:
    """The entity called ``name`` (failing the test if there is none)."""
    found = api.find_entity(name, type=type)
    assert found is not None, f"no entity {name!r}"
    return found


def text_of(app: CharlieApp, selector: str) -> str:
    """The text a Static on the screen on top shows."""
    return str(app.screen.query_one(selector, Static).render())


def list_texts(app: CharlieApp, selector: str) -> list[str]:
    """The rows of an EntityList on the screen on top, as plain text."""
    rows = app.screen.query_one(selector, EntityList).rows
    return [str(row.prompt) for row in rows]


def row_targets(app: CharlieApp, selector: str) -> list[Any]:
    """What each row of an EntityList on the screen on top opens (None for headings)."""
    return [row.target for row in app.screen.query_one(selector, EntityList).rows]
