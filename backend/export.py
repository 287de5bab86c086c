"""Exports (Markdown files, one JSON document) and the import of Charlie's own JSON export.

Markdown: one file per entry, ``YYYY-MM-DD-<slug>-<id8>.md``, with YAML front matter (id,
title, date with the entry's own offset, timezone, journal) and the body after it byte
for byte. JSON: ``{format: "charlie-export", version: 1, exported_at, journals: [...]}``
holding every entry with all its properties, the entities, mentions, relationships and
blocked names, so an import reproduces the journal (same ids) elsewhere.

Every file is written to a temp file and renamed over its final name, so a crash never
leaves a half file under that name (the JSON file is fsynced first; Markdown files are
flushed to disk all at once at the end, since one fsync per file made a 10,000-entry
export take minutes). Entries are read page by page, so a large journal is never one
query result. An export is taken while the app may be writing; each entry is exported
whole, but for an exact point-in-time copy of everything use a backup.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import redis
from falkordb.query_result import parse_scalar  # type: ignore[import-untyped]

from backend.backup import atomic_file, fsync_dir, snapshot
from backend.drafts import Draft, drafts_key
from backend.enrich import blocked_key, types_key, version_key
from backend.errors import BrokerError, ValidationError
from backend.extractor import ENTITY_TYPES, RELATION_KINDS
from backend.importing import TooBig, json_document_limit, read_limited, too_many_json_values
from backend.jobs import BACKLOG, EVENTS
from backend.models import Journal, from_epoch_and_offset
from backend.store import JOURNALS_KEY, Graph, Store, entries_event, graph_event
from backend.validation import check_body, check_journal_name, check_title

if TYPE_CHECKING:
    from backend.api import CharlieAPI

FORMAT = "charlie-export"
VERSION = 1
PAGE = 200
SLUG_CHARS = 40
# progress(done, total): entries written so far out of all entries being exported.
Progress = Callable[[int, int], None]
_HEX_ID = re.compile(r"[0-9a-f]{16}")  # Entry and journal ids (always fullmatch).
_PROPERTY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The seconds a datetime can hold (years 1 to 9999): a time outside would break every
# list of the journal, so it is refused on the way in.
_FIRST_SECOND = int(datetime(1, 1, 2, tzinfo=UTC).timestamp())
_LAST_SECOND = int(datetime(9999, 12, 30, tzinfo=UTC).timestamp())
_ENTITY_LABELS = " OR ".join(f"n:{label}" for label in ("Entity", *ENTITY_TYPES))


# -- reading the graph --------------------------------------------------------------------


def read_values(graph: Graph, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
    """Rows of a read-only query with lists and maps as Python values (compact replies:
    the verbose ones render lists and maps as text)."""
    _, key, text = graph.command(cypher, params)
    reply = graph.client.execute_command("GRAPH.RO_QUERY", key, text, "--compact")
    if len(reply) < 3:
        return []
    return [[parse_scalar(cell, None) for cell in row] for row in reply[1]]


def _journals(api: CharlieAPI, journal: str | None) -> list[Journal]:
    return [api.journal(journal)] if journal is not None else api.list_journals()


def _entry_ids(graph: Graph) -> list[str]:
    """Every entry id, oldest entry first (ids only: small even for a big journal)."""
    rows = graph.read("MATCH (e:Episode) RETURN e.id ORDER BY e.entry_at, e.id")
    return [row[0] for row in rows]


def _pages(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), PAGE):
        yield ids[start : start + PAGE]


def _entries(graph: Graph, ids: list[str]) -> list[dict[str, Any]]:
    """The entries with these ids, all properties, in the order of ``ids`` (an entry
    deleted since the ids were read is left out)."""
    rows = read_values(
        graph, "MATCH (e:Episode) WHERE e.id IN $ids RETURN properties(e)", {"ids": ids}
    )
    by_id = {row[0]["id"]: dict(row[0]) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


# -- Markdown ---------------------------------------------------------------------------


def slug(text: str) -> str:
    """Lowercase ASCII words joined by '-', at most SLUG_CHARS long ("" if none)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", folded.lower())
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > SLUG_CHARS:
            break
        out = candidate
    return out or (words[0][:SLUG_CHARS] if words else "")


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar. JSON's escapes are YAML's; the Unicode line and
    paragraph separators are escaped too, since YAML 1.1 readers break lines on them."""
    quoted = json.dumps(text, ensure_ascii=False)
    return quoted.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\x85")


def offset_text(minutes: int) -> str:
    """A UTC offset in minutes as ``+HH:MM``."""
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def markdown_file(entry: dict[str, Any], journal: str) -> bytes:
    """One entry as a Markdown file: front matter, then the body exactly as stored."""
    when = from_epoch_and_offset(entry["entry_at"], entry["utc_offset"])
    front = (
        "---\n"
        f"id: {_yaml_string(entry['id'])}\n"
        f"title: {_yaml_string(entry.get('title') or '')}\n"
        f"date: {_yaml_string(when.isoformat())}\n"
        f"timezone: {_yaml_string(offset_text(entry['utc_offset']))}\n"
        f"journal: {_yaml_string(journal)}\n"
        "---\n"
    )
    return front.encode("utf-8") + entry["body"].encode("utf-8")


def markdown_name(entry: dict[str, Any], taken: set[str]) -> str:
    """``YYYY-MM-DD-<slug>-<id8>.md``, made unique against ``taken`` (then added to it)."""
    when = from_epoch_and_offset(entry["entry_at"], entry["utc_offset"])
    words = slug(entry.get("title") or "") or slug(" ".join(entry["body"].split()[:8]))
    stem = f"{when:%Y-%m-%d}-{words or 'entry'}"
    entry_id = re.sub(r"[^0-9a-zA-Z]", "", entry["id"]) or "x"
    name = f"{stem}-{entry_id[:8]}.md"
    n = 1
    while name.casefold() in taken:
        # Two entries share the first 8 id digits (or a case-insensitive file system
        # would fold two names together): the whole id, then a counter, keeps them apart.
        n += 1
        name = f"{stem}-{entry_id}.md" if n == 2 else f"{stem}-{entry_id}-{n}.md"
    taken.add(name.casefold())
    return name


def export_markdown(
    api: CharlieAPI,
    directory: Path | str,
    *,
    journal: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Write one Markdown file per entry into ``directory`` (created if needed); all
    journals unless ``journal`` names one. Returns how many files were written."""
    target = Path(directory).expanduser()
    if target.exists() and not target.is_dir():
        raise ValidationError(f"{target} is a file; give a folder to export into.")
    try:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"Cannot create the folder {target}: {exc}") from exc
    plan = [(j, api.store.graph(j)) for j in _journals(api, journal)]
    id_lists = [_entry_ids(graph) for _, graph in plan]
    total = sum(len(ids) for ids in id_lists)
    taken: set[str] = set()
    written = 0
    if progress is not None:
        progress(0, total)
    for (journal_obj, graph), ids in zip(plan, id_lists, strict=True):
        for page in _pages(ids):
            for entry in _entries(graph, page):
                path = target / markdown_name(entry, taken)
                try:
                    # Flushed all at once below (see the module docstring).
                    with atomic_file(path, sync=False) as handle:
                        handle.write(markdown_file(entry, journal_obj.name))
                except OSError as exc:
                    raise ValidationError(f"Cannot write {path}: {exc}") from exc
                written += 1
            if progress is not None:
                progress(written, total)
    os.sync()
    fsync_dir(target)
    return written


