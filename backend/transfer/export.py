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
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import redis
from falkordb.query_result import parse_scalar  # type: ignore[import-untyped]

from backend.drafts import Draft, drafts_key
from backend.errors import BrokerError, ValidationError
from backend.graph.enrich import blocked_key, types_key, version_key
from backend.graph.extractor import ENTITY_TYPES, RELATION_KINDS
from backend.graph.store import JOURNALS_KEY, Graph, Store, entries_event, graph_event
from backend.jobs.records import BACKLOG, EVENTS
from backend.models import Journal, from_epoch_and_offset
from backend.transfer.backup import atomic_file, fsync_dir, snapshot
from backend.transfer.importing import import_keep_limit, json_value_limit, value_too_big
from backend.transfer.json_stream import JsonProblem, JsonReader, ValueTooBig, ValueTooCostly
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


# The export is read twice, a value at a time (backend.transfer.json_stream): once to check all of
# it and learn what it holds (``ExportPlan``), then, after the backup, again to write it
# page by page. So an export of any size is imported in the memory of a page of entries
# plus, for each entry, its id (the plan), never the whole document.

SECTIONS = ("entries", "entities", "mentions", "relationships")
"""The lists each journal of an export holds, written in this order (entries and
entities before the mentions and relationships that link them)."""
PAGE_COST = 16 * 1024 * 1024
"""A page written in one query closes at this many bytes of items (or ``PAGE`` items)."""
ITEM_MULTIPLE = 8
"""One item of an export (an entry with all its properties) may cost this many times
``max_entry_chars`` bytes in memory, plus ``ITEM_ROOM`` (a full entry is 4 bytes a
character at worst, besides its title and properties)."""
ITEM_ROOM = 1024 * 1024
HEADER_SHARE = 4
"""A journal's blocked names, types and drafts together may cost this fraction of
``import_keep_limit`` (16 MB by default)."""
ID_COST = 120
"""What the plan holds for each entry id (the id and its place in a set)."""


@dataclass
class _JournalPlan:
    """One journal of an export as its first reading found it: all but its entries and
    graph, which are read again to be written."""

    where: str
    header: dict[str, Any] = field(default_factory=dict)
    """id, name, created, blocked, types, drafts, checked."""
    ids: set[str] = field(default_factory=set)
    """Its entries' ids."""
    mentioned: set[str] = field(default_factory=set)
    """The ids of its entries that come with mentions (not enriched again)."""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    order: list[str] = field(default_factory=list)
    """Its lists in the order the file holds them."""

    @property
    def ordered(self) -> bool:
        """Entries and entities come before mentions and relationships (as Charlie
        writes them), so one more reading writes everything."""
        positions = {key: n for n, key in enumerate(self.order)}
        first_link = min(positions.get(k, len(self.order)) for k in ("mentions", "relationships"))
        return all(positions.get(k, -1) < first_link for k in ("entries", "entities"))


@dataclass
class ExportPlan:
    """What an export holds, checked through (``read_export``): enough to say what its
    import would do, and to read it again to write it."""

    path: Path
    journals: list[_JournalPlan]
    identity: tuple[int, int, int]
    """(inode, size, mtime in ns) of the file when it was checked, so that a file
    changed since is not written."""


class _Sink:
    """What a reading of the export does with what it finds (``_walk``)."""

    def section(self, n: int, key: str) -> None:
        """Journal ``n``'s list ``key`` starts."""

    def item(self, n: int, key: str, item: dict[str, Any], at: str) -> None:
        """An item of journal ``n``'s list ``key``, checked."""

    def journal(self, n: int, header: dict[str, Any]) -> None:
        """Journal ``n`` ends; ``header`` holds its checked id, name, blocked…"""


def _file_identity(handle: IO[bytes]) -> tuple[int, int, int]:
    info = os.fstat(handle.fileno())
    return info.st_ino, info.st_size, info.st_mtime_ns


def read_export(path: Path, *, max_entry_chars: int = 100_000) -> ExportPlan:
    """The export in ``path``, checked through before anything is written: every entry,
    entity, mention and relationship, read a value at a time."""
    try:
        with path.open("rb") as handle:
            identity = _file_identity(handle)
            planner = _Planner(path, max_entry_chars)
            _walk(handle, path, max_entry_chars, planner)
    except FileNotFoundError:
        raise ValidationError(f"{path} does not exist.") from None
    except OSError as exc:
        raise ValidationError(f"{path} is not a readable JSON file: {exc}") from None
    return ExportPlan(path, planner.journals, identity)


