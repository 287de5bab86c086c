"""One journal's knowledge graph: what the pages show, and the user's corrections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.errors import NotFoundError, ValidationError
from backend.graph import corrections, curation
from backend.graph import search as graph_search
from backend.graph import views as graph_views
from backend.graph.cypher import Graph
from backend.graph.evaluation import gold_from_journal
from backend.graph.extractor import ENTITY_TYPES
from backend.graph.search_query import parse as parse_search
from backend.jobs.records import INTERACTIVE
from backend.models import (
    AuthorPage,
    EntityPage,
    EntityRef,
    EntryEntities,
    PeriodSummary,
    SearchResults,
)
from backend.services.friendly import friendly_errors
from backend.shared import JournalService
from backend.validation import local_zone


@friendly_errors
class GraphViews(JournalService):
    """Read-only views of one journal's graph, for the pages and the CLI."""

    def _graph(self) -> Graph:
        return self._backend.store.graph(self._journal)

    def entry_entities(self, entry_id: str) -> EntryEntities:
        """What an entry mentions and the relationships it states (for the reader)."""
        return graph_views.entry_entities(self._graph(), entry_id)

    def entity(self, entity_id: str, *, limit: int = 100) -> EntityPage:
        """An entity's page: quotes, first and last mention, company, relationships."""
        return graph_views.entity_page(self._graph(), entity_id, limit=limit)

    def author(self, *, now: datetime | None = None, limit: int = 10) -> AuthorPage:
        """The author's own page: entries, first and last, and their most mentioned
        people, places, groups and activities, overall and this month and year (of
        ``now``, default the machine's local time)."""
        moment = now or datetime.now(local_zone())
        return graph_views.author_page(self._graph(), now=moment, limit=limit)

    def entities(self, *, type: str | None = None, limit: int = 500) -> list[EntityRef]:
        """Entities, most mentioned first."""
        if type is not None and type not in ENTITY_TYPES:
            raise ValidationError(f"{type!r} is not a type; use one of {', '.join(ENTITY_TYPES)}.")
        return graph_views.list_entities(self._graph(), type_=type, limit=limit)

    def find_entity(self, name: str, *, type: str | None = None) -> EntityRef | None:
        """The entity called ``name`` (exactly, after normalising; or by an alias)."""
        return graph_views.find_entity(self._graph(), name, type_=type)

    def search(self, text: str, *, limit: int = 20) -> SearchResults:
        """Entries and entities matching what the user typed: words (the last one as a
        prefix; accents and case aside) and filters (``backend.graph.search_query``:
        ``journal:``, ``tag:``, ``person:``, ``place:``, ``before:``, ``after:``,
        ``starred``). A filter it cannot read raises ValidationError saying why."""
        query = parse_search(text)
        store = self._backend.store
        journal = store.journal(query.journal) if query.journal else self._journal
        graph = store.graph(journal)
        return graph_search.search(
            graph, query, zone=local_zone(), limit=limit, journal=journal.name
        )

    def period(self, year: int, month: int) -> PeriodSummary:
        """Who and what appeared in a month (local time)."""
        if not 1 <= month <= 12 or not 1 <= year <= 9999:
            raise ValidationError(f"{year}-{month:02} is not a month.")
        zone = local_zone()
        start = datetime(year, month, 1, tzinfo=zone)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
        return graph_views.period(self._graph(), start, end)

    def corrections_gold(self) -> dict[str, Any]:
        """The entries whose entities the user corrected, as a gold file `charlie eval`
        scores an extractor on (see backend.graph.evaluation.gold_from_journal)."""
        return gold_from_journal(self._graph())


@friendly_errors
class Curation(JournalService):
    """The user's corrections to one journal's graph; each holds across re-enrichment."""

    @property
    def _client(self) -> Any:
        return self._backend.broker.client

    def rename(self, entity_id: str, new_name: str) -> str:
        """Rename an entity; the old name stays an alias. Returns the stored name."""
        return curation.rename(self._client, self._journal.id, entity_id, new_name)

    def merge(self, keep_id: str, other_id: str) -> None:
        """Fold ``other_id`` into ``keep_id`` (its type wins), keeping every quote."""
        curation.merge(self._client, self._journal.id, keep_id, other_id)

    def remove_from_entry(self, entry_id: str, entity_id: str) -> None:
        """Unlink an entity from one entry, for good (re-enrichment respects it)."""
        curation.remove_from_entry(self._client, self._journal.id, entry_id, entity_id)

    def retype(self, entity_id: str, new_type: str) -> None:
        """Give an entity another type; its names are read as that type from now on."""
        corrections.retype(self._client, self._journal.id, entity_id, new_type)

    def link(self, entry_id: str, name: str, type: str) -> str:
        """Link a name the extractor missed to an entry (an existing entity of that type,
        or a new one), for good. Returns the entity's id."""
        return corrections.link(self._client, self._journal.id, entry_id, name, type)

    def split(
        self, entity_id: str, entry_ids: list[str], into: str, *, type: str | None = None
    ) -> str:
        """Move an entity's mentions in ``entry_ids`` to the entity ``into`` (new or
        existing), for good. Returns its id."""
        return corrections.split(self._client, self._journal.id, entity_id, entry_ids, into, type)

    def delete(self, entity_id: str) -> None:
        """Remove an entity from every entry."""
        curation.delete_everywhere(self._client, self._journal.id, entity_id)

    def block(self, name: str) -> int:
        """Never extract ``name`` again; removes entities called that. Returns how many."""
        return curation.block(self._client, self._journal.id, name)

    def unblock(self, name: str) -> int:
        """Allow ``name`` again and re-enrich the entries that contain it. Returns how
        many entries were queued."""
        target = self._journal
        if curation.unblock(self._client, target.id, name) is None:
            raise NotFoundError(f"{name!r} is not blocked.")
        rows = graph_views.entries_containing(self._backend.store.graph(target), name)
        jobs = self._backend.jobs
        with self._client.pipeline(transaction=True) as pipe:
            for entry_id, chash in rows:
                jobs.enqueue(target.id, entry_id, chash, priority=INTERACTIVE, pipe=pipe)
            pipe.execute()  # Each job's script wakes a worker.
        return len(rows)

    def blocked(self) -> list[str]:
        """The names never extracted in this journal."""
        return curation.blocked_names(self._client, self._journal.id)