# -- JSON -------------------------------------------------------------------------------------


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
    for page in _pages(entity_ids):
        rows = read_values(
            graph,
            "MATCH (n:Entity)-[r:RELATES]->(m:Entity) WHERE n.id IN $ids "
            "RETURN n.id, m.id, properties(r) ORDER BY n.id, m.id",
            {"ids": page},
        )
        for source, target, props in rows:
            yield {"source": source, "target": target, **props}


def _types(api: CharlieAPI, journal: Journal) -> dict[str, str]:
    """The names the user retyped (see backend/corrections.py)."""
    raw: dict[Any, Any] = api.broker.client.hgetall(types_key(journal.id))
    return {k.decode(): v.decode() for k, v in sorted(raw.items())}


def _blocked(api: CharlieAPI, journal: Journal) -> dict[str, str]:
    raw: dict[Any, Any] = api.broker.client.hgetall(blocked_key(journal.id))
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
    api: CharlieAPI,
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
    journals = _journals(api, journal)
    graphs = [api.store.graph(j) for j in journals]
    id_lists = [_entry_ids(g) for g in graphs]
    total = sum(len(ids) for ids in id_lists)
    written = 0
    if progress is not None:
        progress(0, total)

    def entries(graph: Graph, ids: list[str]) -> Iterator[dict[str, Any]]:
        nonlocal written
        for page in _pages(ids):
            batch = _entries(graph, page)
            yield from batch
            written += len(batch)
            if progress is not None:
                progress(written, total)

    def mentions(graph: Graph, ids: list[str]) -> Iterator[dict[str, Any]]:
        for page in _pages(ids):
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
                fields = {"id": j.id, "name": j.name, "created": _millis(j.created_at)}
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
                blocked = json.dumps(_blocked(api, j), ensure_ascii=False, sort_keys=True)
                out.write(f'   "blocked": {blocked},\n'.encode())
                types = json.dumps(_types(api, j), ensure_ascii=False, sort_keys=True)
                out.write(f'   "types": {types},\n'.encode())
                drafts = [_draft_item(d) for d in api.drafts.of_journal(j)]
                out.write(f'   "drafts": {json.dumps(drafts, ensure_ascii=False)}\n  }}'.encode())
            out.write(b"\n ]\n}\n")
    except OSError as exc:
        raise ValidationError(f"Cannot write {target}: {exc}") from exc
    return written


