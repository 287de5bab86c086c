"""Importing Charlie's own JSON export (``charlie import-export FILE``): the export as a
source for the import pipeline (``backend.transfer.pipeline``), with what it holds
besides entries written by this module's hook.

Entries keep their ids (ones already present are skipped) and every property (an
entry's added and excluded names too); entities are merged by id with their properties
and type label; mentions, relationships, blocked names, retyped names and drafts are
recreated. Entries that come with mentions are not queued for enrichment; entries
without any are (as backlog). Their attachments are read from ``<file>.attachments/``
(``backend.transfer.import_attachments``), each stored before the batch writing its
entry.

The whole file is checked first (``read_export``) and nothing is written if any of it is
wrong. Then, in the pipeline: each journal is targeted by the export's id, else by its
name, else created with the export's id, name and creation time (so its graph key is the
one it had at home); a dry run stops there. Otherwise the file must still be the one
checked; a backup is taken, always (entities, blocked names, types and drafts are merged
even when no entry is new), and the file is read again to be written: entries through
the pipeline's ``EntryWriter``, entities and links after them in the pipeline's batches,
and each journal's blocked names, types and drafts at its end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from backend.drafts import Draft, drafts_key
from backend.errors import ValidationError
from backend.graph.cypher import Graph
from backend.graph.extractor import ENTITY_TYPES
from backend.graph.schema import (
    RECOUNT,
    blocked_key,
    graph_event,
    types_key,
    version_key,
)
from backend.jobs.keys import EVENTS
from backend.models import Journal, entry_tags
from backend.shared import Backend
from backend.transfer.import_attachments import ExportAttachments
from backend.transfer.json_export import attachments_folder
from backend.transfer.json_export_check import (
    SECTIONS,
    ExportPlan,
    Sink,
    file_identity,
    read_export,
    rough_cost,
    walk_export,
)
from backend.transfer.pipeline import (
    Batch,
    EntryWriter,
    Presence,
    Source,
    Summary,
    Tally,
    Target,
    Wanted,
    run_pipeline,
)

PAGE_COST = 16 * 1024 * 1024
"""A batch of an export's items (written in one query) closes at this many bytes."""


@dataclass(kw_only=True)
class JournalImport(Tally):
    """What the import did (or would do) to one journal."""

    name: str
    created: bool = False
    """The journal did not exist and was (would be) created with the export's id."""
    entities: int = 0
    mentions: int = 0
    relationships: int = 0
    blocked: int = 0
    dangling: int = 0
    """Mentions or relationships whose entry or entity is not in the file (left out)."""


@dataclass(kw_only=True)
class ExportImportSummary(Summary):
    """What ``import_json_export`` did, per journal."""

    journals: list[JournalImport] = field(default_factory=list)
    attachments: int = 0
    """Attachments (photos) of the entries written, stored from ``<file>.attachments/``
    (or found stored already)."""
    missing_attachments: list[str] = field(default_factory=list)
    """``<entry id>: <name> (why)`` of each attachment that could not be kept (the
    entry was written without it)."""

    @property
    def added(self) -> int:
        return sum(j.added for j in self.journals)

    @property
    def skipped(self) -> int:
        return sum(j.skipped for j in self.journals)


def import_json_export(
    backend: Backend, path: Path | str, *, dry_run: bool = False
) -> ExportImportSummary:
    """Import a Charlie JSON export (see the module docstring); with ``dry_run`` nothing
    is written. ValidationError, with nothing written, if the file is not a sound
    export."""
    source = Path(path).expanduser()
    max_chars = backend.settings.max_entry_chars
    plan = read_export(source, max_entry_chars=max_chars)
    return run_pipeline(backend, _ExportSource(source, plan, max_chars), dry_run=dry_run)