def _walk(handle: IO[bytes], path: Path, max_entry_chars: int, sink: _Sink) -> None:
    """Read the export in ``handle`` through, checking every part as for an entry typed
    in the app, and hand what it holds to ``sink``. ValidationError at the first
    problem, which the message names."""
    reader = JsonReader(
        handle, max_value_bytes=json_value_limit(max_entry_chars), any_encoding=True
    )
    try:
        _walk_document(reader, path, max_entry_chars, sink)
    except ValueTooBig as exc:
        raise ValidationError(
            f"{path} {value_too_big(exc)} An entry may be at most {max_entry_chars:,} "
            "characters (the max_entry_chars setting)."
        ) from None
    except JsonProblem as exc:
        raise ValidationError(f"{path} is not a readable JSON file: it {exc}.") from None


def _check_format(path: Path, found: dict[str, Any]) -> None:
    if found.get("format") != FORMAT:
        raise ValidationError(f'{path} is not a Charlie export (no "format": "{FORMAT}").')
    if "version" in found and found["version"] != VERSION:
        raise ValidationError(
            f"{path} is a version {found['version']} export; this Charlie reads {VERSION}."
        )


def _walk_document(reader: JsonReader, path: Path, max_entry_chars: int, sink: _Sink) -> None:
    not_export = f'{path} is not a Charlie export (no "format": "{FORMAT}").'
    if reader.peek()[0] != "start_map":
        raise ValidationError(not_export)
    reader.next()
    found: dict[str, Any] = {}
    small = 64 * 1024
    for key in reader.keys():
        if key in ("format", "version"):
            try:
                found[key] = reader.value(small)
            except ValueTooCostly:
                found[key] = None
        elif key == "journals" and "journals" not in found:
            if "format" in found:  # Charlie writes it first: say at once if it is not one.
                _check_format(path, found)
            if reader.peek()[0] != "start_array":
                raise ValidationError(f"{path} has no list of journals.")
            reader.next()
            for n in reader.items():
                _walk_journal(reader, n, f"{path}, journal {n + 1}", max_entry_chars, sink)
            found["journals"] = True
        else:
            reader.skip()
    reader.finish()
    _check_format(path, found)
    if "version" not in found:
        raise ValidationError(f"{path} is a version None export; this Charlie reads {VERSION}.")
    if "journals" not in found:
        raise ValidationError(f"{path} has no list of journals.")


_HEADER_KEYS = ("id", "name", "created", "blocked", "types", "drafts")
_ITEM_NAMES = {
    "entries": "entry",
    "entities": "entity",
    "mentions": "mention",
    "relationships": "relationship",
}


def _walk_journal(
    reader: JsonReader, n: int, where: str, max_entry_chars: int, sink: _Sink
) -> None:
    if reader.peek()[0] != "start_map":
        reader.skip()
        raise _problem(where, "is not an object")
    reader.next()
    header: dict[str, Any] = {}
    seen: set[str] = set()
    item_cost = ITEM_MULTIPLE * max_entry_chars + ITEM_ROOM
    header_room = import_keep_limit(max_entry_chars) // HEADER_SHARE
    named = where
    for key in reader.keys():
        if key in seen:
            raise _problem(named, f"{key!r} appears twice")
        seen.add(key)
        if key in SECTIONS:
            if reader.peek()[0] != "start_array":
                raise _problem(named, f"{key!r} is missing or not the right type")
            reader.next()
            sink.section(n, key)
            for i in reader.items():
                at = f"{named}, {_ITEM_NAMES[key]} {i + 1}"
                try:
                    item = reader.value(item_cost)
                except ValueTooCostly:
                    raise _problem(
                        at, f"it takes more than {item_cost:,} bytes of memory to hold"
                    ) from None
                _CHECKS[key](item, at, max_entry_chars)
                sink.item(n, key, item, at)
        elif key in _HEADER_KEYS:
            try:
                header[key] = reader.value(header_room)
            except ValueTooCostly:
                raise _problem(
                    named, f"{key!r} takes more than {header_room:,} bytes of memory to hold"
                ) from None
            header_room -= _rough_cost(header[key])
            if key in ("id", "name") and "id" in header and "name" in header:
                _check_header_name(header, where)
                named = f"{where} ({header['name']})"
        else:
            reader.skip()
    # What old exports lack: types (before retyping) and drafts (before drafts).
    header.setdefault("types", {})
    header.setdefault("drafts", [])
    _check_header(header, where)
    named = f"{where} ({header['name']})"
    for key in SECTIONS:
        if key not in seen:
            raise _problem(named, f"{key!r} is missing or not the right type")
    sink.journal(n, header)