_DRAFT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "entry_id": (str, type(None)),
    "title": str,
    "body": str,
    "when": str,
    "base_revision": int,
    "saved_at": int,
}


def _draft_item(draft: Draft) -> dict[str, Any]:
    """A draft as the export keeps it (its journal is the one it is listed under)."""
    return {key: getattr(draft, key) for key in _DRAFT_FIELDS}


def _check_draft(d: Any, where: str) -> None:
    if not isinstance(d, dict) or set(d) != set(_DRAFT_FIELDS):
        raise _problem(where, f"a draft must have exactly {', '.join(_DRAFT_FIELDS)}")
    for key, kind in _DRAFT_FIELDS.items():
        _need(d, key, kind, where)
    if not d["id"].isalnum() or len(d["id"]) > 64:
        raise _problem(where, f"{d['id']!r} is not a draft id")


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# -- importing a JSON export ---------------------------------------------------------------


@dataclass
class JournalImport:
    """What the import did (or would do) to one journal."""

    name: str
    created: bool = False
    """The journal did not exist and was (would be) created with the export's id."""
    added: int = 0
    skipped: int = 0
    """Entries whose id is already in the journal."""
    entities: int = 0
    mentions: int = 0
    relationships: int = 0
    blocked: int = 0
    dangling: int = 0
    """Mentions or relationships whose entry or entity is not in the file (left out)."""
    queued: int = 0
    """New entries without mentions in the file, queued for enrichment."""


@dataclass
class ExportImportSummary:
    """What ``import_json_export`` did, per journal."""

    source: str
    dry_run: bool
    journals: list[JournalImport] = field(default_factory=list)
    backup: str = ""
    """The backup taken before writing ("" for a dry run)."""

    @property
    def added(self) -> int:
        return sum(j.added for j in self.journals)

    @property
    def skipped(self) -> int:
        return sum(j.skipped for j in self.journals)


def _problem(where: str, what: str) -> ValidationError:
    return ValidationError(f"{where}: {what}")


def _need(item: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(item, dict):
        raise _problem(where, "is not an object")
    value = item.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise _problem(where, f"{key!r} is missing or not the right type")
    return value


def read_export(path: Path, *, max_entry_chars: int = 100_000) -> dict[str, Any]:
    """The export document in ``path``, checked through before anything is written.

    It is parsed whole, so, like every import, it is read only up to the JSON limit that
    follows ``max_entry_chars`` (``backend.importing.json_document_limit``): 300 MB of
    JSON would be some 1.5 GB of Python objects."""
    limit = json_document_limit(max_entry_chars)
    advice = (
        f"Charlie reads exports of up to {limit:,} bytes in one import (a limit that "
        "follows the max_entry_chars setting, so that an import's memory stays bounded). "
        "Export one journal at a time (charlie export json --journal NAME FILE) and import "
        "each file, or raise max_entry_chars."
    )
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise ValidationError(f"{path} is {size:,} bytes; {advice}")
            data = read_limited(handle, limit)
    except TooBig:  # It grew since it was measured, or it is not a regular file.
        raise ValidationError(f"{path} is more than {limit:,} bytes; {advice}") from None
    except FileNotFoundError:
        raise ValidationError(f"{path} does not exist.") from None
    except OSError as exc:
        raise ValidationError(f"{path} is not a readable JSON file: {exc}") from None
    dense = too_many_json_values(data, limit)
    if dense:
        raise ValidationError(f"{path} {dense} {advice}")
    try:
        # What json.loads does with bytes, but the bytes go before the objects come.
        text = data.decode(json.detect_encoding(data), "surrogatepass")
        del data
        doc = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path} is not a readable JSON file: {exc}") from None
    except RecursionError:
        raise ValidationError(f"{path} is nested too deeply to be a Charlie export.") from None
    del text
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValidationError(f'{path} is not a Charlie export (no "format": "{FORMAT}").')
    if doc.get("version") != VERSION:
        raise ValidationError(
            f"{path} is a version {doc.get('version')} export; this Charlie reads {VERSION}."
        )
    journals = doc.get("journals")
    if not isinstance(journals, list):
        raise ValidationError(f"{path} has no list of journals.")
    for n, j in enumerate(journals):
        _check_journal(j, f"{path}, journal {n + 1}", max_entry_chars)
    return doc


