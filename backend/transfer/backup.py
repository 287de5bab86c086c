"""Backups of the whole database, taken through the running broker, and restore.

A backup is a point-in-time copy of every ``charlie:*`` key that holds the user's data
(journals, their graphs, blocked names, job records and queues, persisted switches),
read with ``DUMP`` inside one Lua script, so nothing can change half-way through. That
script stops the server it runs on for as long as it reads, so it runs on a private
scratch server holding a fork-based snapshot of the live one (``BGSAVE``; see
``backend/snapshot_server.py``), and the user's typing and saving never wait for it.
Only when that is not possible (an external ``broker_url`` server, whose files are on
another machine, or a server that refuses to save) does it run on the live server; the
records are the same either way, and the backup log says why the live server paused.
Keys that only describe the running processes are left out: the broker id (clients
check it against the handoff, so a restore must not change it), editing presence,
worker health and the supervisor's status. Huey's own queue keys are not ``charlie:*``
keys; wake-ups are re-sent by the sweeper, so they need no backup.

The file, ``<data>/backups/charlie-<UTC stamp>-<reason>.backup``, is written atomically:
a magic line, one JSON header line (format version, reason, key count, payload size and
sha256) and a gzip payload of ``(key, ttl, dump)`` records. A file is checked whole
(magic, version, size, checksum, every record) before a restore touches anything.

Automatic backups (every reason but ``manual``) are rotated: the newest
``settings.backup_keep`` of them are kept. Manual ones (``charlie backup``) are the
user's to delete and do not count.

A restore replaces every data key in one MULTI (a script deletes the current ones, then
``RESTORE … REPLACE`` each saved one). It refuses to run while another process owns the
broker, and while a worker is alive; jobs that were running when the backup was taken
are given back to the queue without charging the attempt, so the queue resumes.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import stat
import struct
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import redis

from backend.broker.connection import BROKER_ID_KEY
from backend.broker.private import append_private
from backend.errors import BrokerError, CharlieError
from backend.jobs.records import EVENTS, RUNNING, Jobs
from backend.jobs.state import EDITING_KEY, SUPERVISOR_KEY, WORKER_PREFIX
from backend.jobs.worker import try_worker_lock, worker_lock_path
from backend.presence import OPEN_PREFIX
from backend.settings import Settings
from backend.transfer.snapshot_server import NoSnapshot, SnapshotError, read_snapshot

if TYPE_CHECKING:
    from backend.api import CharlieAPI

MAGIC = b"CHARLIE-BACKUP\n"
FORMAT = "charlie-backup"
VERSION = 1
SUFFIX = ".backup"
MANUAL = "manual"
DAILY_SECONDS = 24 * 3600
OWNER_CHANGES = 3  # How many times one backup follows the broker to a new owner.
# Keys that describe running processes, not the user's data (see the module docstring).
EXCLUDED_KEYS = (BROKER_ID_KEY, EDITING_KEY, SUPERVISOR_KEY)
EXCLUDED_PREFIXES = (WORKER_PREFIX, OPEN_PREFIX)
_REASON = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_NAME = re.compile(r"^charlie-(\d{8}T\d{9}Z)-([a-z][a-z0-9-]*)\.backup$")
_HEADER_MAX = 64 * 1024
INFLATE_RATIO = 200  # The most a stored payload may inflate, times its size...
INFLATE_SLACK = 64 * 1024 * 1024  # ...plus this much.
_STALE_TEMP_SECONDS = 3600

# ARGV: pattern, then 'k' + an excluded key or 'p' + an excluded prefix.
_SKIP_LUA = """
local function skipped(k)
  for i = 2, #ARGV do
    local rule, text = string.sub(ARGV[i], 1, 1), string.sub(ARGV[i], 2)
    if rule == 'k' and k == text then return true end
    if rule == 'p' and string.sub(k, 1, #text) == text then return true end
  end
  return false
end
"""
# Every data key with its TTL and DUMP, in one atomic step: a consistent snapshot.
_DUMP_ALL = (
    _SKIP_LUA
    + """
local out = {}
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
  if not skipped(k) then
    local ttl = redis.call('PTTL', k)
    local dump = redis.call('DUMP', k)
    if dump then
      table.insert(out, k)
      table.insert(out, ttl)
      table.insert(out, dump)
    end
  end
end
return out
"""
)
# Deletes every data key; runs first in the restore's MULTI.
_DELETE_ALL = (
    _SKIP_LUA
    + """
local n = 0
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
  if not skipped(k) then
    redis.call('DEL', k)
    n = n + 1
  end
end
return n
"""
)


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


@dataclass(frozen=True)
class BackupInfo:
    """What ``charlie backup --list`` shows about one file."""

    path: Path
    created: datetime | None
    """When it was taken (UTC); None if the file cannot be read."""
    reason: str
    size: int
    """Bytes on disk."""
    keys: int = 0
    problem: str = ""
    """Why the file is unusable, "" if it looks fine."""
    kept_because: tuple[str, ...] = ()
    """Why the retention policy keeps it (empty: the next rotation deletes it)."""


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did."""

    source: Path
    before: Path
    """The backup of the state just before the restore."""
    keys: int
    requeued: int
    """Jobs that were running in the backup and went back to the queue."""


def backup_dir(settings: Settings) -> Path:
    """Where backups live: ``<data>/backups``."""
    return settings.data_dir / "backups"


# -- writing ---------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_file(path: Path, *, sync: bool = True, exclusive: bool = False) -> Iterator[IO[bytes]]:
    """Write ``path`` so it appears whole or not at all: a temp file in the same folder,
    fsynced, then renamed over the final name (and the folder fsynced).

    ``sync=False`` skips both fsyncs, for callers writing many files that flush them all
    at the end instead (a crash still never leaves a torn file under the final name).
    ``exclusive=True`` raises FileExistsError instead of replacing a file of that name
    that appeared meanwhile."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, path)
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if sync:
        fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make the names in ``directory`` (renames, new files) durable."""
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _skip_args() -> list[str]:
    return [f"k{k}" for k in EXCLUDED_KEYS] + [f"p{p}" for p in EXCLUDED_PREFIXES]


def dump_all(client: redis.Redis) -> list[Record]:
    """Every data key as it is at one instant (one Lua script, so one point in time)."""
    reply = client.eval(_DUMP_ALL, 0, "charlie:*", *_skip_args())
    records = []
    for i in range(0, len(reply), 3):
        key, ttl, dump = reply[i], int(reply[i + 1]), reply[i + 2]
        records.append(Record(key=key, ttl_ms=max(ttl, 0), dump=dump))
    return records


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


def write_backup(directory: Path, records: list[Record], reason: str) -> Path:
    """Write ``records`` as a new backup file in ``directory`` and return its path."""
    if not _REASON.match(reason):
        raise BackupError(f"{reason!r} is not a backup reason (lowercase letters, digits, '-').")
    # Level 1: the payload is mostly already-compact DUMP data; speed matters more here,
    # since the start-up and daily backups run while the user works.
    payload = gzip.compress(_encode(records), compresslevel=1, mtime=0)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": int(time.time() * 1000),
        "reason": reason,
        "keys": len(records),
        "payload_bytes": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    while True:
        path = _new_path(directory, reason)
        try:
            with atomic_file(path, exclusive=True) as handle:
                handle.write(MAGIC)
                handle.write(json.dumps(header).encode() + b"\n")
                handle.write(payload)
        except FileExistsError:
            continue  # Another backup took this name in the same millisecond.
        return path


def read_live(client: redis.Redis, settings: Settings) -> list[Record]:
    """Every data key of the server behind ``client``, read from a fork-based snapshot
    so that server does not stop; read from the server itself (stopping it for the
    dump) only where no snapshot can be had, and then the backup log says why."""
    if settings.broker_url:
        return dump_all(client)  # Its files, if any, are on another machine.
    try:
        return read_snapshot(client, dump_all)
    except NoSnapshot as exc:
        note_problem(settings, f"A backup read the live database in one step, pausing it: {exc}.")
        return dump_all(client)
    except SnapshotError as exc:
        raise BackupError(str(exc)) from exc


def take_snapshot(
    client: redis.Redis, settings: Settings, reason: str, *, spare: Path | None = None
) -> Path:
    """Back up the database behind ``client`` now; rotate the automatic backups."""
    try:
        records = read_live(client, settings)
    except redis.RedisError as exc:
        raise BackupError(f"Could not read the database for a backup: {exc}") from exc
    directory = backup_dir(settings)
    try:
        path = write_backup(directory, records, reason)
    except OSError as exc:
        raise BackupError(f"Could not write a backup into {directory}: {exc}") from exc
    rotate(settings, spare=spare)
    return path


def snapshot(api: CharlieAPI, reason: str) -> Path:
    """Take a backup through the API's broker (owner or client) and return its path.

    ``reason`` names it: "manual" (kept until the user deletes it), or an automatic
    reason such as "startup", "daily", "import", "before-restore" (rotated). If the
    server goes away meanwhile (a short-lived owner left), ownership moves as it does
    for every API call, and the server now holding the same files is backed up: a
    backup waits for a snapshot, so it may see a few owners come and go."""
    for _ in range(OWNER_CHANGES):
        try:
            return take_snapshot(api.broker.client, api.settings, reason)
        except BackupError as exc:
            if not isinstance(exc.__cause__, redis.ConnectionError) or not _rejoined(api):
                raise
    return take_snapshot(api.broker.client, api.settings, reason)


def _rejoined(api: CharlieAPI) -> bool:
    try:
        return api.broker.rejoin()
    except BrokerError:
        return False


def note_problem(settings: Settings, text: str) -> None:
    """Append a failed automatic backup to ``<data>/logs/backup.log`` (the app's screen
    is no place for a stray warning, and the failure must not stop the app)."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    fd = append_private(settings.data_dir / "logs" / "backup.log")
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {text}\n")


def automatic_snapshot(client: redis.Redis, settings: Settings, reason: str) -> Path | None:
    """An automatic backup (start-up, daily). A failure goes to the backup log instead of
    being raised: not being able to write a backup must not keep the user from work."""
    try:
        return take_snapshot(client, settings, reason)
    except BackupError as exc:
        note_problem(settings, f"{reason} backup failed: {exc}")
        return None


def startup_snapshot(api: CharlieAPI) -> Path | None:
    """The owner's start-up backup (clients take none: the owner already did)."""
    if not api.broker.is_owner:
        return None
    return automatic_snapshot(api.broker.client, api.settings, "startup")


# -- listing and rotation ---------------------------------------------------------------


def _parse_name(path: Path) -> tuple[datetime, str] | None:
    match = _NAME.match(path.name)
    if match is None:
        return None
    stamp, reason = match.groups()
    moment = datetime.strptime(stamp[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return moment + timedelta(milliseconds=int(stamp[15:18])), reason


def backup_files(settings: Settings) -> list[tuple[datetime, str, Path]]:
    """(time, reason, path) of every backup file by its name, oldest first."""
    directory = backup_dir(settings)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        parsed = _parse_name(path)
        if parsed is not None:
            found.append((parsed[0], parsed[1], path))
    return sorted(found)


def newest_backup_time(settings: Settings) -> datetime | None:
    """When the newest backup of any kind was taken (from file names: cheap)."""
    files = backup_files(settings)
    return files[-1][0] if files else None


def daily_due(settings: Settings, now: datetime | None = None) -> bool:
    """Whether the newest backup is older than a day (or there is none)."""
    newest = newest_backup_time(settings)
    now = now or datetime.now(UTC)
    return newest is None or (now - newest).total_seconds() >= DAILY_SECONDS


SAFETY_REASONS = ("import", "before-restore")
SAFETY_KEEP = 5


def retention(settings: Settings, now: datetime | None = None) -> dict[Path, list[str]]:
    """Why each backup is kept ([] for an automatic one that rotate() would delete).

    Like restic's ``forget``: the newest ``backup_keep`` start-up backups; the newest
    automatic backup of each of the last 7 days, 5 weeks and 12 months; the newest 5
    taken before an import or a restore, whatever else happened since; manual ones
    always. So ten restarts no longer rotate away the backup from before an import.
    """
    now = now or datetime.now(UTC)
    files = backup_files(settings)  # Oldest first.
    why: dict[Path, list[str]] = {path: [] for _, _, path in files}
    for _, reason, path in files:
        if reason == MANUAL:
            why[path].append("taken by hand")
    automatic = [(moment, reason, path) for moment, reason, path in files if reason != MANUAL]
    newest_first = automatic[::-1]
    for _, _, path in [f for f in newest_first if f[1] == "startup"][: settings.backup_keep]:
        why[path].append(f"one of the newest {settings.backup_keep} start-up backups")
    for _, _, path in [f for f in newest_first if f[1] in SAFETY_REASONS][:SAFETY_KEEP]:
        why[path].append(f"one of the newest {SAFETY_KEEP} before an import or restore")
    periods = (
        ("day", 7, lambda m: m.date()),
        ("week", 5, lambda m: tuple(m.isocalendar())[:2]),
        ("month", 12, lambda m: (m.year, m.month)),
    )
    for name, count, bucket in periods:
        seen: list[object] = []
        for moment, _, path in newest_first:
            key = bucket(moment)
            if key in seen:
                continue
            seen.append(key)
            if len(seen) > count or moment > now:
                break
            why[path].append(f"the newest of its {name}")
    return why


def rotate(
    settings: Settings, *, spare: Path | None = None, now: datetime | None = None
) -> list[Path]:
    """Delete automatic backups that the retention policy does not keep (never
    ``spare``, never manual ones) and temp files a crash left behind. Returns what was
    deleted."""
    doomed = [path for path, reasons in retention(settings, now).items() if not reasons]
    directory = backup_dir(settings)
    if directory.is_dir():
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for tmp in directory.glob(".charlie-*.tmp"):
            # Only old ones: a young temp file may be another process's backup in flight.
            with contextlib.suppress(FileNotFoundError):
                if tmp.stat().st_mtime < cutoff:
                    doomed.append(tmp)
    deleted = []
    for path in doomed:
        if spare is not None and path.resolve() == spare.resolve():
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            deleted.append(path)
    return deleted


def list_backups(settings: Settings) -> list[BackupInfo]:
    """Every backup, oldest first, with what its header says (or why it is unusable)."""
    infos = []
    why = retention(settings)
    for moment, reason, path in backup_files(settings):
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                header = _read_header(handle, path)
            infos.append(
                BackupInfo(
                    path,
                    moment,
                    str(header["reason"]),
                    size,
                    int(header["keys"]),
                    kept_because=tuple(why.get(path, [])),
                )
            )
        except (BackupError, OSError) as exc:
            infos.append(BackupInfo(path, None, reason, 0, problem=str(exc)))
    return infos


# -- reading ------------------------------------------------------------------------------


def _read_header(handle: IO[bytes], path: Path) -> dict[str, Any]:
    if handle.read(len(MAGIC)) != MAGIC:
        raise BackupError(f"{path} is not a Charlie backup.")
    line = handle.readline(_HEADER_MAX)
    try:
        header = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BackupError(f"{path} is damaged: its header cannot be read.") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"{path} is damaged: its header is not a Charlie backup header.")
    if header.get("version") != VERSION:
        raise BackupError(
            f"{path} is a version {header.get('version')} backup; this Charlie reads "
            f"version {VERSION}. Use the Charlie that made it."
        )
    for field in ("created_at", "reason", "keys", "payload_bytes", "sha256"):
        if field not in header:
            raise BackupError(f"{path} is damaged: its header has no {field}.")
    return header


def read_backup(path: Path) -> tuple[dict[str, Any], list[Record]]:
    """The header and records of a backup file, checked whole: a truncated, altered or
    foreign file raises BackupError. Nothing in it is trusted: only a regular file is
    opened (a FIFO would block for ever), it inflates to a bounded size, and every key
    must be one Charlie writes, holding the type Charlie keeps there."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise BackupError(f"{path} is not a regular file, so it is not a backup.")
        with path.open("rb") as handle:
            header = _read_header(handle, path)
            payload = handle.read()
    except FileNotFoundError:
        raise BackupError(f"There is no backup file {path}.") from None
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc}") from exc
    if len(payload) != header["payload_bytes"]:
        raise BackupError(
            f"{path} is damaged: it holds {len(payload):,} bytes of data where "
            f"{header['payload_bytes']:,} were written (truncated?)."
        )
    if hashlib.sha256(payload).hexdigest() != header["sha256"]:
        raise BackupError(f"{path} is damaged: its checksum does not match its contents.")
    raw = _inflate(payload, path)
    records = _decode(raw, path)
    if len(records) != header["keys"]:
        raise BackupError(f"{path} is damaged: {len(records)} keys where {header['keys']}.")
    return header, records


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


def _rdb_version(dump: bytes) -> int:
    # A DUMP payload ends with a 2-byte little-endian RDB version and an 8-byte CRC64.
    return int.from_bytes(dump[-10:-8], "little")


def _check_compatible(client: redis.Redis, records: list[Record], path: Path) -> None:
    """Refuse a backup made by a newer database server (RESTORE would fail half-way)."""
    probe = client.dump(BROKER_ID_KEY)
    if not probe or not records:
        return
    ours = _rdb_version(probe)
    theirs = max(_rdb_version(r.dump) for r in records)
    if theirs > ours:
        raise BackupError(
            f"{path} was made by a newer database version (format {theirs}; this one reads "
            f"up to {ours}). Restore it with the Charlie that made it."
        )


# -- restoring ------------------------------------------------------------------------------


def _replace_all(client: redis.Redis, records: list[Record]) -> None:
    """In one MULTI: delete every data key, then restore each record. Raises BackupError
    (after the MULTI) if the server refused a record."""
    with client.pipeline(transaction=True) as pipe:
        pipe.eval(_DELETE_ALL, 0, "charlie:*", *_skip_args())
        for r in records:
            pipe.restore(r.key, r.ttl_ms, r.dump, replace=True)
        replies = pipe.execute(raise_on_error=False)
    # A MULTI does not roll back: every command that could run has run. The caller
    # puts the previous state back when anything was refused.
    if isinstance(replies[0], Exception):
        raise BackupError(f"The database refused the restore: {replies[0]}")
    for record, reply in zip(records, replies[1:], strict=True):
        if isinstance(reply, Exception):
            raise BackupError(f"The database refused the backup's {record.key!r}: {reply}")


def _requeue_running(jobs: Jobs) -> int:
    """Give jobs that were running in the backup back to the queue, uncharged: the
    worker that held them is not running now, so its lease means nothing."""
    count = 0
    ids: Any = jobs.client.zrange(RUNNING, 0, -1)
    for raw in ids:
        record = jobs.get(raw.decode())
        if record is not None and record.state == "running":
            count += jobs.release(record.as_claim(), "restored from a backup")
    return count


def _refuse_if_not_alone(api: CharlieAPI) -> None:
    if api.broker.role == "client":
        pid = api.broker.handoff.owner_pid if api.broker.handoff else "?"
        raise BackupError(
            f"Charlie is running (pid {pid}); quit it (the app, or `charlie serve`) first, "
            "then run the restore again. Taking a backup while it runs is fine."
        )


def restore(api: CharlieAPI, path: Path) -> RestoreResult:
    """Replace the database with the backup in ``path``.

    The file is checked whole first; then a "before-restore" backup is taken; then every
    data key is replaced in one MULTI (if the server refuses any, the before-restore state
    is put back). Jobs running in the backup go back to the queue. Refuses while another
    process owns the broker or a worker is alive (stop the supervisor first)."""
    path = Path(path).expanduser()
    _refuse_if_not_alone(api)
    _header, records = read_backup(path)
    client = api.broker.client
    external = api.broker.role == "external"
    lock = None if external else try_worker_lock(api.settings)
    if lock is None and not external:
        raise BackupError(
            f"A Charlie worker is still running (it holds {worker_lock_path(api.settings)}); "
            "stop it before restoring."
        )
    try:
        _check_compatible(client, records, path)
        current = dump_all(client)
        before = write_backup(backup_dir(api.settings), current, "before-restore")
        try:
            _replace_all(client, records)
        except BackupError as exc:
            try:
                _replace_all(client, current)
            except BackupError as again:
                raise BackupError(
                    f"{exc}. Putting the previous state back failed too ({again}); it is "
                    f"saved in {before}: restore that file."
                ) from again
            raise BackupError(f"{exc}. Nothing was changed.") from exc
        requeued = _requeue_running(api.jobs)
    except redis.RedisError as exc:
        raise BackupError(f"Lost contact with the database during the restore: {exc}") from exc
    finally:
        if lock is not None:
            os.close(lock)
    rotate(api.settings, spare=path)
    queued = api.jobs.counts()["queued"]
    # Screens reconcile from the records on any event; wake-ups are re-sent by the
    # sweeper too, so these only save a few seconds.
    client.publish(EVENTS, json.dumps({"event": "restored"}))
    api.wakeups.send(min(queued, 100) or 1)
    return RestoreResult(source=path, before=before, keys=len(records), requeued=requeued)


def resolve_backup(settings: Settings, name: str) -> Path:
    """A backup named by path, or by file name inside ``<data>/backups``."""
    given = Path(name).expanduser()
    if given.exists():
        return given
    inside = backup_dir(settings) / name
    if inside.exists():
        return inside
    raise BackupError(f"There is no backup {name!r} (see `charlie backup --list`).")
