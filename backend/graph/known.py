"""A worker's copy of each journal's entities, so that planning an entry reads only it.

Resolving an entry's names needs every entity of its journal. Reading them all (and
indexing them) for each entry made a backlog O(entities) per entry; a worker keeps them
here instead, each journal's copy valid at one entity version (``version_key``). Every
write to a journal's entities bumps that version in its own transaction, and an
enrichment commit WATCHes it from before the plan reads it until the EXEC:

- a plan uses the copy only when the version it reads (under the WATCH) is the copy's,
  and otherwise reads the entities again; if the version moves before the EXEC, the
  commit is discarded and planned again. A plan is never committed on a stale view;
- when this worker's own commit succeeded, ``committed`` applies the plan to the copy
  (its new entities and aliases) and moves the copy to the next version: the EXEC found
  the watched version unchanged and raised it by exactly one, with nothing but this
  plan's writes. So the next plan reads no entities unless someone else wrote some.

A commit that may have deleted entities (a re-read entry's old mentions, pruned if no
other entry names them) drops the copy instead: what was pruned is not known here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.graph.resolution import Known, KnownIndex


@dataclass
class _Copy:
    version: int
    index: KnownIndex


@dataclass
class KnownEntities:
    """The copies one worker keeps (one per journal it has enriched entries of)."""

    _copies: dict[str, _Copy] = field(default_factory=dict)
    # The last plan made from a copy, per journal, until its commit is known to be done.
    _pending: dict[str, tuple[int, list[Known], dict[str, list[str]], bool]] = field(
        default_factory=dict
    )

    def index(self, journal_id: str, version: int) -> KnownIndex | None:
        """The journal's entities at ``version``, or None if this copy is not of it."""
        self._pending.pop(journal_id, None)
        copy = self._copies.get(journal_id)
        return copy.index if copy is not None and copy.version == version else None

    def keep(self, journal_id: str, version: int, index: KnownIndex) -> None:
        """Remember the entities just read at ``version``."""
        self._copies[journal_id] = _Copy(version, index)

    def planned(
        self,
        journal_id: str,
        version: int,
        created: list[Known],
        aliases: dict[str, list[str]],
        *,
        may_delete: bool,
    ) -> None:
        """A plan was made at ``version``: what its commit adds to the journal's entities
        (``created``, and alias keys by entity id), and whether it may delete some."""
        self._pending[journal_id] = (version, created, aliases, may_delete)

    def committed(self, journal_id: str) -> None:
        """The last plan made for the journal was committed (call only when the commit
        reported success): the copy moves to the version that commit wrote."""
        pending = self._pending.pop(journal_id, None)
        copy = self._copies.get(journal_id)
        if pending is None or copy is None or copy.version != pending[0]:
            return
        version, created, aliases, may_delete = pending
        if may_delete:
            del self._copies[journal_id]
            return
        for entity in created:
            copy.index.add(entity)
        for entity_id, keys in aliases.items():
            copy.index.add_aliases(entity_id, keys)
        copy.version = version + 1

    def forget(self, journal_id: str) -> None:
        self._copies.pop(journal_id, None)
        self._pending.pop(journal_id, None)
