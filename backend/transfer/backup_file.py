"""The backup file: how a backup is written, and how one is checked before it is trusted.

``<data>/backups/charlie-<UTC stamp>-<reason>.backup`` is written atomically: a magic
line, one JSON header line (format version, reason, key count, payload size and sha256)
and a gzip payload of ``(key, ttl, dump)`` records, then (version 2) the names of the
attachments the backup keeps, one a line (``attachments`` of them, ``attachments_bytes``
long; the sha256 covers the payload and this list). The files themselves are kept once
for every backup in ``<backups>/attachments/`` (``backend.transfer.backup``). Version 1
files (no attachments) are still read. A file is checked whole (magic,
version, size, checksum, every record, the shape of every key) before a restore touches
anything. Keys that only describe the running processes are never in a backup (see
``backend.transfer.backup``): ``EXCLUDED_KEYS`` and ``EXCLUDED_PREFIXES``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import stat
import struct
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from backend.attachments import is_name
from backend.broker.atomic import atomic_file
from backend.broker.handoff import BROKER_ID_KEY
from backend.errors import CharlieError
from backend.jobs.keys import EDITING_KEY, SUPERVISOR_KEY, WAKE_PREFIX, WORKER_PREFIX
from backend.presence import OPEN_PREFIX

MAGIC = b"CHARLIE-BACKUP\n"
FORMAT = "charlie-backup"
VERSION = 2
READS = (1, 2)
"""The versions this Charlie reads: 1 has no attachments."""
SUFFIX = ".backup"
# Keys that describe running processes, not the user's data (see backend.transfer.backup).
EXCLUDED_KEYS = (BROKER_ID_KEY, EDITING_KEY, SUPERVISOR_KEY)
# The wake-ups' keys are the running worker's (a backup must never carry a pickled
# message into another worker), like its health record.
EXCLUDED_PREFIXES = (WORKER_PREFIX, OPEN_PREFIX, WAKE_PREFIX)
_REASON = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_HEADER_MAX = 64 * 1024
INFLATE_RATIO = 200  # The most a stored payload may inflate, times its size...
INFLATE_SLACK = 64 * 1024 * 1024  # ...plus this much.

# The start of a script over every data key: skipped(k) tells a key to leave alone.
# ARGV: pattern, then 'k' + an excluded key or 'p' + an excluded prefix (skip_args).
SKIP_LUA = """
local function skipped(k)
  for i = 2, #ARGV do
    local rule, text = string.sub(ARGV[i], 1, 1), string.sub(ARGV[i], 2)
    if rule == 'k' and k == text then return true end
    if rule == 'p' and string.sub(k, 1, #text) == text then return true end
  end
  return false
end
"""


class BackupError(CharlieError):
    """A backup could not be taken, read or restored; nothing was changed."""


@dataclass(frozen=True)
class Record:
    """One saved key."""

    key: bytes
    ttl_ms: int
    """Milliseconds left to live when it was saved; 0 means it does not expire."""
    dump: bytes
    """The server's DUMP serialisation (it carries its own RDB version and CRC)."""


def skip_args() -> list[str]:
    """What follows the key pattern in the ARGV of a script built on ``SKIP_LUA``."""
    return [f"k{k}" for k in EXCLUDED_KEYS] + [f"p{p}" for p in EXCLUDED_PREFIXES]


# -- writing ---------------------------------------------------------------------------


def _encode(records: list[Record]) -> bytes:
    parts = []
    for r in records:
        parts.append(struct.pack(">I", len(r.key)) + r.key)
        parts.append(struct.pack(">qQ", r.ttl_ms, len(r.dump)) + r.dump)
    return b"".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S") + f"{moment.microsecond // 1000:03d}Z"


def _new_path(directory: Path, reason: str) -> Path:
    """A name that sorts by time and does not exist yet (bumped by a millisecond if so)."""
    moment = datetime.now(UTC)
    while True:
        path = directory / f"charlie-{_stamp(moment)}-{reason}{SUFFIX}"
        if not path.exists():
            return path
        moment += timedelta(milliseconds=1)


def write_backup(
    directory: Path, records: list[Record], reason: str, attachments: list[str] | None = None
) -> Path:
    """Write ``records`` as a new backup file in ``directory`` and return its path; it
    names ``attachments`` (kept in ``<directory>/attachments/``) as its own."""
    if not _REASON.match(reason):
        raise BackupError(f"{reason!r} is not a backup reason (lowercase letters, digits, '-').")
    # Level 1: the payload is mostly already-compact DUMP data; speed matters more here,
    # since the start-up and daily backups run while the user works.
    payload = gzip.compress(_encode(records), compresslevel=1, mtime=0)
    names = sorted(set(attachments or ()))
    listed = "".join(f"{name}\n" for name in names).encode()
    header = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": int(time.time() * 1000),
        "reason": reason,
        "keys": len(records),
        "payload_bytes": len(payload),
        "attachments": len(names),
        "attachments_bytes": len(listed),
        "sha256": hashlib.sha256(payload + listed).hexdigest(),
    }
    while True:
        path = _new_path(directory, reason)
        try:
            with atomic_file(path, exclusive=True) as handle:
                handle.write(MAGIC)
                handle.write(json.dumps(header).encode() + b"\n")
                handle.write(payload)
                handle.write(listed)
        except FileExistsError:
            continue  # Another backup took this name in the same millisecond.
        return path


# -- reading ------------------------------------------------------------------------------


def read_header(handle: IO[bytes], path: Path) -> dict[str, Any]:
    """The header of the backup open in ``handle`` (read up to its payload), checked."""
    if handle.read(len(MAGIC)) != MAGIC:
        raise BackupError(f"{path} is not a Charlie backup.")
    line = handle.readline(_HEADER_MAX)
    try:
        header = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BackupError(f"{path} is damaged: its header cannot be read.") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"{path} is damaged: its header is not a Charlie backup header.")
    if header.get("version") not in READS:
        raise BackupError(
            f"{path} is a version {header.get('version')} backup; this Charlie reads "
            f"versions {READS[0]} to {READS[-1]}. Use the Charlie that made it."
        )
    for field in ("created_at", "reason", "keys", "payload_bytes", "sha256"):
        if field not in header:
            raise BackupError(f"{path} is damaged: its header has no {field}.")
    # None when it names no attachments (and version 1 never does). A list the header
    # does not count still fails the size and checksum checks.
    header.setdefault("attachments", 0)
    header.setdefault("attachments_bytes", 0)
    for field in ("keys", "payload_bytes", "attachments", "attachments_bytes"):
        value = header[field]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise BackupError(f"{path} is damaged: its header's {field} is not a count.")
    return header