def _rough_cost(value: Any) -> int:
    """About what holding ``value`` (a dict or list of short texts) takes."""
    if isinstance(value, dict):
        return 64 + sum(_rough_cost(k) + _rough_cost(v) + 16 for k, v in value.items())
    if isinstance(value, list):
        return 64 + sum(_rough_cost(v) + 8 for v in value)
    return sys.getsizeof(value)


def _check_header_name(j: dict[str, Any], where: str) -> None:
    # The id becomes part of Redis key names, so it must look like one Charlie makes.
    if not _HEX_ID.fullmatch(_need(j, "id", str, where)):
        raise _problem(where, f"{j['id']!r} is not a journal id (16 hex digits)")
    name = _need(j, "name", str, where)
    try:
        check_journal_name(name)
    except ValidationError as exc:
        raise _problem(where, str(exc)) from None


def _check_header(j: dict[str, Any], where: str) -> None:
    _check_header_name(j, where)
    where = f"{where} ({j['name']})"
    blocked = _need(j, "blocked", dict, where)
    if not all(isinstance(v, str) for v in blocked.values()):
        raise _problem(where, "a blocked name is not text")
    types = j["types"]
    if not isinstance(types, dict) or not all(v in ENTITY_TYPES for v in types.values()):
        raise _problem(where, f"'types' must map names to one of {', '.join(ENTITY_TYPES)}")
    drafts = j["drafts"]
    if not isinstance(drafts, list):
        raise _problem(where, "'drafts' is not a list")
    for n, d in enumerate(drafts):
        _check_draft(d, f"{where}, draft {n + 1}")
    created = j.get("created")
    if created is not None and (not isinstance(created, int) or isinstance(created, bool)):
        raise _problem(where, "'created' is not a time in ms")


def _check_entry(e: Any, at: str, max_entry_chars: int) -> None:
    entry_id = _need(e, "id", str, at)
    if not _HEX_ID.fullmatch(entry_id):
        raise _problem(at, f"{entry_id!r} is not an entry id (16 hex digits)")
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


def _check_entity(x: Any, at: str, max_entry_chars: int) -> None:
    _need(x, "id", str, at)
    _need(x, "name", str, at)
    if _need(x, "type", str, at) not in ENTITY_TYPES:
        raise _problem(at, f"type {x['type']!r} is not one of {', '.join(ENTITY_TYPES)}")
    _check_values(x, at)


def _check_mention(m: Any, at: str, max_entry_chars: int) -> None:
    _need(m, "entry", str, at)
    _need(m, "entity", str, at)
    _check_values(m, at)


def _check_relationship(r: Any, at: str, max_entry_chars: int) -> None:
    _need(r, "source", str, at)
    _need(r, "target", str, at)
    _need(r, "episode", str, at)
    if _need(r, "kind", str, at) not in RELATION_KINDS:
        raise _problem(at, f"kind {r['kind']!r} is not one of {', '.join(RELATION_KINDS)}")
    _check_values(r, at)


_CHECKS: dict[str, Callable[[Any, str, int], None]] = {
    "entries": _check_entry,
    "entities": _check_entity,
    "mentions": _check_mention,
    "relationships": _check_relationship,
}


