"""Backups of the whole database, taken through the running broker; their rotation.

A backup is a point-in-time copy of every ``charlie:*`` key that holds the user's data
(journals, their graphs, blocked names, job records and queues, persisted switches),
read with ``DUMP`` inside one Lua script, so nothing can change half-way through. That
script stops the server it runs on for as long as it reads, so it runs on a private
scratch server holding a fork-based snapshot of the live one (``BGSAVE``; see
``backend/transfer/snapshot_server.py``), and the user's typing and saving never wait for it.
Only when that is not possible (an external ``broker_url`` server, whose files are on
another machine, or a server that refuses to save) does it run on the live server; the
records are the same either way, and the backup log says why the live server paused.
Keys that only describe the running processes are left out: the broker id (clients
check it against the handoff, so a restore must not change it), editing presence,
worker health, the supervisor's status and the wake-ups' own keys (``charlie:wake:*``).
Huey's queue key is not a ``charlie:*`` key; wake-ups are re-sent by the sweeper, so
they need no backup.

The file format is ``backend.transfer.backup_file``; restoring one is
``backend.transfer.restore``.

Attachments (photos, ``backend.attachments``) are files, not keys: a backup names every
attachment the data directory holds when it is taken, and keeps each file once, for
every backup, in ``<backups>/attachments/`` (a hard link to the data directory's file
where both are on one file system, so a photo takes its space once, not once a backup).
The list is taken after the database is read: every entry in the backup had its files
stored before it was written, so the backup names them all. Rotation removes a kept file
only when no backup left names it. Copying a backup elsewhere means copying its
``attachments`` folder too (``charlie restore`` looks for it beside the file).

Automatic backups (every reason but ``manual``) are rotated: the newest
``settings.backup_keep`` of them are kept. Manual ones (``charlie backup``) are the
user's to delete and do not count.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import redis

from backend.attachments import (
    link_into,
    remove,
    store_root,
    stored_names,
    sync_folders,
    unreferenced,
)
from backend.broker.ownership import rejoined
from backend.broker.private import append_private
from backend.jobs.chores import Chore
from backend.settings import Settings
from backend.shared import Backend
from backend.transfer.backup_file import (
    SKIP_LUA,
    BackupError,
    Record,
    attachment_names,
    read_header,
    skip_args,
    write_backup,
)
from backend.transfer.snapshot_server import NoSnapshot, SnapshotError, read_snapshot

if TYPE_CHECKING:
    from backend.broker.ownership import BrokerConnection

MANUAL = "manual"
DAILY_SECONDS = 24 * 3600
DAILY_CHECK_SECONDS = 60.0  # How often the owner looks whether the daily backup is due.
OWNER_CHANGES = 3  # How many times one backup follows the broker to a new owner.
_NAME = re.compile(r"^charlie-(\d{8}T\d{9}Z)-([a-z][a-z0-9-]*)\.backup$")
_STALE_TEMP_SECONDS = 3600

# Every data key with its TTL and DUMP, in one atomic step: a consistent snapshot.
_DUMP_ALL = (
    SKIP_LUA
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


def backup_dir(settings: Settings) -> Path:
    """Where backups live: ``<data>/backups``."""
    return settings.data_dir / "backups"


# -- taking ----------------------------------------------------------------------------


def dump_all(client: redis.Redis) -> list[Record]:
    """Every data key as it is at one instant (one Lua script, so one point in time)."""
    reply = client.eval(_DUMP_ALL, 0, "charlie:*", *skip_args())
    records = []
    for i in range(0, len(reply), 3):
        key, ttl, dump = reply[i], int(reply[i + 1]), reply[i + 2]
        records.append(Record(key=key, ttl_ms=max(ttl, 0), dump=dump))
    return records


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
        with attachments_lock(directory):
            path = write_backup(directory, records, reason, keep_attachments(settings))
    except OSError as exc:
        raise BackupError(f"Could not write a backup into {directory}: {exc}") from exc
    rotate(settings, spare=spare)
    return path


def backup_attachments_dir(settings: Settings) -> Path:
    """Where backups keep attachments: ``<data>/backups/attachments``."""
    return backup_dir(settings) / "attachments"


@contextlib.contextmanager
def attachments_lock(directory: Path) -> Iterator[None]:
    """Held while a backup is written, or the attachments of ``directory`` (a backups
    folder) are pruned: a file kept for a backup being written is never pruned before
    that backup names it."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The folder itself is locked (flock works on a folder): no lock file among backups.
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def keep_attachments(settings: Settings) -> list[str]:
    """Keep every attachment of the data directory in the backups' store (once: a file
    kept for an earlier backup is not copied again) and return their names. Call it
    holding ``attachments_lock``, after reading the database."""
    source = store_root(settings.data_dir)
    kept = backup_attachments_dir(settings)
    names = list(stored_names(source))
    added = [name for name in names if link_into(source, kept, name, sync=False)]
    sync_folders(kept, added)
    return names


def prune_attachments(settings: Settings) -> list[str]:
    """Remove the kept attachments no backup names any more; returns their names.
    Nothing is removed while any backup cannot be read (it may name any of them)."""
    directory = backup_dir(settings)
    kept = backup_attachments_dir(settings)
    if not kept.is_dir():
        return []
    with attachments_lock(directory):
        named: set[str] = set()
        for _, _, path in backup_files(settings):
            try:
                named.update(attachment_names(path))
            except (BackupError, OSError):
                return []
        doomed = unreferenced(kept, named)
        for name in doomed:
            remove(kept, name)
    return doomed


def snapshot(backend: Backend, reason: str) -> Path:
    """Take a backup through the backend's broker (owner or client) and return its path.

    ``reason`` names it: "manual" (kept until the user deletes it), or an automatic
    reason such as "startup", "daily", "import", "before-restore" (rotated). If the
    server goes away meanwhile (a short-lived owner left), ownership moves as it does
    for every API call, and the server now holding the same files is backed up: a
    backup waits for a snapshot, so it may see a few owners come and go."""
    for _ in range(OWNER_CHANGES):
        try:
            return take_snapshot(backend.broker.client, backend.settings, reason)
        except BackupError as exc:
            if not isinstance(exc.__cause__, redis.ConnectionError) or not rejoined(backend.broker):
                raise
    return take_snapshot(backend.broker.client, backend.settings, reason)


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


def daily_chore(
    conn: BrokerConnection, settings: Settings, *, interval: float = DAILY_CHECK_SECONDS
) -> Chore:
    """The owner's daily backup, as a chore for its supervisor: every ``interval`` seconds
    it looks whether the newest backup is a day old (file names only: cheap) and, if so,
    takes one. The first look waits an interval, since the owner took a start-up backup."""

    def run() -> None:
        if daily_due(settings):
            automatic_snapshot(conn.client, settings, "daily")

    return Chore("daily backup", interval, run)


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
    ``spare``, never manual ones), temp files a crash left behind, and kept attachments
    no backup left names. Returns the backups and temp files deleted."""
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
    prune_attachments(settings)  # Only what no backup left names (some may be deleted by hand).
    return deleted


def list_backups(settings: Settings) -> list[BackupInfo]:
    """Every backup, oldest first, with what its header says (or why it is unusable)."""
    infos = []
    why = retention(settings)
    for moment, reason, path in backup_files(settings):
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                header = read_header(handle, path)
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
