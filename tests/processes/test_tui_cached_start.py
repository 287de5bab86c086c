"""Issue 14 in a real terminal: `charlie` starts on the home's cached first page, then
shows the live list (with what another process wrote since); quitting while the journal
is still opening leaves no server and no lock behind."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from backend.broker.paths import Paths, try_lock
from backend.root import Charlie
from backend.services.home_cache import read_home, write_home
from backend.settings import Settings
from tests.helpers.procs import charlie, servers_for, wait_until
from tests.helpers.pty_app import PtyApp
from tests.helpers.ui import NOW, seed

pytestmark = pytest.mark.slow


def cache_a_journal(settings: Settings) -> None:
    with Charlie.open(settings) as api:
        seed(
            api,
            (NOW - timedelta(days=1), "Cached morning", "From before."),
            (NOW - timedelta(days=2), "Cached evening", "Also from before."),
        )
        write_home(settings.data_dir, "Journal", api.journal().entries.list(limit=100).entries)


def lock_is_free(data_dir: Path) -> bool:
    fd = try_lock(Paths(data_dir).lock)
    if fd is None:
        return False
    os.close(fd)
    return True


def test_the_app_starts_on_the_cache_then_shows_the_live_list(settings: Settings) -> None:
    cache_a_journal(settings)
    written = charlie("new", "--title", "Written by another process", "After the cache.")
    assert written.returncode == 0, written.stderr
    app = PtyApp(dict(os.environ))
    try:
        app.wait_for_text("Cached morning")
        app.wait_for_text("Written by another process")  # The live list.
        app.write("q")
        assert app.wait() == 0, app.tail()
        assert not servers_for(settings.data_dir)
        assert lock_is_free(settings.data_dir)
        kept = read_home(settings.data_dir)  # Rewritten at exit with the live rows.
        assert kept is not None
        assert kept.entries[0].title == "Written by another process"
    finally:
        app.close()


def test_quitting_while_the_journal_opens_is_prompt_and_leaves_nothing(
    settings: Settings,
) -> None:
    cache_a_journal(settings)
    # Another process holds the data directory and has not published its server yet,
    # as an owner still loading a large journal: the app waits for it, as a client.
    held = try_lock(Paths(settings.data_dir).lock)
    assert held is not None
    app = PtyApp({**os.environ, "CHARLIE_BROKER_WAIT_SECONDS": "120"})
    try:
        app.wait_for_text("Cached morning")
        app.wait_for_text("Opening the journal")
        app.write("n")  # Needs the database: nothing opens.
        app.write("q")
        # Well before broker_wait_seconds (120 s): quitting does not wait for the owner.
        assert app.wait(timeout=60) == 0, app.tail()
        assert "New entry" not in app.text()
        assert not servers_for(settings.data_dir)
    finally:
        app.close()
        os.close(held)
    wait_until(lambda: lock_is_free(settings.data_dir), timeout=10, what="the lock to be free")
