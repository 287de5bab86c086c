"""Journal counts and deleting a journal, on a real embedded FalkorDB (and, for the
delete that races a job, a real supervised worker subprocess)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.errors import BrokerError, CharlieError, JournalGone, NotFoundError, ValidationError
from backend.jobs.supervisor import Supervisor
from backend.root import Charlie
from backend.services.home_cache import cache_path, read_home, write_home
from backend.settings import Settings
from tests.helpers.jobs import wait_state
from tests.helpers.procs import wait_until
from tests.helpers.scripted import events


@pytest.fixture
def second(api: Charlie, settings: Settings) -> Iterator[Charlie]:
    """Another client on the same data directory (another window or a script)."""
    other = Charlie.open(settings)
    try:
        yield other
    finally:
        other.close()


def _keys_of(api: Charlie, journal_id: str) -> list[bytes]:
    """Every key in the database whose name holds the journal's id."""
    return sorted(api.backend.broker.client.scan_iter(match=f"*{journal_id}*"))


def _members_of(api: Charlie, journal_id: str) -> list[bytes]:
    """Job ids of the journal still listed in any job state."""
    client = api.backend.broker.client
    found: list[bytes] = []
    for key in client.scan_iter(match="charlie:jobs:*", _type="zset"):
        found += [m for m, _ in client.zscan_iter(key, match=f"*{journal_id}*")]
    return found


def test_overview_counts_every_journals_entries_and_marks_the_default(api: Charlie) -> None:
    api.journal().entries.add("One at home.")
    api.journals.create("Work")
    for n in range(3):
        api.journal("Work").entries.add(f"Work note {n}.")
    api.journals.create("Empty")

    infos = api.journals.overview()

    assert [(i.name, i.entries, i.default) for i in infos] == [
        ("Empty", 0, False),
        ("Journal", 1, True),
        ("Work", 3, False),
    ]


def test_deleting_a_journal_removes_everything_of_it_and_nothing_else(api: Charlie) -> None:
    home = api.journal().entries.add("Ann at home.")
    api.journals.create("Work")
    work = api.journal("Work")
    kept = work.entries.add("Bob at work.")
    work.entries.add("Cy at work.")
    work.drafts.save("d000000000001", entry_id=None, title="", body="half a thought")
    work.drafts.save("d000000000002", entry_id=kept.id, title="", body="an edit", base_revision=1)
    work.curation.block("Bob")
    journal_id = work.id
    assert _keys_of(api, journal_id) and _members_of(api, journal_id)

    gone = api.journals.delete("Work")

    assert (gone.name, gone.entries, gone.jobs, gone.default) == ("Work", 2, 2, "Journal")
    assert gone.backup.is_file() and gone.backup.name.endswith("-manual.backup")
    assert [j.name for j in api.journals.list()] == ["Journal"]
    assert _keys_of(api, journal_id) == []
    assert _members_of(api, journal_id) == []
    assert api.drafts.list() == []
    # The other journal, its entry and its job are as they were.
    assert api.journal().entries.get(home.id).body == "Ann at home."
    assert api.backend.jobs.get(f"enrich:{api.journals.get().id}:{home.id}") is not None
    with pytest.raises(NotFoundError):
        api.journal("Work").entries.count()
    with pytest.raises(NotFoundError, match="no journal called 'Work'"):
        api.journals.delete("Work")


def test_the_backup_taken_first_holds_the_deleted_journal(api: Charlie) -> None:
    api.journals.get()  # The default journal, so Trip is not the only one.
    api.journals.create("Trip")
    entry = api.journal("Trip").entries.add("Lisbon, day one.")

    gone = api.journals.delete("trip")  # Any case.

    api.backups.restore(gone.backup)
    assert api.journal("Trip").entries.get(entry.id).body == "Lisbon, day one."


def test_the_last_journal_cannot_be_deleted(api: Charlie) -> None:
    api.journal().entries.add("Only one.")
    with pytest.raises(ValidationError, match="only journal"):
        api.journals.delete("Journal")
    assert api.journal().entries.count() == 1
    assert not (api.settings.data_dir / "backups").exists()