class _ExportSource(Source[ExportImportSummary]):
    """A checked export, as the pipeline takes it."""

    again = "what was written is kept and skipped."
    by_content = False

    def __init__(self, path: Path, plan: ExportPlan, max_entry_chars: int) -> None:
        self.path = path
        self.plan = plan
        self.max_chars = max_entry_chars
        self.new: list[set[str]] = []
        """Per journal, the ids of its entries not in its target yet."""
        self.handle: IO[bytes] | None = None

    def start(self, dry_run: bool) -> ExportImportSummary:
        self.new = []
        return ExportImportSummary(source=str(self.path), dry_run=dry_run)

    def journals(self) -> list[Wanted]:
        return [
            Wanted(j.header["name"], j.header["id"], j.header.get("created"))
            for j in self.plan.journals
        ]

    def select(
        self, n: int, target: Target, presence: Presence, summary: ExportImportSummary
    ) -> int:
        plan = self.plan.journals[n]
        new = plan.ids - presence.ids
        self.new.append(new)
        result = JournalImport(
            name=target.name,
            created=target.journal is None,
            skipped=len(plan.ids) - len(new),
            entities=plan.counts["entities"],
        )
        if summary.dry_run:
            result.added = len(new)
            result.queued = len(new - plan.mentioned)
            result.blocked = len(plan.header["blocked"])
            result.mentions = plan.counts["mentions"]
            result.relationships = plan.counts["relationships"]
        summary.journals.append(result)
        return len(new)

    def writes(self, adding: int) -> bool:
        return True  # Entities, blocked names, types and drafts are merged anyway.

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self.path.open("rb") as handle:
            if file_identity(handle) != self.plan.identity:
                raise ValidationError(
                    f"{self.path} changed while it was being checked; nothing was written. "
                    "Import it again."
                )
            self.handle = handle
            try:
                yield
            finally:
                self.handle = None

    def write(self, backend: Backend, targets: list[Target], summary: ExportImportSummary) -> None:
        """Read the checked file again and write it, a batch at a time."""
        assert self.handle is not None  # Inside writing().
        for result, target in zip(summary.journals, targets, strict=True):
            result.name, result.created = target.name, target.created
        files = ExportAttachments(backend.settings, attachments_folder(self.path))
        writer = _Writer(backend, self.plan, targets, summary.journals, self.new, files)
        try:
            # Charlie writes entries and entities before what links them, so one
            # more reading writes everything; a file in another order takes two.
            ordered = all(j.ordered for j in self.plan.journals)
            passes = [set(SECTIONS)] if ordered else [set(SECTIONS[:2]), set(SECTIONS[2:])]
            for n, sections in enumerate(passes):
                self.handle.seek(0)
                writer.sections = sections
                writer.last = n == len(passes) - 1
                walk_export(self.handle, self.path, self.max_chars, writer)
            summary.attachments, summary.missing_attachments = files.stored, files.missing
        except (ValidationError, OSError) as exc:
            # Checked through before; it must have changed since, in place.
            raise ValidationError(
                f"{self.path} could not be read again to write it ({exc}). Part of it was "
                f"written; a backup was taken first: {summary.backup}. Import it again "
                "to finish: what was written is kept and skipped."
            ) from None


class _Writer(Sink):
    """The second reading: each journal's new entries through its ``EntryWriter``, its
    entities and links in batches as they come, then its blocked names, types and
    drafts."""

    def __init__(
        self,
        backend: Backend,
        plan: ExportPlan,
        targets: list[Target],
        results: list[JournalImport],
        new: list[set[str]],
        files: ExportAttachments,
    ) -> None:
        self.backend = backend
        self.files = files
        """Stores each new entry's attachments right before the batch writing it."""
        self.plan = plan
        self.results = results
        self.new = new
        self.sections: set[str] = set(SECTIONS)
        """The lists this reading writes (the others are only read)."""
        self.last = True
        """This reading is the last: journals are finished at their end."""
        self.journals: list[Journal] = []
        self.graphs: list[Graph] = []
        self.entries: list[EntryWriter[dict[str, Any]]] = []
        for n, target in enumerate(targets):
            assert target.journal is not None  # The pipeline made it.
            self.journals.append(target.journal)
            self.graphs.append(backend.store.graph(target.journal))
            self.entries.append(
                EntryWriter(
                    backend,
                    target.journal,
                    results[n],
                    node=lambda entry, now: self.files.props(_entry_props(entry)),
                    cost=rough_cost,
                    max_cost=PAGE_COST,
                    queue=_without(plan.journals[n].mentioned),
                )
            )
        self.batches: dict[str, Batch[dict[str, Any]]] = {}

    def section(self, n: int, key: str) -> None:
        # What a list links to is written before the list: entries and entities
        # before mentions and relationships.
        self._flush_all(n)

    def _flush_all(self, n: int) -> None:
        self.entries[n].flush()
        for batch in self.batches.values():
            batch.flush()
        self.batches.clear()

    def item(self, n: int, key: str, item: dict[str, Any], at: str) -> None:
        if key not in self.sections:
            return
        if key == "entries":
            if item["id"] in self.new[n]:
                self.entries[n].add(item)
            return
        batch_key = f"{key}:{item['type']}" if key == "entities" else key
        batch = self.batches.get(batch_key)
        if batch is None:
            batch = self.batches[batch_key] = Batch(
                lambda items: self._write(n, batch_key, items), PAGE_COST
            )
        batch.add(item, rough_cost(item))

    def _write(self, n: int, batch_key: str, items: list[dict[str, Any]]) -> None:
        graph, result = self.graphs[n], self.results[n]
        key, _, label = batch_key.partition(":")
        if key == "entities":
            _write_entities(graph, label, items)
        elif key == "mentions":
            _write_mentions(graph, items, result)
        else:
            _write_relationships(graph, items, result)

    def journal(self, n: int, header: dict[str, Any]) -> None:
        self._flush_all(n)
        if not self.last:
            return
        result, counts = self.results[n], self.plan.journals[n].counts
        result.blocked = len(header["blocked"])
        result.dangling = (
            counts["mentions"] - result.mentions + counts["relationships"] - result.relationships
        )
        _finish_journal(self.backend, self.journals[n], header)