def read_backup(path: Path) -> tuple[dict[str, Any], list[Record]]:
    """The header and records of a backup file, checked whole (``read_backup_whole``)."""
    header, records, _names = read_backup_whole(path)
    return header, records


def read_backup_whole(path: Path) -> tuple[dict[str, Any], list[Record], list[str]]:
    """The header, records and attachment names of a backup file, checked whole: a
    truncated, altered or foreign file raises BackupError. Nothing in it is trusted:
    only a regular file is opened (a FIFO would block for ever), it inflates to a
    bounded size, every key must be one Charlie writes, holding the type Charlie keeps
    there, and every attachment name must be one (``<sha256>.<ext>``)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise BackupError(f"{path} is not a regular file, so it is not a backup.")
        with path.open("rb") as handle:
            header = read_header(handle, path)
            payload = handle.read()
    except FileNotFoundError:
        raise BackupError(f"There is no backup file {path}.") from None
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc}") from exc
    expected = header["payload_bytes"] + header["attachments_bytes"]
    if len(payload) != expected:
        raise BackupError(
            f"{path} is damaged: it holds {len(payload):,} bytes of data where "
            f"{expected:,} were written (truncated?)."
        )
    if hashlib.sha256(payload).hexdigest() != header["sha256"]:
        raise BackupError(f"{path} is damaged: its checksum does not match its contents.")
    listed = payload[header["payload_bytes"] :]
    raw = _inflate(payload[: header["payload_bytes"]], path)
    records = _decode(raw, path)
    if len(records) != header["keys"]:
        raise BackupError(f"{path} is damaged: {len(records)} keys where {header['keys']}.")
    return header, records, _names(listed, header, path)


def _names(listed: bytes, header: dict[str, Any], path: Path) -> list[str]:
    """The attachment names of a backup's list, each checked to be one."""
    try:
        names = listed.decode("ascii").splitlines()
    except UnicodeDecodeError:
        raise BackupError(f"{path} is damaged: its list of attachments is not names.") from None
    if len(names) != header["attachments"] or not all(is_name(n) for n in names):
        raise BackupError(f"{path} is damaged: its list of attachments is not names.")
    return names


def attachment_names(path: Path) -> list[str]:
    """The attachments a backup file names, read without reading its payload (for
    rotation: which kept files a backup still needs). BackupError if it cannot tell."""
    try:
        with path.open("rb") as handle:
            header = read_header(handle, path)
            handle.seek(header["payload_bytes"], 1)
            listed = handle.read(header["attachments_bytes"])
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc}") from exc
    if len(listed) != header["attachments_bytes"]:
        raise BackupError(f"{path} is damaged: its list of attachments is cut short.")
    return _names(listed, header, path)