def test_deleting_the_default_journal_makes_another_the_default(api: Charlie) -> None:
    api.journal().entries.add("In the default.")
    api.journals.create("Zed")
    api.journals.create("Alpha")
    api.journal("Alpha").entries.add("In Alpha.")
    api.journals.rename("Journal", "Home")  # The default is remembered by id.
    cache = api.settings.data_dir
    write_home(cache, "Home", [])

    gone = api.journals.delete("Home")

    # Without a journal called as the default_journal setting says, the first by name.
    assert gone.default == "Alpha" == api.journals.default_name()
    assert api.journal().entries.count() == 1
    assert [j.name for j in api.journals.list()] == ["Alpha", "Zed"]
    # The app's cached first page showed the deleted journal: it is gone too.
    assert read_home(cache) is None and not cache_path(cache).exists()


def test_a_failed_backup_deletes_nothing(api: Charlie) -> None:
    api.journals.get()
    api.journals.create("Work")
    api.journal("Work").entries.add("Safe.")
    (api.settings.data_dir / "backups").write_text("not a folder")  # Backups cannot go here.

    with pytest.raises(CharlieError, match="nothing was deleted") as caught:
        api.journals.delete("Work")

    assert not isinstance(caught.value, BrokerError)
    assert api.journal("Work").entries.count() == 1


def test_a_count_that_changed_since_it_was_confirmed_deletes_nothing(api: Charlie) -> None:
    api.journals.get()
    api.journals.create("Work")
    api.journal("Work").entries.add("First.")
    api.journal("Work").entries.add("Written after the question was asked.")

    with pytest.raises(ValidationError, match="now holds 2 entries, not 1 entry"):
        api.journals.delete("Work", expected_entries=1)

    assert api.journal("Work").entries.count() == 2
    assert api.journals.delete("Work", expected_entries=2).entries == 2


@pytest.mark.slow
def test_a_worker_mid_job_in_the_deleted_journal_brings_nothing_back(
    owner: tuple[Charlie, Supervisor], log: Path
) -> None:
    api, supervisor = owner
    api.journals.get()
    api.journals.create("Trip")
    trip = api.journal("Trip")
    journal_id = trip.id
    trip.entries.add("Trip notes.")  # Queued behind the running one.
    doomed = trip.entries.add("Ann and Bob in Lisbon #sleep=1.5")
    wait_until(
        lambda: "Ann and Bob in Lisbon #sleep=1.5" in events(log, "start"),
        timeout=30,
        what="the worker to start on the journal's entry",
    )
    worker = supervisor.status.worker_pid

    api.journals.delete("Trip")

    wait_until(
        lambda: "Ann and Bob in Lisbon #sleep=1.5" in events(log, "finish"),
        timeout=30,
        what="the extractor to finish the deleted journal's entry",
    )
    # The worker goes on to the next job (its commit of the deleted one came first).
    after = api.journal().entries.add("Cleo at home.")
    wait_state(api, after.id, "done")
    assert supervisor.status.worker_pid == worker  # Not killed as hung, not crashed.
    assert _keys_of(api, journal_id) == []
    assert _members_of(api, journal_id) == []
    assert "Trip notes." not in events(log, "start")
    assert [j.name for j in api.journals.list()] == ["Journal"]
    assert doomed.id not in str(api.backend.broker.client.keys("*"))


def test_a_window_still_open_on_a_deleted_journal_cannot_write_into_it(
    api: Charlie, second: Charlie
) -> None:
    api.journal().entries.add("At home.")
    api.journals.create("Trip")
    stale = second.journal("Trip")
    stale.entries.add("Day one.")  # The other window has the journal open (and found).
    journal_id = stale.id
    api.journals.delete("Trip", expected_entries=1)

    with pytest.raises(JournalGone, match="was deleted"):
        stale.entries.add("Day two.")
    with pytest.raises(JournalGone, match="was deleted"):
        stale.drafts.save("d000000000003", entry_id=None, title="", body="Day two, half")
    assert _keys_of(api, journal_id) == []  # Nothing recreated where no one would see it.
    assert [j.name for j in api.journals.list()] == ["Journal"]
