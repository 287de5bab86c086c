"""Issue 10 D3: the result reported is the result of the commit.

A save queues its job and wakes a worker in the same transaction, so nothing after the
commit can fail and turn it into "not saved" — which made scripts retry and add the
entry twice. A wake-up sent on its own is best-effort (repaired by the sweeper) and
reports failure instead of raising.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import redis

import charlie
from backend.jobs.wakeups import Wakeups
from backend.root import Charlie

pytestmark = pytest.mark.slow


def test_a_save_needs_no_wake_up_after_its_commit(api: Charlie, tmp_path: Path) -> None:
    # The owner left: a wake-up sent on its own now has no server to reach.
    gone = types.SimpleNamespace(client=redis.Redis(unix_socket_path=str(tmp_path / "gone.sock")))
    api.backend.wakeups = Wakeups(gone)  # type: ignore[arg-type]
    entry = api.journal().entries.add("Saved, whatever happens to the wake-up.")
    assert api.journal().entries.get(entry.id).body == "Saved, whatever happens to the wake-up."
    assert api.queue.job_counts()["queued"] == 1
    edited = api.journal().entries.edit(entry.id, body="Edited too.")
    assert edited.revision == 2
    assert not api.backend.wakeups.send()


def test_new_with_an_id_key_adds_the_entry_once(
    api: Charlie, capsys: pytest.CaptureFixture[str]
) -> None:
    first = charlie.main(["new", "--id-key", "cron-2024-03-05", "Daily note."])
    first_id = capsys.readouterr().out.strip()
    again = charlie.main(["new", "--id-key", "cron-2024-03-05", "Daily note."])
    assert (first, again) == (0, 0)
    assert capsys.readouterr().out.strip() == first_id
    assert api.journal().entries.count() == 1
    other = api.journal().entries.add("Another day.", id_key="cron-2024-03-06")
    assert other.id != first_id and api.journal().entries.count() == 2
