"""Issue 10 D4's proof for the app: the real TUI in a real terminal rides through three
CLI owners coming and going (one quits, one is SIGKILLed, one quits while the app is
busy), keeps what is in its editor, and saves it afterwards — without the user doing
anything, and never with two servers.

The app is opened while another process owns the data directory, so it starts as a
client. Each owner leaves in turn; whichever process calls next (the app polling its
header, or the next CLI owner) takes the lock and starts the server from the same files.
Which one wins is a race (here the second CLI process usually takes over from the first,
then the app from the second, and the third CLI process leaves as the app's client); the
test holds whatever the order.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from backend.broker.handoff import read_handoff
from backend.broker.paths import Paths
from backend.root import Charlie
from backend.settings import load_settings
from tests.helpers.procs import OwnerProc, servers_for, wait_until, watch_servers
from tests.helpers.pty_app import PtyApp

pytestmark = pytest.mark.slow


def owner_pid(data_dir: Path) -> int | None:
    handoff = read_handoff(Paths(data_dir).handoff)
    return handoff.owner_pid if handoff is not None else None


def test_the_app_rides_through_three_cli_owners_and_saves_afterwards(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stop, most = threading.Event(), [0]
    watcher = threading.Thread(target=watch_servers, args=(data_dir, stop, most))
    watcher.start()
    owners = [OwnerProc()]
    app: PtyApp | None = None
    try:
        assert owners[0].wait_ready()["role"] == "owner"
        owners += [OwnerProc(), OwnerProc()]
        for later in owners[1:]:
            assert later.wait_ready()["role"] == "client"
        first_owner = owner_pid(data_dir)
        assert first_owner == owners[0].proc.pid

        app = PtyApp(dict(os.environ))
        app.wait_for_text("Quit")
        app.clear()
        app.write("n")
        app.wait_for_text("New entry")
        app.type("Typed while three owners came and went END")
        app.wait_for_text("went END")

        owned_by: list[str] = []
        for index, owner in enumerate(owners):
            if index == 1:
                owner.kill()
            else:
                owner.quit()
            # The next CLI owner calls at once; the app polls: either may take over.
            if index + 1 < len(owners):
                assert "error" not in owners[index + 1].call(op="count")
            leaving = owner.proc.pid

            def moved(leaving: int = leaving) -> bool:
                pid = owner_pid(data_dir)
                return pid is not None and pid != leaving

            wait_until(moved, timeout=30, what=f"ownership to move from {leaving}")
            new_owner = owner_pid(data_dir)
            owned_by.append("app" if new_owner == app.pid else "cli")
        assert owner_pid(data_dir) == app.pid, owned_by  # The app is all that is left.

        app.clear()
        app.write("\x13")  # Ctrl+S
        app.wait_for_text("Entry saved")
        assert "Lost contact" not in app.text()
        with Charlie.open(load_settings()) as client:
            assert client.backend.broker.role == "client"
            bodies = [
                client.journal().entries.get(e.id).body
                for e in client.journal().entries.list().entries
            ]
        assert bodies == ["Typed while three owners came and went END"]
        app.send(signal.SIGTERM)
        assert app.wait() == 0, app.tail()
        wait_until(lambda: not servers_for(data_dir), timeout=20, what="the app's server to stop")
    finally:
        for owner in owners:
            if owner.proc.poll() is None:
                owner.kill()
        if app is not None:
            app.close()
        stop.set()
        watcher.join()
    assert most[0] == 1, f"{most[0]} servers at once"
