"""Issue 10 D2: a full disk fails saves at once in words, loses nothing acknowledged, and
everything recovers by itself once there is room — on a real, small tmpfs."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.errors import BrokerError
from backend.jobs.supervisor import Supervisor
from backend.root import Charlie
from backend.settings import Settings
from tests.helpers.procs import servers_for, wait_until

pytestmark = pytest.mark.slow

SIZE_MB = 24


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_fails_saves_in_words_and_recovers_by_itself(
    small_disk: Path, settings: Settings, log: Path
) -> None:
    settings = settings.with_changes(data_dir=small_disk / "data")
    api = Charlie.open(settings)
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    filler = small_disk / "filler"
    saved: list[str] = []
    try:
        api.journal().entries.add("First words.")
        saved.append(api.journal().entries.list().entries[0].id)
        # Leave about a megabyte, then write 60 KB entries until the disk is full.
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        filler.write_bytes(b"\0" * max(0, free - 1_000_000))
        error = None
        for n in range(200):
            try:
                saved.append(api.journal().entries.add(f"Entry {n}: " + "words " * 10_000).id)
            except BrokerError as exc:
                error = str(exc)
                break
        assert error is not None, "the disk never filled"
        assert "is full" in error and "nothing was saved" in error, error

        filler.unlink()  # Room again: no restart, no command.

        def saves_again() -> bool:
            try:
                saved.append(api.journal().entries.add("After the disk was freed.").id)
            except BrokerError:
                return False
            return True

        wait_until(saves_again, timeout=60, what="saving to work again once there is room")
        for entry_id in saved:  # Every acknowledged save is there.
            assert api.journal().entries.get(entry_id).id == entry_id
        assert supervisor._thread is not None and supervisor._thread.is_alive()
    finally:
        supervisor.stop()
        api.close()
    assert servers_for(settings.data_dir) == []