def _check_journal(j: Any, where: str, max_entry_chars: int) -> None:
    # The id becomes part of Redis key names, so it must look like one Charlie makes.
    if not _HEX_ID.fullmatch(_need(j, "id", str, where)):
        raise _problem(where, f"{j['id']!r} is not a journal id (16 hex digits)")
    name = _need(j, "name", str, where)
    try:
        check_journal_name(name)
    except ValidationError as exc:
        raise _problem(where, str(exc)) from None
    where = f"{where} ({name})"
    for key in ("entries", "entities", "mentions", "relationships"):
        _need(j, key, list, where)
    blocked = _need(j, "blocked", dict, where)
    if not all(isinstance(v, str) for v in blocked.values()):
        raise _problem(where, "a blocked name is not text")
    types = j.get("types", {})  # Exports from before retyping have none.
    if not isinstance(types, dict) or not all(v in ENTITY_TYPES for v in types.values()):
        raise _problem(where, f"'types' must map names to one of {', '.join(ENTITY_TYPES)}")
    for n, d in enumerate(j.get("drafts", [])):  # Exports from before drafts have none.
        _check_draft(d, f"{where}, draft {n + 1}")
    ids: set[str] = set()
    for n, e in enumerate(j["entries"]):
        at = f"{where}, entry {n + 1}"
        entry_id = _need(e, "id", str, at)
        if not _HEX_ID.fullmatch(entry_id):
            raise _problem(at, f"{entry_id!r} is not an entry id (16 hex digits)")
        if entry_id in ids:
            raise _problem(at, f"the id {entry_id} appears twice")
        ids.add(entry_id)
        try:
            # The same checks as an entry typed in the app.
            if check_title(_need(e, "title", str, at)) != e["title"]:
                raise ValidationError("the title has spaces around it")
            check_body(_need(e, "body", str, at), max_entry_chars)
        except ValidationError as exc:
            raise _problem(at, str(exc)) from None
        for key in ("entry_at", "utc_offset", "created_at", "updated_at"):
            _need(e, key, int, at)
        if not -24 * 60 < e["utc_offset"] < 24 * 60:
            raise _problem(at, f"the UTC offset {e['utc_offset']} minutes is out of range")
        if not _FIRST_SECOND <= e["entry_at"] <= _LAST_SECOND:
            raise _problem(at, f"the time {e['entry_at']} is not between the years 1 and 9999")
        for key in ("created_at", "updated_at"):
            if not _FIRST_SECOND * 1000 <= e[key] <= _LAST_SECOND * 1000:
                raise _problem(at, f"{key} {e[key]} is not between the years 1 and 9999")
        _need(e, "content_hash", str, at)
        _check_values(e, at)
    for n, x in enumerate(j["entities"]):
        at = f"{where}, entity {n + 1}"
        _need(x, "id", str, at)
        _need(x, "name", str, at)
        if _need(x, "type", str, at) not in ENTITY_TYPES:
            raise _problem(at, f"type {x['type']!r} is not one of {', '.join(ENTITY_TYPES)}")
        _check_values(x, at)
    for n, m in enumerate(j["mentions"]):
        at = f"{where}, mention {n + 1}"
        _need(m, "entry", str, at)
        _need(m, "entity", str, at)
        _check_values(m, at)
    for n, r in enumerate(j["relationships"]):
        at = f"{where}, relationship {n + 1}"
        _need(r, "source", str, at)
        _need(r, "target", str, at)
        _need(r, "episode", str, at)
        if _need(r, "kind", str, at) not in RELATION_KINDS:
            raise _problem(at, f"kind {r['kind']!r} is not one of {', '.join(RELATION_KINDS)}")
        _check_values(r, at)


