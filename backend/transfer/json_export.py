"""JSON export: ``{format: "charlie-export", version: 1, exported_at, journals: [...]}``
holding every entry with all its properties, the entities, mentions, relationships,
blocked names, retyped names and drafts, so an import (``backend.transfer.json_import``)
reproduces the journal (same ids) elsewhere. The entries' attachments (photos) are copied
beside the file, into ``<file>.attachments/``, where the import reads them back.

The document is written as it is read, a page at a time (``export_reading``), to a temp
file that is fsynced and renamed over its final name: it appears whole or not at all.
An export is taken while the app may be writing; each entry is exported whole, but for
an exact point-in-time copy of everything use a backup.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from backend.attachments import export_copy, names_of, store_root
from backend.broker.atomic import atomic_file
from backend.drafts import Draft
from backend.errors import ValidationError
from backend.graph.cypher import Graph
from backend.graph.extractor import ENTITY_TYPES
from backend.graph.schema import blocked_key, types_key
from backend.models import Journal
from backend.shared import Backend
from backend.transfer.export_reading import (
    Progress,
    entries_by_id,
    entry_ids,
    journals_to_export,
    millis,
    pages,
    read_values,
)

FORMAT = "charlie-export"
VERSION = 1
_ENTITY_LABELS = " OR ".join(f"n:{label}" for label in ("Entity", *ENTITY_TYPES))


def _entities(graph: Graph) -> list[dict[str, Any]]:
    rows = read_values(
        graph,
        f"MATCH (n) WHERE {_ENTITY_LABELS} RETURN properties(n), labels(n), id(n) "
        "ORDER BY n.type, n.key, n.id",
    )
    out = []
    for props, labels, node in rows:
        item = dict(props)
        # Entities made before ids existed get a stand-in, so mentions can name them.
        item.setdefault("id", f"node-{node}")
        kinds = [label for label in labels if label in ENTITY_TYPES]
        if kinds:
            item["type"] = kinds[0]
        out.append(item)
    return out


_ENTITY_REF = "coalesce(n.id, 'node-' + toString(id(n)))"


def _mentions(graph: Graph, ids: list[str]) -> list[dict[str, Any]]:
    rows = read_values(
        graph,
        "MATCH (e:Episode)-[m:MENTIONS]->(n) WHERE e.id IN $ids "
        f"RETURN e.id, {_ENTITY_REF}, properties(m) ORDER BY e.id, {_ENTITY_REF}",
        {"ids": ids},
    )
    return [{"entry": e, "entity": n, **props} for e, n, props in rows]


def _relationships(graph: Graph, entity_ids: list[str]) -> Iterator[dict[str, Any]]:
    # Paged by source entity, so a big graph is never one query result either.
    for page in pages(entity_ids):
        rows = read_values(
            graph,
            "MATCH (n:Entity)-[r:RELATES]->(m:Entity) WHERE n.id IN $ids "
            "RETURN n.id, m.id, properties(r) ORDER BY n.id, m.id",
            {"ids": page},
        )
        for source, target, props in rows:
            yield {"source": source, "target": target, **props}


def _types(backend: Backend, journal: Journal) -> dict[str, str]:
    """The names the user retyped (see backend/corrections.py)."""
    raw: dict[Any, Any] = backend.broker.client.hgetall(types_key(journal.id))
    return {k.decode(): v.decode() for k, v in sorted(raw.items())}


def _blocked(backend: Backend, journal: Journal) -> dict[str, str]:
    raw: dict[Any, Any] = backend.broker.client.hgetall(blocked_key(journal.id))
    return {k.decode(): v.decode() for k, v in sorted(raw.items())}


def _write_list(out: IO[bytes], name: str, items: Iterator[dict[str, Any]]) -> None:
    """``"name": [...],`` with one item a line, written as the items arrive."""
    out.write(f'   "{name}": ['.encode())
    count = 0
    for item in items:
        out.write((",\n    " if count else "\n    ").encode())
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        count += 1
    out.write(("\n   ],\n" if count else "],\n").encode())


def export_json(
    backend: Backend,
    path: Path | str,
    *,
    journal: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Write every journal (or the one named) as one JSON document at ``path``; returns
    how many entries it holds. The file appears whole or not at all."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ValidationError(f"{target} is a folder; give a file name to export into.")
    journals = journals_to_export(backend, journal)
    graphs = [backend.store.graph(j) for j in journals]
    id_lists = [entry_ids(g) for g in graphs]
    total = sum(len(ids) for ids in id_lists)
    written = 0
    if progress is not None:
        progress(0, total)

    def entries(graph: Graph, ids: list[str]) -> Iterator[dict[str, Any]]:
        nonlocal written
        for page in pages(ids):
            batch = entries_by_id(graph, page)
            copy_attachments(backend, batch, attachments_folder(target))
            yield from batch
            written += len(batch)
            if progress is not None:
                progress(written, total)

    def mentions(graph: Graph, ids: list[str]) -> Iterator[dict[str, Any]]:
        for page in pages(ids):
            yield from _mentions(graph, page)

    head = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        with atomic_file(target) as out:
            out.write(json.dumps(head, ensure_ascii=False)[:-1].encode() + b',\n "journals": [')
            for n, (j, graph, ids) in enumerate(zip(journals, graphs, id_lists, strict=True)):
                out.write(b",\n  {\n" if n else b"\n  {\n")
                fields = {"id": j.id, "name": j.name, "created": millis(j.created_at)}
                for key, value in fields.items():
                    out.write(
                        f"   {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n".encode()
                    )
                _write_list(out, "entries", entries(graph, ids))
                entities = _entities(graph)
                _write_list(out, "entities", iter(entities))
                _write_list(out, "mentions", mentions(graph, ids))
                _write_list(
                    out, "relationships", _relationships(graph, [x["id"] for x in entities])
                )
                blocked = json.dumps(_blocked(backend, j), ensure_ascii=False, sort_keys=True)
                out.write(f'   "blocked": {blocked},\n'.encode())
                types = json.dumps(_types(backend, j), ensure_ascii=False, sort_keys=True)
                out.write(f'   "types": {types},\n'.encode())
                drafts = [_draft_item(d) for d in backend.drafts.of_journal(j)]
                out.write(f'   "drafts": {json.dumps(drafts, ensure_ascii=False)}\n  }}'.encode())
            out.write(b"\n ]\n}\n")
            if attachments_folder(target).is_dir():
                os.sync()  # The attachments (copied unsynced) on disk before the file is.
    except OSError as exc:
        raise ValidationError(f"Cannot write {target}: {exc}") from exc
    return written


def attachments_folder(path: Path) -> Path:
    """Where an export at ``path`` keeps its entries' attachments: ``<path>.attachments``."""
    return path.with_name(f"{path.name}.attachments")


def copy_attachments(backend: Backend, entries: list[dict[str, Any]], folder: Path) -> None:
    """Copy the attachments of ``entries`` into ``folder`` (flushed with the export).
    The entries keep their links as they are (``attachment:<name>``): importing the
    export reads the files back from ``folder`` under the same names."""
    root = store_root(backend.settings.data_dir)
    for entry in entries:
        for name in names_of(entry.get("attachments")):
            try:
                export_copy(root, name, folder)
            except OSError as exc:
                raise ValidationError(f"Cannot write {folder / name}: {exc}") from exc


DRAFT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "entry_id": (str, type(None)),
    "title": str,
    "body": str,
    "when": str,
    "base_revision": int,
    "saved_at": int,
    "tags": (str, type(None)),
}
"""A draft's fields as an export holds them, with their types (checked on import)."""
OPTIONAL_DRAFT_FIELDS = frozenset({"tags"})
"""What exports from before a field lack."""


def _draft_item(draft: Draft) -> dict[str, Any]:
    """A draft as the export keeps it (its journal is the one it is listed under)."""
    return {key: getattr(draft, key) for key in DRAFT_FIELDS}
