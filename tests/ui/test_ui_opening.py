"""Issue 14: the app starts on the home's cached first page while the journal opens.

The cache file itself (private, one page, damaged files ignored), the app writing it,
and the app started on it with a real server begun by a real runtime: the cached rows
at once, nothing that needs the database until the journal is open, then the live list
in place; and quitting while the server is still loading stops it and frees the lock.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.broker.paths import Paths, try_lock
from backend.models import EntrySummary
from backend.root import Charlie
from backend.runtime import OwnerRuntime
from backend.services.home_cache import (
    HOME_ROWS,
    MAX_BYTES,
    CachedHome,
    cache_path,
    read_home,
    write_home,
)
from backend.settings import Settings
from tests.helpers.procs import servers_for, wait_until
from tests.helpers.seeds import seed_journal
from tests.helpers.ui import (
    NOW,
    SIZE,
    entry_list,
    indicator_text,
    listed_ids,
    make_app,
    seed,
    settle,
    wait_for,
)
from ui.app import CharlieApp
from ui.dialogs.help import HelpScreen
from ui.opening import Opening
from ui.screens.editor import EditorScreen
from ui.screens.home import HomeScreen


def summaries(count: int) -> list[EntrySummary]:
    return [
        EntrySummary(f"e{i:03}", f"Entry {i}", f"Body of entry {i}", NOW - timedelta(hours=i))
        for i in range(count)
    ]


# -- the file ---------------------------------------------------------------------------


def test_the_cache_is_private_and_holds_one_page(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    write_home(data_dir, "Journal", summaries(HOME_ROWS + 50))
    path = cache_path(data_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    kept = read_home(data_dir)
    assert kept == CachedHome("Journal", summaries(HOME_ROWS))
    assert [p.name for p in path.parent.iterdir()] == ["home.json"]  # No temp file left.


def test_the_cache_keeps_tags_and_stars_and_reads_a_page_from_before_them(
    tmp_path: Path,
) -> None:
    starred = EntrySummary("e1", "Trip", "Packed.", NOW, tags=("travel", "family"), starred=True)
    write_home(tmp_path, "Journal", [starred])
    assert read_home(tmp_path) == CachedHome("Journal", [starred])
    before = {"id": "e2", "title": "Old", "preview": "A row.", "entry_at": NOW.isoformat()}
    cache_path(tmp_path).write_text(json.dumps({"format": 1, "journal": "J", "entries": [before]}))
    assert read_home(tmp_path) == CachedHome("J", [EntrySummary("e2", "Old", "A row.", NOW)])


def test_a_looser_cache_folder_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "cache"
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    write_home(tmp_path / "data", "Journal", summaries(2))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe garbage",
        b'{"format": 2, "journal": "Journal", "entries": []}',
        b'{"format": 1, "journal": "", "entries": []}',
        b'{"format": 1, "journal": "Journal", "entries": {}}',
        b'{"format": 1, "journal": "Journal", "entries": [{"id": "a"}]}',
        b"[1, 2, 3]",
        json.dumps(
            {
                "format": 1,
                "journal": "J",
                "entries": [{"id": "a", "title": "", "preview": "", "entry_at": "2026-03-18"}],
            }
        ).encode(),  # A time without its offset.
        json.dumps(
            {
                "format": 1,
                "journal": "J",
                "entries": [{"id": "", "title": "", "preview": "", "entry_at": NOW.isoformat()}],
            }
        ).encode(),
        json.dumps(
            {
                "format": 1,
                "journal": "J",
                "entries": [
                    {"id": f"e{i}", "title": "", "preview": "", "entry_at": NOW.isoformat()}
                    for i in range(HOME_ROWS + 1)
                ],
            }
        ).encode(),
        json.dumps(
            {
                "format": 1,
                "journal": "J",
                "entries": [
                    {
                        "id": "a",
                        "title": "",
                        "preview": "",
                        "entry_at": NOW.isoformat(),
                        "tags": "travel",
                    }
                ],
            }
        ).encode(),
        b" " * (MAX_BYTES + 1),
    ],
    ids=[
        "not-json",
        "not-utf8",
        "other-format",
        "no-journal",
        "entries-not-a-list",
        "missing-fields",
        "not-an-object",
        "naive-time",
        "empty-id",
        "too-many-rows",
        "tags-not-a-list",
        "oversized",
    ],
)
def test_a_damaged_cache_is_ignored(tmp_path: Path, content: bytes) -> None:
    path = cache_path(tmp_path)
    path.parent.mkdir(mode=0o700)
    path.write_bytes(content)
    assert read_home(tmp_path) is None


def test_no_cache_is_none(tmp_path: Path) -> None:
    assert read_home(tmp_path) is None


# -- the app writes it ------------------------------------------------------------------


async def test_the_app_keeps_the_first_page_of_the_default_journal(
    api: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_journal(api)
    monkeypatch.setattr(HomeScreen, "PAGE_SIZE", 3)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("end")  # Loads older pages: the cache keeps the first one.
        await settle(pilot)
        assert len(listed_ids(app)) == 7
        shown = listed_ids(app)
    kept = read_home(api.settings.data_dir)  # Written at exit at the latest.
    assert kept is not None and kept.journal == "Journal"
    assert [e.id for e in kept.entries] == shown[:3]
    path = cache_path(api.settings.data_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


async def test_another_journal_is_not_cached(api: Charlie) -> None:
    seed_journal(api)
    api.journals.create("Work")
    seed(api, (NOW, "Elsewhere", "In the work journal."), journal="Work")
    app = make_app(api, journal="Work")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(listed_ids(app)) == 1
    assert read_home(api.settings.data_dir) is None


# -- the app started on it --------------------------------------------------------------


def opening_app(runtime: OwnerRuntime, gate: threading.Event | None = None) -> CharlieApp:
    """The app as cli/tui.py starts it on a cached home (``gate``: the opening waits for
    it first, so the test can look at the app while the journal is opening)."""
    cached = read_home(runtime.settings.data_dir)
    assert cached is not None, "no cache to start from"

    def open_journal() -> Charlie:
        if gate is not None:
            gate.wait()
        runtime.open()
        runtime.start()
        return runtime.charlie

    app = CharlieApp(None, clock=lambda: NOW, opening=Opening(open_journal, runtime.close, cached))
    app.animation_level = "none"
    return app


def cached_journal(settings: Settings) -> list[str]:
    """Seed a journal, cache its first page, then add an entry the cache does not have;
    the ids cached, newest first."""
    with Charlie.open(settings) as seeder:
        seed_journal(seeder)
        page = seeder.journal().entries.list(limit=100).entries
        write_home(settings.data_dir, "Journal", page)
        seed(seeder, (NOW - timedelta(minutes=5), "Written after the cache", "New."))
    return [e.id for e in page]


async def test_the_cached_home_shows_at_once_and_the_live_list_replaces_it(
    settings: Settings,
) -> None:
    cached = cached_journal(settings)
    runtime = OwnerRuntime(settings)
    runtime.begin()  # The real server, loading the journal.
    gate = threading.Event()
    app = opening_app(runtime, gate)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.opening
            assert listed_ids(app) == cached
            assert "Opening the journal" in indicator_text(app)
            home = app.home
            for action in ("new", "edit", "delete", "journals"):
                assert home.check_action(action, ()) is None, action
            for action in ("open_queue", "open_search", "open_settings", "open_import"):
                assert app.check_action(action, ()) is None, action
            assert entry_list(app).check_action("select", ()) is None
            # Nothing that needs the database opens; moving and help work.
            await pilot.press("n", "w", "slash", "enter", "j", "comma")
            await settle(pilot)
            assert app.screen is home
            await pilot.press("down", "down")
            highlighted = entry_list(app).highlighted_entry_id
            assert highlighted == cached[2]
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("question_mark")
            assert app.screen is home
            gate.set()  # The journal opens.
            await wait_for(pilot, lambda: not app.opening and home.live, "the live list")
            await settle(pilot)
            listed = listed_ids(app)
            assert len(listed) == len(cached) + 1  # "Written after the cache" is there.
            assert set(cached) < set(listed)
            assert entry_list(app).highlighted_entry_id == highlighted  # The place is kept.
            assert "Opening" not in indicator_text(app)
            assert home.check_action("new", ()) is True
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, EditorScreen)
    finally:
        gate.set()
        runtime.close()


@pytest.mark.slow
async def test_quitting_while_the_server_loads_stops_it_and_frees_the_lock(
    settings: Settings,
) -> None:
    cached_journal(settings)
    runtime = OwnerRuntime(settings)
    runtime.begin()
    # A server that never answers stands for one loading a very large journal.
    (server,) = servers_for(settings.data_dir)
    os.kill(server, signal.SIGSTOP)
    app = opening_app(runtime)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.opening and listed_ids(app)
            # The opening thread is waiting in finish() for the stopped server.
            await wait_for(pilot, lambda: runtime._opening.is_set(), "the opening to wait")
            await pilot.press("q")
        app.join_opening(10)
        assert app.opener is not None and not app.opener.is_alive()
        assert app.open_error is None  # Quitting is not a start-up error.
        wait_until(lambda: not servers_for(settings.data_dir), timeout=10, what="no server")
        lock = try_lock(Paths(settings.data_dir).lock)
        assert lock is not None, "the lock is still held"
        os.close(lock)
    finally:
        for pid in servers_for(settings.data_dir):
            os.kill(pid, signal.SIGKILL)
        runtime.close()


async def test_an_opening_that_fails_shows_the_startup_error(tmp_path: Path) -> None:
    from backend.errors import BrokerError
    from ui.screens.startup_error import StartupErrorScreen

    def fail() -> Charlie:
        raise BrokerError("The database server exited at start-up (code 1).")

    home = CachedHome("Journal", summaries(3))
    app = CharlieApp(None, clock=lambda: NOW, opening=Opening(fail, lambda: None, home))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StartupErrorScreen), "the error")
        assert "exited at start-up" in str(app.open_error)
        await pilot.press("q")
    assert app.return_code in (0, None)  # cli/tui.py turns open_error into status 1.


def test_opening_home_snapshot(snap_compare: Any) -> None:
    """The home while the journal opens: cached rows, "Opening the journal…" in the
    header, the keys that need the database greyed out."""
    gate = threading.Event()

    def wait_forever() -> Charlie:
        gate.wait()
        raise RuntimeError("stopped")

    home = CachedHome("Journal", summaries(12))
    app = CharlieApp(None, clock=lambda: NOW, opening=Opening(wait_forever, gate.set, home))
    app.animation_level = "none"
    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=settle)
    finally:
        gate.set()