def _check_values(item: dict[str, Any], where: str) -> None:
    """Graph properties are scalars or lists of scalars; keys must be plain names."""
    scalar = (str, int, float, bool)
    for key, value in item.items():
        if not _PROPERTY.fullmatch(key):
            raise _problem(where, f"{key!r} is not a property name")
        if isinstance(value, list):
            if not all(isinstance(v, scalar) for v in value):
                raise _problem(where, f"{key!r} holds something other than plain values")
        elif value is not None and not isinstance(value, scalar):
            raise _problem(where, f"{key!r} is not a plain value")


def _target(api: CharlieAPI, j: dict[str, Any], dry_run: bool) -> tuple[Journal | None, bool]:
    """The journal to import into: the one with the export's id, else the one with its
    name, else a new one with the export's id and name (None for a dry run)."""
    for found in api.store.list_journals():
        if found.id == j["id"]:
            return found, False
    by_name = api.store.find_journal(j["name"])
    if by_name is not None:
        return by_name, False
    if dry_run:
        return None, True
    return _create_journal(api, j), True


def _create_journal(api: CharlieAPI, j: dict[str, Any]) -> Journal:
    """A journal with the export's own id (so its graph key is the same as at home)."""
    created = int(j.get("created") or _millis(datetime.now(UTC)))
    client = api.broker.client
    blob = json.dumps({"name": j["name"], "created": created})
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(JOURNALS_KEY)
                current = pipe.hgetall(JOURNALS_KEY)
                if any(
                    json.loads(b)["name"].casefold() == j["name"].casefold()
                    for b in current.values()
                ):
                    pipe.unwatch()
                    raise ValidationError(f"A journal called {j['name']!r} appeared meanwhile.")
                pipe.multi()
                pipe.hset(JOURNALS_KEY, j["id"], blob)
                pipe.execute()
                break
            except redis.WatchError:
                continue
    journal = api.store.journal(j["name"])
    # The same indexes a journal made by the app gets.
    Store._create_indexes(api.store.graph(journal))
    return journal


def import_json_export(
    api: CharlieAPI, path: Path | str, *, dry_run: bool = False
) -> ExportImportSummary:
    """Import a Charlie JSON export: entries keep their ids (ones already present are
    skipped), entities are merged by id with their properties and type label, mentions,
    relationships and blocked names are recreated. Entries that come with mentions are
    not queued for enrichment; entries without any are (as backlog).

    The whole file is checked first, then a backup is taken (reason "import"); with
    ``dry_run`` nothing is written."""
    source = Path(path).expanduser()
    doc = read_export(source, max_entry_chars=api.settings.max_entry_chars)
    summary = ExportImportSummary(source=str(source), dry_run=dry_run)
    if not dry_run:
        summary.backup = str(snapshot(api, reason="import"))
    try:
        for j in doc["journals"]:
            summary.journals.append(_import_journal(api, j, dry_run))
    except redis.RedisError as exc:
        raise BrokerError(
            f"Lost contact with the Charlie database during the import ({exc}). Run the "
            "same import again: what was written is kept and skipped."
        ) from exc
    return summary


def _import_journal(api: CharlieAPI, j: dict[str, Any], dry_run: bool) -> JournalImport:
    target, created = _target(api, j, dry_run)
    result = JournalImport(name=target.name if target else j["name"], created=created)
    entries: list[dict[str, Any]] = j["entries"]
    present: set[str] = set()
    graph = api.store.graph(target) if target is not None else None
    if graph is not None:
        for page in _pages([e["id"] for e in entries]):
            rows = graph.read("MATCH (e:Episode) WHERE e.id IN $ids RETURN e.id", {"ids": page})
            present.update(row[0] for row in rows)
    mentioned = {m["entry"] for m in j["mentions"]}
    new = [e for e in entries if e["id"] not in present]
    result.added, result.skipped = len(new), len(entries) - len(new)
    result.queued = sum(1 for e in new if e["id"] not in mentioned)
    result.entities = len(j["entities"])
    result.blocked = len(j["blocked"])
    if dry_run or target is None or graph is None:
        result.mentions, result.relationships = len(j["mentions"]), len(j["relationships"])
        return result
    _write_entries(api, target, graph, new, mentioned)
    _write_graph(api, target, graph, j, result)
    return result


