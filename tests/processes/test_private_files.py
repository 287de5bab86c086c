"""Issue 10 D1: the journal is readable by its owner only, whatever the umask.

A real session (server, supervised worker, an entry enriched, an export, a backup, the
logs) leaves no path under the data directory open to group or others; an existing
looser directory is tightened; one that belongs to another user is refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from backend.errors import BrokerError
from backend.jobs.supervisor import Supervisor
from backend.root import Charlie
from backend.settings import Settings, save_settings
from backend.transfer.backup import note_problem, snapshot
from backend.transfer.json_export import export_json
from backend.transfer.markdown_export import export_markdown
from tests.helpers.jobs import wait_state

pytestmark = pytest.mark.slow


def open_to_others(root: Path) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = Path(folder, name)
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & 0o077:
                found.append(f"{path} {stat.S_IMODE(mode):o}")
    if stat.S_IMODE(root.stat().st_mode) & 0o077:
        found.append(f"{root} {stat.S_IMODE(root.stat().st_mode):o}")
    return found


@pytest.fixture(autouse=True)
def _lax_umask() -> object:
    """The test process writes with the usual 022, as a library user's would."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_whole_session_leaves_nothing_readable_by_others(settings: Settings) -> None:
    api = Charlie.open(settings)
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    try:
        entry = api.journal().entries.add("Dear diary, lunch with Maria in Lisbon.")
        wait_state(api, entry.id, "done")
        export_json(api.backend, settings.data_dir / "export.json")
        export_markdown(api.backend, settings.data_dir / "markdown")
        snapshot(api.backend, "manual")
        note_problem(settings, "a test note")
    finally:
        supervisor.stop()
        api.close()
    save_settings(settings, openai_api_key="sk-secret")
    assert (settings.data_dir / "logs" / "worker.log").exists()
    assert open_to_others(settings.data_dir) == []
    assert stat.S_IMODE(settings.config_file.stat().st_mode) == 0o600


def test_an_older_looser_data_dir_is_tightened_when_an_owner_starts(settings: Settings) -> None:
    with Charlie.open(settings) as api:
        api.journal().entries.add("Written before the fix.")
    for folder, dirs, files in os.walk(settings.data_dir):
        for name in dirs:
            os.chmod(Path(folder, name), 0o755)
        for name in files:
            os.chmod(Path(folder, name), 0o644)
    os.chmod(settings.data_dir, 0o755)
    assert open_to_others(settings.data_dir)
    with Charlie.open(settings) as api:
        assert api.journal().entries.count() == 1
    assert open_to_others(settings.data_dir) == []


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give the folder to another user")
def test_a_data_dir_of_another_user_is_refused(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True)
    os.chown(settings.data_dir, 65534, 65534)
    with pytest.raises(BrokerError, match="belongs to another user"):
        Charlie.open(settings)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give the folder to another user")
def test_a_run_dir_taken_by_another_user_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10 D12: with a data path too long for a unix socket, the run directory is
    outside it under a predictable name another user could create first."""
    from backend.broker.handoff import read_handoff
    from backend.broker.paths import Paths
    from backend.settings import load_settings

    runtime = tmp_path / "xdg"
    runtime.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("CHARLIE_DATA_DIR", str(tmp_path / ("long-" * 25) / "data"))
    settings = load_settings()
    usual = Paths(settings.data_dir).run_dir
    assert usual.parent == runtime
    usual.mkdir(mode=0o777)
    os.chown(usual, 65534, 65534)
    with Charlie.open(settings) as api:
        handoff = read_handoff(Paths(settings.data_dir).handoff)
        assert handoff is not None
        socket_dir = Path(handoff.socket_path).parent
        assert socket_dir != usual and socket_dir.stat().st_uid == os.getuid()
        assert stat.S_IMODE(socket_dir.stat().st_mode) == 0o700
        api.journal().entries.add("Works anyway.")
        assert api.journal().entries.count() == 1