def _without(mentioned: set[str]) -> Callable[[dict[str, Any]], bool]:
    """Whether an entry is to be queued for enrichment: entries that come with
    mentions are not enriched again."""
    return lambda entry: entry["id"] not in mentioned


def _props(item: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    # A null property is no property in the graph.
    return {k: v for k, v in item.items() if v is not None and k not in drop}


def _entry_props(entry: dict[str, Any]) -> dict[str, Any]:
    """An exported entry's node: its properties, with its tags as Charlie keeps them
    (the tag words of its text and those it was given; an export from before tags has
    none, so the text's own #tags are found now) and whether it is starred."""
    props = _props(entry)
    given = props.get("tags") or ()
    props["tags"] = list(entry_tags(props["title"], props["body"], given))
    props["starred"] = props.get("starred") is True
    return props


def _write_entities(graph: Graph, label: str, page: list[dict[str, Any]]) -> None:
    """Entities of one type, merged by id with their properties and type label."""
    if label not in ENTITY_TYPES:  # Checked on reading; labels cannot be parameters.
        raise ValidationError(f"{label!r} is not an entity type.")
    graph.query(
        f"UNWIND $rows AS p MERGE (n:Entity {{id: p.id}}) SET n = p, n:{label}",
        {"rows": [_props(x) for x in page]},
    )


def _write_mentions(graph: Graph, page: list[dict[str, Any]], result: JournalImport) -> None:
    rows = graph.query(
        "UNWIND $rows AS x MATCH (e:Episode {id: x.entry}) MATCH (n:Entity {id: x.entity}) "
        "MERGE (e)-[m:MENTIONS]->(n) SET m = x.props "
        # The entities' stored counts (schema.TALLY), counted afresh in the same query.
        f"WITH collect(DISTINCT n.id) AS ids, count(m) AS made {RECOUNT.replace('$ids', 'ids')} "
        "RETURN made LIMIT 1",
        {
            "rows": [
                {
                    "entry": m["entry"],
                    "entity": m["entity"],
                    "props": _props(m, ("entry", "entity")),
                }
                for m in page
            ]
        },
    )
    result.mentions += int(rows[0][0]) if rows else 0


def _write_relationships(graph: Graph, page: list[dict[str, Any]], result: JournalImport) -> None:
    rows = graph.query(
        "UNWIND $rows AS x MATCH (a:Entity {id: x.source}) MATCH (b:Entity {id: x.target}) "
        "MERGE (a)-[r:RELATES {kind: x.kind, episode: x.episode}]->(b) SET r = x.props "
        "RETURN count(r)",
        {
            "rows": [
                {
                    "source": r["source"],
                    "target": r["target"],
                    "kind": r["kind"],
                    "episode": r["episode"],
                    "props": _props(r, ("source", "target")),
                }
                for r in page
            ]
        },
    )
    result.relationships += int(rows[0][0]) if rows else 0


def _finish_journal(backend: Backend, journal: Journal, header: dict[str, Any]) -> None:
    """Blocked names, types and drafts, once the journal's graph is in."""
    with backend.broker.client.pipeline(transaction=True) as pipe:
        if header["blocked"]:
            pipe.hset(blocked_key(journal.id), mapping=header["blocked"])
        if header["types"]:
            pipe.hset(types_key(journal.id), mapping=header["types"])
        for d in header["drafts"]:  # A draft already here is newer: keep it.
            draft = Draft(journal_id=journal.id, journal=journal.name, **d)
            pipe.hsetnx(drafts_key(journal.id), draft.id, draft.to_json())
        # Entities changed under any enrichment being planned now: make it plan again.
        pipe.incr(version_key(journal.id))
        pipe.publish(EVENTS, graph_event(journal.id))
        pipe.execute()