def _props(item: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    # A null property is no property in the graph.
    return {k: v for k, v in item.items() if v is not None and k not in drop}


def _write_entries(
    api: CharlieAPI,
    journal: Journal,
    graph: Graph,
    new: list[dict[str, Any]],
    mentioned: set[str],
) -> None:
    """Entries in batches; each batch commits in one MULTI with its enrichment jobs."""
    for page_start in range(0, len(new), PAGE):
        batch = new[page_start : page_start + PAGE]
        with api.broker.client.pipeline(transaction=True) as pipe:
            pipe.execute_command(
                *graph.command(
                    # MERGE: an entry that appeared since the presence check stays as is.
                    "UNWIND $rows AS p MERGE (e:Episode {id: p.id}) ON CREATE SET e = p",
                    {"rows": [_props(e) for e in batch]},
                )
            )
            for e in batch:
                if e["id"] not in mentioned:
                    api.jobs.enqueue(
                        journal.id, e["id"], e["content_hash"], priority=BACKLOG, pipe=pipe
                    )
            pipe.publish(EVENTS, entries_event(journal.id, len(batch)))
            pipe.execute()
        if any(e["id"] not in mentioned for e in batch):
            # A lost wake-up is harmless: the owner's sweeper re-sends it.
            api.wakeups.send(priority=0)


def _write_graph(
    api: CharlieAPI, journal: Journal, graph: Graph, j: dict[str, Any], result: JournalImport
) -> None:
    """Entities (merged by id), then mentions and relationships, then blocked names."""
    client = api.broker.client
    for label in ENTITY_TYPES:
        items = [_props(x) for x in j["entities"] if x["type"] == label]
        for start in range(0, len(items), PAGE):
            # The label comes from ENTITY_TYPES, never from the file (labels cannot be
            # query parameters).
            graph.query(
                f"UNWIND $rows AS p MERGE (n:Entity {{id: p.id}}) SET n = p, n:{label}",
                {"rows": items[start : start + PAGE]},
            )
    mentions = [
        {"entry": m["entry"], "entity": m["entity"], "props": _props(m, ("entry", "entity"))}
        for m in j["mentions"]
    ]
    linked = 0
    for start in range(0, len(mentions), PAGE):
        rows = graph.query(
            "UNWIND $rows AS x MATCH (e:Episode {id: x.entry}) MATCH (n:Entity {id: x.entity}) "
            "MERGE (e)-[m:MENTIONS]->(n) SET m = x.props RETURN count(m)",
            {"rows": mentions[start : start + PAGE]},
        )
        linked += int(rows[0][0]) if rows else 0
    relationships = [
        {
            "source": r["source"],
            "target": r["target"],
            "kind": r["kind"],
            "episode": r["episode"],
            "props": _props(r, ("source", "target")),
        }
        for r in j["relationships"]
    ]
    related = 0
    for start in range(0, len(relationships), PAGE):
        rows = graph.query(
            "UNWIND $rows AS x MATCH (a:Entity {id: x.source}) MATCH (b:Entity {id: x.target}) "
            "MERGE (a)-[r:RELATES {kind: x.kind, episode: x.episode}]->(b) SET r = x.props "
            "RETURN count(r)",
            {"rows": relationships[start : start + PAGE]},
        )
        related += int(rows[0][0]) if rows else 0
    result.mentions, result.relationships = linked, related
    result.dangling = len(mentions) - linked + len(relationships) - related
    with client.pipeline(transaction=True) as pipe:
        if j["blocked"]:
            pipe.hset(blocked_key(journal.id), mapping=j["blocked"])
        if j.get("types"):
            pipe.hset(types_key(journal.id), mapping=j["types"])
        for d in j.get("drafts", []):  # A draft already here is newer: keep it.
            draft = Draft(journal_id=journal.id, journal=journal.name, **d)
            pipe.hsetnx(drafts_key(journal.id), draft.id, draft.to_json())
        # Entities changed under any enrichment being planned now: make it plan again.
        pipe.incr(version_key(journal.id))
        pipe.publish(EVENTS, graph_event(journal.id))
        pipe.execute()
