"""Restoring a backup: every data key replaced by the backup's, in one MULTI.

A restore replaces every data key in one MULTI (a script deletes the current ones, then
``RESTORE … REPLACE`` each saved one). It refuses to run while another process owns the
broker, and while a worker is alive; jobs that were running when the backup was taken
are given back to the queue without charging the attempt, so the queue resumes.

The attachments a backup names are put back first, from the ``attachments`` folder
beside the backup file, so no restored entry names a file that is not there; one that
folder lacks (a backup copied without it) is listed in the result, and the rest of the
restore goes on: the words are in the database, and a missing photo must not keep them
from coming back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from backend.attachments import link_into, store_root, sync_folders
from backend.broker.handoff import BROKER_ID_KEY
from backend.broker.paths import try_worker_lock, worker_lock_path
from backend.jobs.keys import EVENTS, RUNNING
from backend.jobs.records import Jobs
from backend.settings import Settings
from backend.shared import Backend
from backend.transfer.backup import (
    attachments_lock,
    backup_dir,
    dump_all,
    keep_attachments,
    rotate,
)
from backend.transfer.backup_file import (
    SKIP_LUA,
    BackupError,
    Record,
    read_backup_whole,
    skip_args,
    write_backup,
)

# Deletes every data key; runs first in the restore's MULTI.
_DELETE_ALL = (
    SKIP_LUA
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


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did."""

    source: Path
    before: Path
    """The backup of the state just before the restore."""
    keys: int
    requeued: int
    """Jobs that were running in the backup and went back to the queue."""
    attachments: int = 0
    """Attachments the backup names that were put back (the others were there)."""
    missing_attachments: tuple[str, ...] = ()
    """Attachments the backup names that are neither here nor beside the backup file."""


def _bring_back(settings: Settings, kept: Path, names: list[str]) -> tuple[int, list[str]]:
    """Put the attachments ``names`` (kept in ``kept``) back in the data directory's
    store; returns how many were put back and the names ``kept`` lacks."""
    root = store_root(settings.data_dir)
    added: list[str] = []
    missing: list[str] = []
    for name in names:
        try:
            if link_into(kept, root, name, sync=False):
                added.append(name)
        except FileNotFoundError:
            missing.append(name)
        except OSError as exc:
            raise BackupError(f"Could not put the attachment {name} back: {exc}") from exc
    sync_folders(root, added)
    return len(added), missing


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
        pipe.eval(_DELETE_ALL, 0, "charlie:*", *skip_args())
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


def _refuse_if_not_alone(backend: Backend) -> None:
    if backend.broker.role == "client":
        pid = backend.broker.handoff.owner_pid if backend.broker.handoff else "?"
        raise BackupError(
            f"Charlie is running (pid {pid}); quit it (the app, or `charlie serve`) first, "
            "then run the restore again. Taking a backup while it runs is fine."
        )


def restore(backend: Backend, path: Path) -> RestoreResult:
    """Replace the database with the backup in ``path``.

    The file is checked whole first; then a "before-restore" backup is taken; then every
    data key is replaced in one MULTI (if the server refuses any, the before-restore state
    is put back). Jobs running in the backup go back to the queue. Refuses while another
    process owns the broker or a worker is alive (stop the supervisor first)."""
    path = Path(path).expanduser()
    _refuse_if_not_alone(backend)
    _header, records, names = read_backup_whole(path)
    client = backend.broker.client
    external = backend.broker.role == "external"
    lock = None if external else try_worker_lock(backend.settings)
    if lock is None and not external:
        raise BackupError(
            f"A Charlie worker is still running (it holds {worker_lock_path(backend.settings)}); "
            "stop it before restoring."
        )
    try:
        _check_compatible(client, records, path)
        current = dump_all(client)
        directory = backup_dir(backend.settings)
        with attachments_lock(directory):
            kept = keep_attachments(backend.settings)
            before = write_backup(directory, current, "before-restore", kept)
        # Files first: no restored entry may name one that is not there.
        brought, missing = _bring_back(backend.settings, path.parent / "attachments", names)
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
        requeued = _requeue_running(backend.jobs)
    except redis.RedisError as exc:
        raise BackupError(f"Lost contact with the database during the restore: {exc}") from exc
    finally:
        if lock is not None:
            os.close(lock)
    rotate(backend.settings, spare=path)
    # Screens reconcile from the records on any event; wake-ups are re-sent by the
    # sweeper too, so these only save a few seconds.
    client.publish(EVENTS, json.dumps({"event": "restored"}))
    backend.wakeups.send()  # One is enough: each claim wakes another worker.
    return RestoreResult(
        source=path,
        before=before,
        keys=len(records),
        requeued=requeued,
        attachments=brought,
        missing_attachments=tuple(missing),
    )


def resolve_backup(settings: Settings, name: str) -> Path:
    """A backup named by path, or by file name inside ``<data>/backups``."""
    given = Path(name).expanduser()
    if given.exists():
        return given
    inside = backup_dir(settings) / name
    if inside.exists():
        return inside
    raise BackupError(f"There is no backup {name!r} (see `charlie backup --list`).")
