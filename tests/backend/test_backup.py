"""Backups through the running broker, rotation, and restore (real brokers, real workers)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.broker.handoff import BROKER_ID_KEY, read_handoff, verify
from backend.broker.paths import Paths
from backend.graph.schema import blocked_key
from backend.jobs.records import enrich_job_id
from backend.jobs.supervisor import Supervisor
from backend.root import Charlie
from backend.settings import Settings
from backend.transfer.backup import (
    backup_dir,
    daily_chore,
    daily_due,
    list_backups,
    snapshot,
)
from backend.transfer.backup_file import (
    MAGIC,
    VERSION,
    BackupError,
    Record,
    read_backup,
    write_backup,
)
from backend.transfer.restore import restore
from tests.helpers import ROOT
from tests.helpers.procs import OwnerProc, wait_until
from tests.helpers.sample_journal import build_journal, journal_state


def jobs_of(api: Charlie) -> dict[str, tuple[str, str]]:
    """Every job record of the default journal as entry id -> (state, content hash)."""
    journal = api.journals.get()
    out = {}
    for page in api.journal().entries.list(limit=1000).entries:
        record = api.backend.jobs.get(enrich_job_id(journal.id, page.id))
        out[page.id] = (record.state, record.content_hash) if record else ("missing", "")
    return out


def test_snapshot_then_restore_brings_everything_back(api: Charlie) -> None:
    built = build_journal(api)
    api.queue.set_inference(False)
    before = {name: journal_state(api, name) for name in ("Journal", "Work")}
    jobs_before = jobs_of(api)
    broker_id = api.backend.broker.client.get(BROKER_ID_KEY)

    path = snapshot(api.backend, "manual")

    # Change everything after the backup: add, edit, delete, curate, switch.
    added = api.journal().entries.add("Written after the backup.")
    api.journal().entries.edit(built["ids"][1], body="Edited after the backup.")
    api.journal().entries.delete(built["ids"][0])
    api.backend.broker.client.hset(blocked_key(api.journals.get().id), "sam", "Sam")
    api.queue.set_inference(True)
    assert journal_state(api, "Journal") != before["Journal"]

    result = restore(api.backend, path)

    assert result.keys > 0 and result.requeued == 0
    assert result.before.exists() and result.before.name.endswith("-before-restore.backup")
    for name in ("Journal", "Work"):
        assert journal_state(api, name) == before[name]
    assert jobs_of(api) == jobs_before
    assert added.id not in jobs_of(api)
    assert not api.queue.inference_enabled() and "inference" in api.queue.paused_reasons()
    # The broker id is the server's, not the backup's: clients still trust the handoff.
    assert api.backend.broker.client.get(BROKER_ID_KEY) == broker_id
    handoff = read_handoff(Paths(api.settings.data_dir).handoff)
    assert handoff is not None
    verify(handoff).close()
    # Indexes came back with the graph: full-text search finds a restored entry.
    found = api.backend.store.graph(api.journals.get()).read(
        "CALL db.idx.fulltext.queryNodes('Searchable', 'Kathmandu') YIELD node RETURN node.id"
    )
    assert [row[0] for row in found] == [built["ids"][1]]

    # And the before-restore backup undoes the restore.
    restore(api.backend, result.before)
    assert api.journal().entries.get(added.id).body == "Written after the backup."
    assert api.queue.inference_enabled()


def test_rotation_keeps_what_matters_like_restic_forget(api: Charlie) -> None:
    """Issue 10: ten restarts must not rotate away the backup taken before an import."""
    from datetime import UTC, datetime, timedelta

    from backend.transfer.backup import retention, rotate

    api.backend.settings = api.settings.with_changes(backup_keep=3)
    api.journal().entries.add("Something to back up.")
    real = snapshot(api.backend, "manual")
    directory = backup_dir(api.settings)
    now = datetime(2026, 6, 30, 12, tzinfo=UTC)

    def fake(moment: datetime, reason: str) -> Path:
        stamp = moment.strftime("%Y%m%dT%H%M%S") + "000Z"
        path = directory / f"charlie-{stamp}-{reason}.backup"
        path.write_bytes(real.read_bytes())
        return path

    before_import = fake(now - timedelta(days=40), "import")
    old_restore = [fake(now - timedelta(days=300 + n), "before-restore") for n in range(6)]
    # Thirty days of restarts, ten a day on the last day.
    daily = [fake(now - timedelta(days=d, hours=1), "startup") for d in range(1, 31)]
    today = [fake(now - timedelta(minutes=10 * n), "startup") for n in range(10)]
    why = retention(api.settings, now)
    deleted = set(rotate(api.settings, now=now))

    assert real not in deleted and "taken by hand" in why[real]
    assert before_import not in deleted and any(
        "import or restore" in w for w in why[before_import]
    )
    assert [p in deleted for p in old_restore] == [False] * 4 + [True] * 2  # 5 with the import.
    assert [p in deleted for p in today] == [False] * 3 + [True] * 7  # Newest 3 start-ups.
    assert all(p not in deleted for p in daily[:6])  # One a day for 7 days (today is one).
    assert all("the newest of its month" in why[p] for p in (daily[-1],))
    kept = {p for p in directory.iterdir()}
    listed = {b.path: b for b in list_backups(api.settings)}
    assert set(listed) == kept and all(listed[p].kept_because for p in kept if p != real)


def _damaged(path: Path, how: str) -> Path:
    data = path.read_bytes()
    header_end = data.index(b"\n", len(MAGIC)) + 1
    target = path.parent.parent / f"damaged-{how}.backup"
    if how == "truncated":
        target.write_bytes(data[:-50])
    elif how == "flipped":
        at = header_end + (len(data) - header_end) // 2
        target.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
    elif how == "foreign":
        target.write_bytes(b"PK\x03\x04 not a backup at all")
    elif how == "newer":
        header = json.loads(data[len(MAGIC) : header_end])
        header["version"] = VERSION + 1
        target.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + data[header_end:])
    return target


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("truncated", "truncated?"),
        ("flipped", "checksum does not match"),
        ("foreign", "is not a Charlie backup"),
        ("newer", f"version {VERSION + 1} backup"),
    ],
)
def test_a_damaged_backup_is_refused_before_anything_changes(
    api: Charlie, how: str, message: str
) -> None:
    api.journal().entries.add("Backed up.")
    path = snapshot(api.backend, "manual")
    later = api.journal().entries.add("Written after the backup.")
    before = journal_state(api, "Journal")
    files_before = sorted(backup_dir(api.settings).iterdir())

    with pytest.raises(BackupError, match=message.replace("?", r"\?")):
        restore(api.backend, _damaged(path, how))

    assert journal_state(api, "Journal") == before
    assert api.journal().entries.get(later.id).body == "Written after the backup."
    # Refused before the before-restore backup, even.
    assert sorted(backup_dir(api.settings).iterdir()) == files_before


def test_a_backup_the_database_refuses_is_rolled_back(api: Charlie) -> None:
    api.journal().entries.add("Still here afterwards.")
    before = journal_state(api, "Journal")
    # A well-formed file whose value the server will not take (its own checksum is wrong).
    bad = write_backup(
        backup_dir(api.settings),
        [Record(b"charlie:journals", 0, bytes([16]) + bytes(9) + b"\x00\x00" + b"\xff" * 8)],
        "manual",
    )

    with pytest.raises(BackupError, match="refused.*Nothing was changed"):
        restore(api.backend, bad)

    assert journal_state(api, "Journal") == before


@pytest.mark.slow
def test_restore_is_refused_while_another_charlie_owns_the_data(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from charlie import main

    owner = OwnerProc()
    try:
        assert owner.wait_ready()["role"] == "owner"
        owner.call(op="add", body="Before the backup.")
        # A backup through the running owner is fine.
        assert main(["backup"]) == 0
        path = Path(capsys.readouterr().out.strip())
        assert path.exists() and path.name.endswith("-manual.backup")
        owner.call(op="add", body="After the backup.")

        assert main(["restore", str(path), "--yes"]) == 1

        err = capsys.readouterr().err
        assert f"Charlie is running (pid {owner.proc.pid})" in err and "quit" in err
        assert owner.call(op="count") == {"count": 2}
        assert [p.name for p in backup_dir(settings).iterdir()] == [path.name]
    finally:
        owner.quit()

    # With nobody running, the command owns the data itself and restores.
    assert main(["restore", path.name, "--yes"]) == 0
    assert "Restored" in capsys.readouterr().out
    with Charlie.open(settings) as api:
        assert [e.preview for e in api.journal().entries.list().entries] == ["Before the backup."]


@pytest.mark.slow
def test_a_backup_taken_mid_enrichment_restores_and_the_queue_resumes(
    owner: tuple[Charlie, Supervisor],
) -> None:
    api, supervisor = owner
    slow = [
        api.journal().entries.add(f"walked with Sam and Ana #sleep=1.5 ({n})").id for n in range(2)
    ]
    quick = [api.journal().entries.add(f"coffee with Priya ({n}).").id for n in range(2)]
    # A slow job (1.5 s) must be the running one: a quick one may be done before the
    # snapshot is taken on a busy machine.
    wait_until(
        lambda: any(r.entry_id in slow for r in api.queue.list_jobs("running")),
        timeout=30,
        what=f"a slow job to be running (counts {api.queue.job_counts()})",
    )

    path = snapshot(api.backend, "manual")

    _header, records = read_backup(path)
    running = [r for r in records if r.key == b"charlie:jobs:running"]
    assert running, "the backup holds the running set"
    wait_until(
        lambda: {s for s, _ in jobs_of(api).values()} == {"done"},
        timeout=60,
        what=f"all jobs done before the restore ({jobs_of(api)})",
    )
    api.journal().entries.add("Written after the backup, lost by the restore.")
    supervisor.stop()  # A restore wants no worker alive.

    result = restore(api.backend, path)

    assert result.requeued == 1
    states = jobs_of(api)
    assert set(states) == set(slow + quick)  # Every entry of the backup, nothing else.
    assert all(state in ("queued", "done") for state, _ in states.values()), states
    assert api.queue.job_counts()["running"] == 0

    resumed = Supervisor(api.settings, api.backend.broker).start()
    try:
        wait_until(
            lambda: {s for s, _ in jobs_of(api).values()} == {"done"},
            timeout=60,
            what=f"every job done after the restore ({jobs_of(api)})",
        )
    finally:
        resumed.stop()
    graph = api.backend.store.graph(api.journals.get())
    for entry_id in slow:
        names = graph.read(
            "MATCH (:Episode {id: $id})-[:MENTIONS]->(n) RETURN n.name ORDER BY n.name",
            {"id": entry_id},
        )
        assert [row[0] for row in names] == ["Ana", "Sam"]
    # The restored running job ran again without being charged for the interrupted run.
    for entry_id in slow + quick:
        record = api.backend.jobs.get(enrich_job_id(api.journals.get().id, entry_id))
        assert record is not None and record.attempts == 1, record


@pytest.mark.slow
def test_the_owner_takes_a_startup_backup(settings: Settings) -> None:
    with Charlie.open(settings) as api:
        api.journal().entries.add("Here before the start.")
        graph_key = api.backend.store.graph(api.journals.get()).key.encode()
    serve = subprocess.Popen(
        [sys.executable, "charlie.py", "serve"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(
            lambda: any(b.reason == "startup" and not b.problem for b in list_backups(settings)),
            timeout=60,
            what="a start-up backup in <data>/backups",
        )
    finally:
        serve.send_signal(signal.SIGTERM)
        _out, err = serve.communicate(timeout=60)
    assert serve.returncode == 0, err
    [startup] = list_backups(settings)
    _header, records = read_backup(startup.path)
    assert graph_key in {r.key for r in records}


@pytest.mark.slow
def test_the_supervisor_takes_the_daily_backup_when_one_is_due(api: Charlie) -> None:
    api.journal().entries.add("Back me up daily.")
    assert daily_due(api.settings)
    chores = [daily_chore(api.backend.broker, api.settings, interval=0.0)]
    running = Supervisor(api.settings, api.backend.broker, chores=chores).start()
    try:
        wait_until(
            lambda: [b.reason for b in list_backups(api.settings)] == ["daily"],
            timeout=30,
            what="the daily backup",
        )
    finally:
        running.stop()
    assert not daily_due(api.settings)
    assert daily_due(api.settings, now=datetime.now(UTC) + timedelta(hours=25))


def test_backup_and_list_from_the_command_line(
    api: Charlie, capsys: pytest.CaptureFixture[str]
) -> None:
    from charlie import main

    assert main(["backup", "--list"]) == 0
    assert "No backups" in capsys.readouterr().out
    assert main(["backup"]) == 0
    made = Path(capsys.readouterr().out.strip())
    made.with_name("charlie-20200101T000000000Z-daily.backup").write_bytes(b"junk")

    assert main(["backup", "--list"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "unreadable" in lines[0] and "daily" in lines[0]
    assert "manual" in lines[1] and made.name in lines[1]
    assert f"{made.stat().st_size} B" in lines[1]
    assert main(["restore", "no-such-backup", "--yes"]) == 1
    assert "There is no backup 'no-such-backup'" in capsys.readouterr().err


# Issue 10 D7: restore trusts nothing in the file.


def test_a_key_of_the_wrong_type_is_refused_before_anything_changes(api: Charlie) -> None:
    api.journal().entries.add("Still here.")
    before = journal_state(api, "Journal")
    api.backend.broker.client.set("charlie:scratch", "a string")
    as_string = api.backend.broker.client.dump("charlie:scratch")
    api.backend.broker.client.delete("charlie:scratch")
    bad = write_backup(backup_dir(api.settings), [Record(b"charlie:journals", 0, as_string)], "x")
    with pytest.raises(BackupError, match="should hold a hash"):
        restore(api.backend, bad)
    unknown = write_backup(backup_dir(api.settings), [Record(b"charlie:zzz", 0, as_string)], "x")
    with pytest.raises(BackupError, match="not a key Charlie keeps"):
        restore(api.backend, unknown)
    assert journal_state(api, "Journal") == before


def test_a_backup_that_inflates_too_far_is_refused(api: Charlie) -> None:
    import gzip
    import hashlib
    import json

    from backend.transfer.backup_file import FORMAT, MAGIC, VERSION

    payload = gzip.compress(bytes(300 * 1024 * 1024), compresslevel=9)  # ~300 KB -> 300 MB
    header = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": "2026-01-01T00:00:00+00:00",
        "reason": "manual",
        "keys": 1,
        "payload_bytes": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    bomb = api.settings.data_dir / "bomb.backup"
    bomb.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + payload)
    with pytest.raises(BackupError, match="inflates to more than"):
        restore(api.backend, bomb)


def test_a_fifo_is_refused_instead_of_blocking(api: Charlie, tmp_path: Path) -> None:
    fifo = tmp_path / "not-a-backup"
    os.mkfifo(fifo)
    with pytest.raises(BackupError, match="not a regular file"):
        restore(api.backend, fifo)


def test_the_server_checks_restored_payloads_whole(api: Charlie) -> None:
    value = api.backend.broker.client.config_get("sanitize-dump-payload")
    assert value == {"sanitize-dump-payload": "yes"}


def test_restore_asks_first_and_reports_journals_and_entries(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from charlie import main

    with Charlie.open(settings) as api:
        api.journal().entries.add("One.")
        api.journal().entries.add("Two.")
        path = snapshot(api.backend, "manual")
    assert main(["restore", path.name]) == 1  # No terminal, no --yes: refused.
    assert "--yes" in capsys.readouterr().err
    assert main(["restore", path.name, "--yes"]) == 0
    assert "Restored 1 journal(s) with 2 entries" in capsys.readouterr().out
