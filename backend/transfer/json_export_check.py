"""Reading a Charlie JSON export through and checking all of it, before its import
writes anything.

The export is read twice, a value at a time (``backend.transfer.json_stream``): once to
check all of it and learn what it holds (``read_export``, giving an ``ExportPlan``), then,
after the backup, again to write it page by page (``backend.transfer.json_import``). So an
export of any size is imported in the memory of a page of entries plus, for each entry,
its id (the plan), never the whole document. Every part is checked as for an entry typed
in the app; the first problem is a ValidationError that names where it is.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from backend.attachments import is_name
from backend.errors import ValidationError
from backend.graph.extractor import ENTITY_TYPES, RELATION_KINDS
from backend.transfer.importing import import_keep_limit, json_value_limit, value_too_big
from backend.transfer.json_export import DRAFT_FIELDS, FORMAT, OPTIONAL_DRAFT_FIELDS, VERSION
from backend.transfer.json_stream import JsonProblem, JsonReader, ValueTooBig, ValueTooCostly
from backend.validation import check_body, check_journal_name, check_title

_HEX_ID = re.compile(r"[0-9a-f]{16}")  # Entry and journal ids (always fullmatch).
_PROPERTY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The seconds a datetime can hold (years 1 to 9999): a time outside would break every
# list of the journal, so it is refused on the way in.
_FIRST_SECOND = int(datetime(1, 1, 2, tzinfo=UTC).timestamp())
_LAST_SECOND = int(datetime(9999, 12, 30, tzinfo=UTC).timestamp())


def _problem(where: str, what: str) -> ValidationError:
    return ValidationError(f"{where}: {what}")


def _need(item: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(item, dict):
        raise _problem(where, "is not an object")
    value = item.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise _problem(where, f"{key!r} is missing or not the right type")
    return value


SECTIONS = ("entries", "entities", "mentions", "relationships")
"""The lists each journal of an export holds, written in this order (entries and
entities before the mentions and relationships that link them)."""
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
class JournalPlan:
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
    journals: list[JournalPlan]
    identity: tuple[int, int, int]
    """(inode, size, mtime in ns) of the file when it was checked, so that a file
    changed since is not written."""


class Sink:
    """What a reading of the export does with what it finds (``walk_export``)."""

    def section(self, n: int, key: str) -> None:
        """Journal ``n``'s list ``key`` starts."""

    def item(self, n: int, key: str, item: dict[str, Any], at: str) -> None:
        """An item of journal ``n``'s list ``key``, checked."""

    def journal(self, n: int, header: dict[str, Any]) -> None:
        """Journal ``n`` ends; ``header`` holds its checked id, name, blocked…"""


def file_identity(handle: IO[bytes]) -> tuple[int, int, int]:
    """(inode, size, mtime in ns) of the open file: what tells it changed."""
    info = os.fstat(handle.fileno())
    return info.st_ino, info.st_size, info.st_mtime_ns


def read_export(path: Path, *, max_entry_chars: int = 100_000) -> ExportPlan:
    """The export in ``path``, checked through before anything is written: every entry,
    entity, mention and relationship, read a value at a time."""
    try:
        with path.open("rb") as handle:
            identity = file_identity(handle)
            planner = _Planner(path, max_entry_chars)
            walk_export(handle, path, max_entry_chars, planner)
    except FileNotFoundError:
        raise ValidationError(f"{path} does not exist.") from None
    except OSError as exc:
        raise ValidationError(f"{path} is not a readable JSON file: {exc}") from None
    return ExportPlan(path, planner.journals, identity)


def walk_export(handle: IO[bytes], path: Path, max_entry_chars: int, sink: Sink) -> None:
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


def _walk_document(reader: JsonReader, path: Path, max_entry_chars: int, sink: Sink) -> None:
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


def _walk_journal(reader: JsonReader, n: int, where: str, max_entry_chars: int, sink: Sink) -> None:
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
            header_room -= rough_cost(header[key])
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


def rough_cost(value: Any) -> int:
    """About what holding ``value`` (a dict or list of short texts) takes, in bytes."""
    if isinstance(value, dict):
        return 64 + sum(rough_cost(k) + rough_cost(v) + 16 for k, v in value.items())
    if isinstance(value, list):
        return 64 + sum(rough_cost(v) + 8 for v in value)
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
    # Tags and the star came later: an export from before has neither.
    if e.get("tags") is not None and (
        not isinstance(e["tags"], list) or not all(isinstance(t, str) for t in e["tags"])
    ):
        raise _problem(at, "'tags' is not a list of words")
    if e.get("starred") is not None and not isinstance(e["starred"], bool):
        raise _problem(at, "'starred' is not true or false")
    # Attachments too; each is a stored name (<sha256>.<ext>), never a path.
    if e.get("attachments") is not None and (
        not isinstance(e["attachments"], list) or not all(is_name(n) for n in e["attachments"])
    ):
        raise _problem(at, "'attachments' is not a list of attachment names")
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


class _Planner(Sink):
    """The first reading: learns what each journal holds (``JournalPlan``), and finds
    entry ids given twice."""

    def __init__(self, path: Path, max_entry_chars: int) -> None:
        self.path = path
        self.journals: list[JournalPlan] = []
        self.limit = import_keep_limit(max_entry_chars)
        self.kept = 0

    def _plan(self, n: int) -> JournalPlan:
        while len(self.journals) <= n:
            self.journals.append(JournalPlan(f"{self.path}, journal {len(self.journals) + 1}"))
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
        self._hold(rough_cost(header))
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


def _check_draft(d: Any, where: str) -> None:
    required = set(DRAFT_FIELDS) - OPTIONAL_DRAFT_FIELDS
    if not isinstance(d, dict) or not required <= set(d) <= set(DRAFT_FIELDS):
        raise _problem(where, f"a draft must have exactly {', '.join(DRAFT_FIELDS)}")
    for key, kind in DRAFT_FIELDS.items():
        if key in d:
            _need(d, key, kind, where)
    if not d["id"].isalnum() or len(d["id"]) > 64:
        raise _problem(where, f"{d['id']!r} is not a draft id")
