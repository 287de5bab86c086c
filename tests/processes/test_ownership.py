"""Issue 10 D4: ownership moves, it never vanishes.

A client whose owner leaves (quits, or is SIGKILLed) rides through: its next call finds
the data directory without an owner, takes the lock, starts the server from the same
files and goes on — never two servers. Short CLI owners coming and going in parallel
all succeed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from backend.root import Charlie
from backend.settings import Settings
from tests.helpers import ROOT
from tests.helpers.procs import OwnerProc, servers_for, wait_until, watch_servers

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("how", ["quit", "kill"])
def test_a_client_rides_through_its_owner_leaving(settings: Settings, how: str) -> None:
    owner = OwnerProc()
    owner.wait_ready()
    first = owner.call(op="add", body="Written while the owner lived.")["id"]
    client = Charlie.open(settings)
    assert client.backend.broker.role == "client"
    (owner.quit if how == "quit" else owner.kill)()
    # A killed owner's server gets SIGTERM from the kernel and flushes on its way out.
    wait_until(
        lambda: servers_for(settings.data_dir) == [], timeout=30, what="the old server to stop"
    )

    entry = client.journal().entries.add("Written after the owner left.")
    try:
        assert client.backend.broker.is_owner
        assert client.journal().entries.get(first).body == "Written while the owner lived."
        assert client.journal().entries.get(entry.id).body == "Written after the owner left."
        assert client.journal().entries.count() == 2
        assert len(servers_for(settings.data_dir)) == 1
    finally:
        client.close()


ROUNDS = 20


def mixed_command(round_no: int, n: int, notes: Path) -> list[str]:
    """The n-th of a round's 8 commands: 4 writers, then a list, an import, a backup and
    another list. Writers and the import each add entries nobody else adds."""
    if n < 4:
        return ["new", f"Round {round_no} writer {n}."]
    if n == 5:
        folder = notes / f"round{round_no}"
        folder.mkdir()
        (folder / "note.md").write_text(f"Round {round_no} imported note.\n")
        return ["import", "files", str(folder)]
    if n == 6:
        return ["backup"]
    return ["list", "--limit", "5"]


def test_parallel_mixed_short_owners_all_succeed_with_one_server_at_a_time(
    settings: Settings, tmp_path: Path
) -> None:
    # Issue 10 D4's proof: 20 rounds of 8 parallel commands with nothing running. Each
    # round starts cold, so one command starts the server and the others attach to it,
    # or take it over as its owner leaves.
    stop, most = threading.Event(), [0]
    watcher = threading.Thread(target=watch_servers, args=(settings.data_dir, stop, most))
    watcher.start()
    try:
        for round_no in range(ROUNDS):
            commands = [mixed_command(round_no, n, tmp_path) for n in range(8)]
            procs = [
                subprocess.Popen(
                    [sys.executable, "charlie.py", *command],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=os.environ,
                )
                for command in commands
            ]
            for command, proc in zip(commands, procs, strict=True):
                _out, err = proc.communicate(timeout=120)
                assert proc.returncode == 0, f"round {round_no}: {command}: {err.decode()}"
            assert servers_for(settings.data_dir) == [], f"round {round_no} left a server"
    finally:
        stop.set()
        watcher.join()
    assert most[0] == 1, f"{most[0]} servers at once"
    with Charlie.open(settings) as api:
        entries = api.journal().entries.list(limit=1000).entries
        bodies = [api.journal().entries.get(e.id).body.strip() for e in entries]
    expected = [f"Round {r} writer {n}." for r in range(ROUNDS) for n in range(4)]
    expected += [f"Round {r} imported note." for r in range(ROUNDS)]
    assert sorted(bodies) == sorted(expected)  # Every one, none twice.


def start_serve(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "charlie.py", "serve"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def read_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"serve ended: {proc.stderr.read() if proc.stderr else ''}"
    return line


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=60)


def test_serve_waits_for_a_short_owner_and_takes_over(settings: Settings) -> None:
    owner = OwnerProc()
    owner.wait_ready()
    serve = start_serve({})
    try:
        assert read_line(serve).startswith("charlie: waiting for the Charlie that owns it")
        owner.quit()
        assert read_line(serve).startswith("charlie serving")
        with Charlie.open(settings) as api:
            assert api.backend.broker.role == "client"  # serve owns it now.
            entry = api.journal().entries.add("Enriched by serve's worker, Kai.")
            wait_until(
                lambda: (
                    api.queue.get_job(f"enrich:{api.journals.get().id}:{entry.id}").state == "done"
                ),
                timeout=60,
                what="serve's worker to enrich the entry",
            )
    finally:
        stop(serve)
    assert serve.returncode == 0 and servers_for(settings.data_dir) == []


def test_serve_with_a_broker_url_runs_a_worker_for_that_server(
    api: Charlie, tmp_path: Path
) -> None:
    serve = start_serve(
        {"CHARLIE_BROKER_URL": api.backend.broker.url, "CHARLIE_DATA_DIR": str(tmp_path / "remote")}
    )
    try:
        assert read_line(serve).startswith("charlie serving")
        entry = api.journal().entries.add("Enriched through the external URL, Ada.")
        wait_until(
            lambda: api.queue.get_job(f"enrich:{api.journals.get().id}:{entry.id}").state == "done",
            timeout=60,
            what="the external worker to enrich the entry",
        )
    finally:
        stop(serve)