class _Planner(_Sink):
    """The first reading: learns what each journal holds (``_JournalPlan``), and finds
    entry ids given twice."""

    def __init__(self, path: Path, max_entry_chars: int) -> None:
        self.path = path
        self.journals: list[_JournalPlan] = []
        self.limit = import_keep_limit(max_entry_chars)
        self.kept = 0

    def _plan(self, n: int) -> _JournalPlan:
        while len(self.journals) <= n:
            self.journals.append(_JournalPlan(f"{self.path}, journal {len(self.journals) + 1}"))
        return self.journals[n]

    def _hold(self, cost: int) -> None:
        self.kept += cost
        if self.kept > self.limit:
            raise ValidationError(
                f"{self.path} is too big to import at once: its entry ids alone take more "
                f"than {self.limit:,} bytes of memory, the most one import holds (a limit "
                "that follows the max_entry_chars setting). Export one journal at a time "
                "(charlie export json --journal NAME FILE) and import each file."
            )

    def section(self, n: int, key: str) -> None:
        self._plan(n).order.append(key)

    def item(self, n: int, key: str, item: dict[str, Any], at: str) -> None:
        plan = self._plan(n)
        plan.counts[key] += 1
        if key == "entries":
            if item["id"] in plan.ids:
                raise _problem(at, f"the id {item['id']} appears twice")
            plan.ids.add(item["id"])
            self._hold(ID_COST)
        elif key == "mentions" and item["entry"] not in plan.mentioned:
            plan.mentioned.add(item["entry"])
            self._hold(ID_COST)

    def journal(self, n: int, header: dict[str, Any]) -> None:
        plan = self._plan(n)
        plan.header = header
        self._hold(_rough_cost(header))
        # A mention of an entry the file does not hold is dangling: it decides nothing.
        plan.mentioned &= plan.ids


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

    The whole file is checked first (``read_export``), then a backup is taken (reason
    "import") and the file is read again to be written, a page at a time; with
    ``dry_run`` nothing is written."""
    source = Path(path).expanduser()
    max_chars = api.settings.max_entry_chars
    plan = read_export(source, max_entry_chars=max_chars)
    summary = ExportImportSummary(source=str(source), dry_run=dry_run)
    if dry_run:
        summary.journals = [_preview(api, j) for j in plan.journals]
        return summary
    from backend.api import rejoining

    try:
        # Safe to run again after an owner change: what was written is merged by id.
        rejoining(api, lambda: _write_export(api, plan, source, summary))
    except redis.RedisError as exc:
        raise BrokerError(
            f"Lost contact with the Charlie database during the import ({exc}). Run the "
            "same import again: what was written is kept and skipped."
        ) from exc
    return summary


def _write_export(
    api: CharlieAPI, plan: ExportPlan, source: Path, summary: ExportImportSummary
) -> None:
    """Back up, then read the checked file again and write it, a page at a time."""
    with source.open("rb") as handle:
        if _file_identity(handle) != plan.identity:
            raise ValidationError(
                f"{source} changed while it was being checked; nothing was written. "
                "Import it again."
            )
        summary.backup = str(snapshot(api, reason="import"))
        writer = _Writer(api, plan)
        try:
            # Charlie writes entries and entities before what links them, so one
            # more reading writes everything; a file in another order takes two.
            ordered = all(j.ordered for j in plan.journals)
            passes = [set(SECTIONS)] if ordered else [set(SECTIONS[:2]), set(SECTIONS[2:])]
            for n, sections in enumerate(passes):
                handle.seek(0)
                writer.sections = sections
                writer.last = n == len(passes) - 1
                _walk(handle, source, api.settings.max_entry_chars, writer)
        except (ValidationError, OSError) as exc:
            # Checked through before; it must have changed since, in place.
            raise ValidationError(
                f"{source} could not be read again to write it ({exc}). Part of it was "
                f"written; a backup was taken first: {summary.backup}. Import it again "
                "to finish: what was written is kept and skipped."
            ) from None
        summary.journals = writer.results


def _present(graph: Graph | None, ids: Iterable[str]) -> set[str]:
    """Those of ``ids`` that are entries of ``graph`` already."""
    present: set[str] = set()
    if graph is None:
        return present
    for page in _pages(list(ids)):
        rows = graph.read("MATCH (e:Episode) WHERE e.id IN $ids RETURN e.id", {"ids": page})
        present.update(row[0] for row in rows)
    return present


def _preview(api: CharlieAPI, plan: _JournalPlan) -> JournalImport:
    """What importing one journal would do."""
    target, created = _target(api, plan.header, dry_run=True)
    result = JournalImport(name=target.name if target else plan.header["name"], created=created)
    present = _present(api.store.graph(target) if target is not None else None, plan.ids)
    result.added = len(plan.ids) - len(present)
    result.skipped = len(present)
    result.queued = len(plan.ids - present - plan.mentioned)
    result.entities = plan.counts["entities"]
    result.blocked = len(plan.header["blocked"])
    result.mentions = plan.counts["mentions"]
    result.relationships = plan.counts["relationships"]
    return result


class _Page:
    """Items waiting to be written in one query: up to ``PAGE`` of them, or
    ``PAGE_COST`` bytes."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.cost = 0

    def add(self, item: dict[str, Any]) -> bool:
        """Add ``item``; True once the page is full."""
        self.items.append(item)
        self.cost += _rough_cost(item)
        return len(self.items) >= PAGE or self.cost >= PAGE_COST

    def take(self) -> list[dict[str, Any]]:
        items, self.items, self.cost = self.items, [], 0
        return items


