"""Backups read from a fork-based snapshot on a private server (backend/snapshot_server.py):
the same records as the one-step dump, nothing left behind, several at once (issue 10).

Real servers throughout: the live one, the scratch ones, real signals and a real damaged
snapshot file. The scratch directories go into a short private temp folder per test, so
what is left behind can be seen (and a unix socket path fits in it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from backend.broker.processes import process_cmdline, process_start_ticks
from backend.graph.cypher import Graph
from backend.graph.schema import blocked_key
from backend.root import Charlie
from backend.settings import Settings
from backend.transfer.backup import dump_all, read_live, snapshot
from backend.transfer.backup_file import Record, read_backup
from backend.transfer.export_reading import read_values
from backend.transfer.restore import restore
from backend.transfer.snapshot_server import (
    PREFIX,
    RDB_NAME,
    SnapshotError,
    fresh_save,
    read_snapshot,
    scratch_dir,
    scratch_server,
    server_rdb,
)
from tests.helpers import ROOT
from tests.helpers.procs import OwnerProc, wait_until
from tests.helpers.sample_journal import build_journal, journal_state

pytestmark = pytest.mark.slow

MODULE_TYPES = (6, 7)  # The RDB type byte of a module value (the FalkorDB graph).


@pytest.fixture
def scratch_base(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A short private temp folder for this test's scratch directories (here and in
    child processes)."""
    base = Path(tempfile.mkdtemp(prefix="cb-", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    monkeypatch.setenv("TMPDIR", str(base))
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def leftovers(base: Path) -> list[str]:
    return sorted(p.name for p in base.iterdir() if p.name.startswith(PREFIX))


def scratch_servers(base: Path) -> list[int]:
    """Live redis-servers working in a folder under ``base`` (redis chdirs to its dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        cmd = process_cmdline(int(entry.name))
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cmd and "redis-server" in cmd[0] and cwd.startswith(str(base)):
            if process_start_ticks(int(entry.name)) is not None:
                found.append(int(entry.name))
    return found


def seeded(api: Charlie) -> str:
    """Two journals with graphs, job records and a blocked name; the graph key."""
    build_journal(api)
    journal = api.journals.get()
    api.backend.broker.client.hset(blocked_key(journal.id), "sam", "Sam")
    return api.backend.store.graph(journal).key


def graph_content(client: redis.Redis, key: str) -> dict[str, Any]:
    """Everything a graph holds, comparable: nodes, edges (by id), indexes, constraints."""
    graph = Graph(client, key)
    nodes = read_values(graph, "MATCH (n) RETURN id(n), labels(n), properties(n) ORDER BY id(n)")
    edges = read_values(
        graph,
        "MATCH (a)-[r]->(b) RETURN id(r), type(r), id(a), id(b), properties(r) ORDER BY id(r)",
    )
    indexes = graph.read(
        "CALL db.indexes() YIELD label, properties, types, entitytype "
        "RETURN label, properties, types, entitytype ORDER BY label, entitytype"
    )
    constraints = graph.read("CALL db.constraints()")
    return json.loads(
        json.dumps(
            {"nodes": nodes, "edges": edges, "indexes": indexes, "constraints": constraints},
            default=str,
        )
    )


def assert_same_records(client: redis.Redis, old: list[Record], new: list[Record]) -> None:
    """Same keys and TTLs; plain values byte for byte; a graph by what it holds once
    restored (FalkorDB's serialisation is not byte-stable between two dumps)."""
    by_key = {r.key: r for r in old}
    assert sorted(by_key) == sorted(r.key for r in new)
    for record in new:
        before = by_key[record.key]
        assert record.ttl_ms == before.ttl_ms, record.key
        assert record.dump[0] == before.dump[0], record.key
        if record.dump[0] not in MODULE_TYPES:
            assert record.dump == before.dump, record.key
            continue
        client.restore("test:old", 0, before.dump, replace=True)
        client.restore("test:new", 0, record.dump, replace=True)
        try:
            assert graph_content(client, "test:new") == graph_content(client, "test:old")
        finally:
            client.delete("test:old", "test:new")


def test_a_snapshot_backup_holds_the_same_records_as_the_one_step_dump(
    api: Charlie, scratch_base: Path
) -> None:
    graph = seeded(api)
    client = api.backend.broker.client
    one_step = dump_all(client)
    held = graph_content(client, graph)
    assert held["nodes"] and held["edges"] and held["indexes"]

    assert_same_records(client, one_step, read_snapshot(client, dump_all))
    path = snapshot(api.backend, "manual")
    _header, records = read_backup(path)
    assert_same_records(client, one_step, records)

    # The snapshot path was taken (a fallback writes why to the backup log), and it left
    # no scratch directory or server behind.
    assert not (api.settings.data_dir / "logs" / "backup.log").exists()
    assert leftovers(scratch_base) == [] and scratch_servers(scratch_base) == []

    # And it restores.
    before = {name: journal_state(api, name) for name in ("Journal", "Work")}
    api.journal().entries.add("Written after the backup.")
    restore(api.backend, path)
    assert {name: journal_state(api, name) for name in ("Journal", "Work")} == before


def test_an_external_or_refusing_server_is_read_in_one_step_with_the_same_records(
    api: Charlie, scratch_base: Path
) -> None:
    seeded(api)
    client = api.backend.broker.client
    one_step = dump_all(client)
    log = api.settings.data_dir / "logs" / "backup.log"

    # broker_url: the server's files may be on another machine; that is no problem.
    external = api.settings.with_changes(broker_url=api.backend.broker.url)
    assert_same_records(client, one_step, read_live(client, external))
    assert not log.exists()

    # A server that refuses BGSAVE (here: to this user) is read in one step, and the
    # backup log says why it paused.
    client.acl_setuser(
        "nosave",
        enabled=True,
        passwords=["+pw"],
        keys=["*"],
        channels=["*"],
        commands=["+@all", "-bgsave"],
    )
    socket = client.connection_pool.connection_kwargs["path"]
    refused = redis.Redis(unix_socket_path=socket, username="nosave", password="pw")
    try:
        assert_same_records(client, one_step, read_live(refused, api.settings))
    finally:
        refused.close()
    assert "refused to save a snapshot" in log.read_text()
    assert leftovers(scratch_base) == [] and scratch_servers(scratch_base) == []


def test_a_scratch_server_killed_mid_read_fails_the_backup_and_leaves_nothing(
    api: Charlie, scratch_base: Path
) -> None:
    api.journal().entries.add("Something to back up.")
    killed: list[int] = []

    def kill_then_read(copy: redis.Redis) -> list[Record]:
        pid = int(copy.info("server")["process_id"])
        assert scratch_servers(scratch_base) == [pid]
        killed.append(pid)
        os.kill(pid, signal.SIGKILL)
        return dump_all(copy)

    with pytest.raises(SnapshotError, match="private copy of the database failed"):
        read_snapshot(api.backend.broker.client, kill_then_read)
    assert killed and process_start_ticks(killed[0]) is None
    assert leftovers(scratch_base) == [] and scratch_servers(scratch_base) == []


def test_a_damaged_snapshot_is_refused_and_leaves_nothing(api: Charlie, scratch_base: Path) -> None:
    api.journal().entries.add("Something to back up.")
    client = api.backend.broker.client
    fresh_save(client)
    whole = server_rdb(client).read_bytes()
    with scratch_dir() as directory:
        (directory / RDB_NAME).write_bytes(whole[: len(whole) // 2])
        with pytest.raises(SnapshotError, match="could not load the snapshot") as failed:
            with scratch_server(directory):
                pass
        assert scratch_servers(scratch_base) == []
    assert "Short read" in str(failed.value)  # The server's own words, from its log.
    assert leftovers(scratch_base) == []


def test_backups_at_once_from_threads_and_a_process_all_succeed(
    api: Charlie, scratch_base: Path
) -> None:
    seeded(api)
    client = api.backend.broker.client
    one_step = dump_all(client)
    # Every save now takes a while, and one started before the backups asked: each must
    # wait for it, then share or start a save of its own.
    client.config_set("rdb-key-save-delay", 20_000)
    try:
        client.bgsave()
        cli = subprocess.Popen(
            [sys.executable, "charlie.py", "backup"],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        start = threading.Barrier(2)
        made: list[Path | BaseException] = []

        def back_up() -> None:
            start.wait()
            try:
                made.append(snapshot(api.backend, "manual"))
            except BaseException as exc:
                made.append(exc)

        threads = [threading.Thread(target=back_up) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        out, err = cli.communicate(timeout=120)
    finally:
        client.config_set("rdb-key-save-delay", 0)
    assert cli.returncode == 0, err
    paths = [*made, Path(out.strip())]
    assert all(isinstance(p, Path) for p in paths), made
    assert len(set(paths)) == 3  # Three files, even when two finish in the same millisecond.
    for path in paths:
        assert_same_records(client, one_step, read_backup(path)[1])
    assert not (api.settings.data_dir / "logs" / "backup.log").exists()
    assert leftovers(scratch_base) == [] and scratch_servers(scratch_base) == []


# Reads a snapshot of the server on argv[1], says the scratch server's pid from inside
# the read, then waits there to be killed.
KILLED_MID_READ = """
import sys
from backend.broker.handoff import connect_socket
from backend.transfer.snapshot_server import read_snapshot

def hold(copy):
    print(copy.info("server")["process_id"], flush=True)
    sys.stdin.read()

read_snapshot(connect_socket(sys.argv[1]), hold)
"""


def test_a_backup_process_killed_outright_takes_its_server_and_a_later_backup_its_folder(
    api: Charlie, scratch_base: Path
) -> None:
    api.journal().entries.add("Something to back up.")
    socket = api.backend.broker.client.connection_pool.connection_kwargs["path"]
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_MID_READ, socket],
        cwd=ROOT,
        env=os.environ.copy(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    server = int(child.stdout.readline())
    child.kill()
    child.wait(timeout=30)

    # The scratch server dies with it (nothing ran the finally blocks: the kernel did).
    wait_until(
        lambda: process_start_ticks(server) is None, timeout=30, what="the scratch server to die"
    )
    [left] = leftovers(scratch_base)
    assert (scratch_base / left / RDB_NAME).exists()

    # A young folder may belong to a backup in flight elsewhere: it stays for an hour.
    snapshot(api.backend, "manual")
    assert leftovers(scratch_base) == [left]
    old = os.stat(scratch_base / left).st_mtime - 2 * 3600
    os.utime(scratch_base / left, (old, old))
    snapshot(api.backend, "manual")
    assert leftovers(scratch_base) == [] and scratch_servers(scratch_base) == []


def test_a_backup_follows_the_broker_when_its_owner_leaves_mid_way(
    settings: Settings, scratch_base: Path
) -> None:
    owner = OwnerProc()
    api = None
    try:
        assert owner.wait_ready()["role"] == "owner"
        api = Charlie.open(settings)
        assert api.backend.broker.role == "client"
        entry = api.journal().entries.add("Saved before the backup.")
        # The owner's server is still writing the snapshot when its owner quits.
        api.backend.broker.client.config_set("rdb-key-save-delay", 1_000_000)
        made: list[Path] = []
        backing_up = threading.Thread(target=lambda: made.append(snapshot(api.backend, "manual")))
        backing_up.start()
        wait_until(
            lambda: api.backend.broker.client.info("persistence")["rdb_bgsave_in_progress"],
            timeout=30,
            what="the backup's snapshot to start",
        )
        owner.quit()
        backing_up.join(timeout=120)
        # The client took the data directory over and backed up the server it started.
        assert api.backend.broker.role == "owner" and made
        _header, records = read_backup(made[0])
        copy = {r.key: r for r in records}
        assert copy.keys() == {r.key for r in dump_all(api.backend.broker.client)}
        assert api.journal().entries.get(entry.id).body == "Saved before the backup."
    finally:
        if api is not None:
            api.close()
        if owner.proc.poll() is None:
            owner.kill()
    assert leftovers(scratch_base) == [] and scratch_servers(scratch_base) == []