def _inflate(payload: bytes, path: Path) -> bytes:
    """Gunzip in pieces, refusing more than INFLATE_RATIO times the stored size (a
    backup compresses our data some 3-10 times; a zip bomb, thousands of times)."""
    cap = INFLATE_SLACK + INFLATE_RATIO * len(payload)
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = bytearray()
    try:
        data = payload
        while data:
            out += inflater.decompress(data, cap + 1 - len(out))
            if len(out) > cap:
                raise BackupError(
                    f"{path} inflates to more than {cap:,} bytes; it is not a backup "
                    "Charlie made (or it is damaged)."
                )
            data = inflater.unconsumed_tail
        if not inflater.eof:
            raise BackupError(f"{path} is damaged: its data is cut short.")
    except zlib.error as exc:
        raise BackupError(f"{path} is damaged: {exc}") from exc
    return bytes(out)


def _decode(raw: bytes, path: Path) -> list[Record]:
    records = []
    at = 0
    try:
        while at < len(raw):
            (key_len,) = struct.unpack_from(">I", raw, at)
            key = raw[at + 4 : at + 4 + key_len]
            at += 4 + key_len
            ttl, dump_len = struct.unpack_from(">qQ", raw, at)
            at += 16
            dump = raw[at : at + dump_len]
            at += dump_len
            if len(key) != key_len or len(dump) != dump_len or at > len(raw):
                raise BackupError(f"{path} is damaged: a record is cut short.")
            if not key.startswith(b"charlie:") or _excluded(key.decode(errors="replace")):
                raise BackupError(f"{path} is damaged: it holds the key {key!r}.")
            if len(dump) < 10:
                raise BackupError(f"{path} is damaged: the value of {key!r} is cut short.")
            _check_shape(key, dump, path)
            records.append(Record(key, ttl, dump))
    except struct.error:
        raise BackupError(f"{path} is damaged: a record is cut short.") from None
    return records


# Every key Charlie keeps, and the kind of value it holds there (the RDB type byte a
# DUMP payload starts with). A key of another shape would break every command that
# reads it, so a backup holding one is refused whole. (The server also checks each
# payload deeply as it is restored: sanitize-dump-payload.)
_HEX = r"[0-9a-f]{16}"
_SCHEMA = [
    (re.compile(r"charlie:journals"), "hash"),
    (re.compile(r"charlie:default_journal|charlie:settings:inference"), "string"),
    (re.compile(r"charlie:breaker"), "hash"),
    (re.compile(rf"charlie:journal:{_HEX}"), "module"),
    (re.compile(rf"charlie:journal:{_HEX}:entities"), "string"),
    # Search's markers: the journal's entries, and its entity names at a version, are
    # folded for accent-blind search (backend.graph.folding).
    (re.compile(rf"charlie:journal:{_HEX}:(folded|folded_names)"), "string"),
    (re.compile(rf"charlie:journal:{_HEX}:(blocked|types)"), "hash"),
    (re.compile(rf"charlie:(revisions|drafts):{_HEX}"), "hash"),
    (re.compile(r"charlie:jobs:(queued|running|retry|dead|done)"), "zset"),
    (re.compile(r"charlie:jobs:completed"), "string"),
    (re.compile(r"charlie:jobs:paused"), "hash"),
    (re.compile(r"charlie:jobs:job:[^\s]+:history"), "list"),
    (re.compile(r"charlie:jobs:job:[^\s]+"), "hash"),
]
_RDB_TYPES = {
    "string": {0},
    "list": {1, 10, 14, 18},
    "zset": {3, 5, 12, 17},
    "hash": {4, 9, 13, 16, 22, 23, 24, 25},
    "module": {6, 7},
}


def _check_shape(key: bytes, dump: bytes, path: Path) -> None:
    name = key.decode("utf-8", errors="replace")
    for pattern, kind in _SCHEMA:
        if pattern.fullmatch(name):
            if dump[0] not in _RDB_TYPES[kind]:
                raise BackupError(
                    f"{path} is damaged or crafted: {name!r} should hold a {kind} but holds "
                    f"something else (type {dump[0]})."
                )
            return
    raise BackupError(f"{path} holds {name!r}, which is not a key Charlie keeps.")


def _excluded(key: str) -> bool:
    return key in EXCLUDED_KEYS or key.startswith(EXCLUDED_PREFIXES)