class _Writer(_Sink):
    """The second reading: writes each journal's items a page at a time as they come,
    then its blocked names, types and drafts."""

    def __init__(self, api: CharlieAPI, plan: ExportPlan) -> None:
        self.api = api
        self.plan = plan
        self.sections: set[str] = set(SECTIONS)
        """The lists this reading writes (the others are only read)."""
        self.last = True
        """This reading is the last: journals are finished at their end."""
        self.results: list[JournalImport] = []
        self.targets: list[tuple[Journal, Graph]] = []
        self.pages: dict[str, _Page] = {}

    def _target(self, n: int) -> tuple[Journal, Graph, JournalImport]:
        while len(self.targets) <= n:
            header = self.plan.journals[len(self.targets)].header
            journal, created = _target(self.api, header, dry_run=False)
            assert journal is not None  # Not a dry run: created if it was not there.
            self.targets.append((journal, self.api.store.graph(journal)))
            result = JournalImport(name=journal.name, created=created)
            result.entities = self.plan.journals[len(self.results)].counts["entities"]
            self.results.append(result)
        journal, graph = self.targets[n]
        return journal, graph, self.results[n]

    def section(self, n: int, key: str) -> None:
        self._target(n)  # Journals are made in the file's order.
        # What a list links to is written before the list: entries and entities
        # before mentions and relationships.
        self._flush_all(n)

    def _flush_all(self, n: int) -> None:
        for page_key in list(self.pages):
            self._flush(n, page_key)
        self.pages.clear()

    def item(self, n: int, key: str, item: dict[str, Any], at: str) -> None:
        if key not in self.sections:
            return
        page_key = f"{key}:{item['type']}" if key == "entities" else key
        page = self.pages.setdefault(page_key, _Page())
        if page.add(item):
            self._flush(n, page_key)

    def _flush(self, n: int, page_key: str) -> None:
        items = self.pages[page_key].take()
        if not items:
            return
        journal, graph, result = self._target(n)
        key, _, label = page_key.partition(":")
        mentioned = self.plan.journals[n].mentioned
        if key == "entries":
            _write_entries(self.api, journal, graph, items, mentioned, result)
        elif key == "entities":
            _write_entities(graph, label, items)
        elif key == "mentions":
            _write_mentions(graph, items, result)
        else:
            _write_relationships(graph, items, result)

    def journal(self, n: int, header: dict[str, Any]) -> None:
        self._flush_all(n)
        journal, _, result = self._target(n)
        if not self.last:
            return
        result.blocked = len(header["blocked"])
        result.dangling = (
            self.plan.journals[n].counts["mentions"]
            - result.mentions
            + self.plan.journals[n].counts["relationships"]
            - result.relationships
        )
        _finish_journal(self.api, journal, header)


def _props(item: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    # A null property is no property in the graph.
    return {k: v for k, v in item.items() if v is not None and k not in drop}


def _write_entries(
    api: CharlieAPI,
    journal: Journal,
    graph: Graph,
    page: list[dict[str, Any]],
    mentioned: set[str],
    result: JournalImport,
) -> None:
    """One page of entries, those not there yet, in one MULTI with their enrichment
    jobs (entries that come with mentions are not enriched again)."""
    present = _present(graph, [e["id"] for e in page])
    new = [e for e in page if e["id"] not in present]
    result.skipped += len(page) - len(new)
    result.added += len(new)
    if not new:
        return
    queued = [e for e in new if e["id"] not in mentioned]
    result.queued += len(queued)
    with api.broker.client.pipeline(transaction=True) as pipe:
        pipe.execute_command(
            *graph.command(
                # MERGE: an entry that appeared since the presence check stays as is.
                "UNWIND $rows AS p MERGE (e:Episode {id: p.id}) ON CREATE SET e = p",
                {"rows": [_props(e) for e in new]},
            )
        )
        for e in queued:
            api.jobs.enqueue(journal.id, e["id"], e["content_hash"], priority=BACKLOG, pipe=pipe)
        pipe.publish(EVENTS, entries_event(journal.id, len(new)))
        pipe.execute()
    if queued:
        # A lost wake-up is harmless: the owner's sweeper re-sends it.
        api.wakeups.send(priority=0)


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
        "MERGE (e)-[m:MENTIONS]->(n) SET m = x.props RETURN count(m)",
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


def _finish_journal(api: CharlieAPI, journal: Journal, header: dict[str, Any]) -> None:
    """Blocked names, types and drafts, once the journal's graph is in."""
    with api.broker.client.pipeline(transaction=True) as pipe:
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
