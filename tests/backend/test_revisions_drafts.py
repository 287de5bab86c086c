"""Revisions (no silent overwrite) and drafts (no word lost) on a real broker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import charlie
from backend.drafts import new_draft_id
from backend.errors import EditConflict, NotFoundError
from backend.graph.schema import revisions_key
from backend.root import Charlie
from backend.settings import Settings
from backend.transfer.backup import snapshot
from backend.transfer.json_export import export_json
from backend.transfer.json_import import import_json_export
from backend.transfer.restore import restore


@pytest.fixture
def second(api: Charlie, settings: Settings) -> Iterator[Charlie]:
    """Another client on the same data directory (another window or a script)."""
    other = Charlie.open(settings)
    assert not other.backend.broker.is_owner
    try:
        yield other
    finally:
        other.close()


def test_every_write_bumps_the_revision_and_a_stale_edit_writes_nothing(
    api: Charlie, second: Charlie
) -> None:
    entry = api.journal().entries.add("First words.")
    assert entry.revision == 1
    theirs = second.journal().entries.edit(entry.id, body="Their words.", expected_revision=1)
    assert theirs.revision == 2
    with pytest.raises(EditConflict) as caught:
        api.journal().entries.edit(entry.id, body="My words.", expected_revision=1)
    assert caught.value.current.body == "Their words." and caught.value.current.revision == 2
    assert api.journal().entries.get(entry.id).body == "Their words."
    # Keep mine, knowingly: from the revision the conflict showed.
    mine = api.journal().entries.edit(entry.id, body="My words.", expected_revision=2)
    assert (mine.body, mine.revision) == ("My words.", 3)
    assert api.journal().entries.get(entry.id).revision == 3


def test_an_edit_of_an_entry_deleted_elsewhere_is_not_found(api: Charlie, second: Charlie) -> None:
    entry = api.journal().entries.add("Soon gone.")
    second.journal().entries.delete(entry.id)
    with pytest.raises(NotFoundError):
        api.journal().entries.edit(entry.id, body="Too late.", expected_revision=1)
    assert api.backend.broker.client.hget(revisions_key(api.journals.get().id), entry.id) is None


def test_racing_edits_from_one_revision_let_exactly_one_win(
    api: Charlie, settings: Settings
) -> None:
    entry = api.journal().entries.add("Start.")
    clients = [Charlie.open(settings) for _ in range(6)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(clients))

    def edit(n: int, client: Charlie) -> None:
        barrier.wait()
        try:
            client.journal().entries.edit(entry.id, body=f"Writer {n}.", expected_revision=1)
            outcomes.append(f"Writer {n}.")
        except EditConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(n, c)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    winners = [o for o in outcomes if o != "conflict"]
    assert len(winners) == 1 and outcomes.count("conflict") == 5
    stored = api.journal().entries.get(entry.id)
    assert (stored.body, stored.revision) == (winners[0], 2)


def test_edits_without_a_revision_apply_to_the_newest_version(api: Charlie) -> None:
    entry = api.journal().entries.add("Body stays.", title="Old title")
    api.journal().entries.edit(entry.id, title="New title")
    api.journal().entries.edit(entry.id, body="New body.")
    stored = api.journal().entries.get(entry.id)
    assert (stored.title, stored.body, stored.revision) == ("New title", "New body.", 3)


def test_a_delete_from_a_stale_view_keeps_the_newer_words(api: Charlie, second: Charlie) -> None:
    entry = api.journal().entries.add("Seen by both.")
    second.journal().entries.edit(entry.id, body="Saved meanwhile.", expected_revision=1)
    with pytest.raises(EditConflict):
        api.journal().entries.delete(entry.id, expected_revision=1)
    assert api.journal().entries.get(entry.id).body == "Saved meanwhile."
    assert api.journal().entries.delete(entry.id, expected_revision=2)


def test_an_entry_from_before_revisions_can_be_edited(api: Charlie) -> None:
    entry = api.journal().entries.add("Old entry.")
    api.backend.broker.client.hdel(revisions_key(api.journals.get().id), entry.id)
    assert api.journal().entries.get(entry.id).revision == 0
    assert api.journal().entries.edit(entry.id, body="Edited.", expected_revision=0).revision == 1


def test_a_draft_lives_until_its_save_and_goes_in_the_same_transaction(
    api: Charlie, second: Charlie
) -> None:
    draft_id = new_draft_id()
    api.journal().drafts.save(
        draft_id, entry_id=None, title="T", body="Half a thought", when="today"
    )
    [draft] = second.drafts.list()  # Another window sees it, as durable as an entry.
    assert (draft.id, draft.entry_id, draft.body, draft.words) == (
        draft_id,
        None,
        "Half a thought",
        4,
    )
    entry = api.journal().entries.add("Half a thought, finished.", title="T", draft_id=draft_id)
    assert api.drafts.list() == []
    other = new_draft_id()
    api.journal().drafts.save(other, entry_id=entry.id, title="T", body="An edit", base_revision=1)
    api.journal().entries.edit(entry.id, body="An edit", expected_revision=1, draft_id=other)
    assert api.drafts.list() == []


def test_two_windows_on_one_entry_keep_two_drafts(api: Charlie, second: Charlie) -> None:
    entry = api.journal().entries.add("Shared.")
    mine, theirs = new_draft_id(), new_draft_id()
    api.journal().drafts.save(mine, entry_id=entry.id, title="", body="EDIT-A", base_revision=1)
    second.journal().drafts.save(
        theirs, entry_id=entry.id, title="", body="EDIT-B", base_revision=1
    )
    assert sorted(d.body for d in api.drafts.list()) == ["EDIT-A", "EDIT-B"]


def test_drafts_saved_within_one_millisecond_list_newest_first(
    api: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("backend.drafts.time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    ids = [new_draft_id() for _ in range(5)]
    for n, draft_id in enumerate(ids):
        api.journal().drafts.save(draft_id, entry_id=None, title="", body=f"draft {n}")
    assert [d.id for d in api.journal().drafts.list()] == ids[::-1]


def test_restore_a_draft_as_an_entry_or_as_a_new_one_on_conflict(
    api: Charlie, second: Charlie
) -> None:
    fresh = new_draft_id()
    api.journal().drafts.save(fresh, entry_id=None, title="Night", body="Typed, never saved.")
    restored = api.drafts.restore(fresh[:5])
    assert api.journal().entries.get(restored.id).body == "Typed, never saved."
    entry = api.journal().entries.add("Original.")
    edit = new_draft_id()
    api.journal().drafts.save(edit, entry_id=entry.id, title="", body="My edit.", base_revision=1)
    second.journal().entries.edit(entry.id, body="Their edit.")
    with pytest.raises(EditConflict):
        api.drafts.restore(edit)
    assert [d.id for d in api.drafts.list()] == [edit]  # Nothing lost by the conflict.
    copy = api.drafts.restore(edit, as_new=True)
    assert copy.id != entry.id and copy.body == "My edit."
    assert api.journal().entries.get(entry.id).body == "Their edit." and api.drafts.list() == []


def test_drafts_are_in_backups_and_the_json_export(
    api: Charlie, settings: Settings, tmp_path: Path
) -> None:
    api.journal().entries.add("An entry.")
    draft_id = new_draft_id()
    api.journal().drafts.save(draft_id, entry_id=None, title="", body="Kept by the backup 🌙")
    path = snapshot(api.backend, "manual")
    exported = tmp_path / "export.json"
    export_json(api.backend, exported)
    api.journal().drafts.discard(draft_id)
    assert api.drafts.list() == []
    restore(api.backend, path)
    assert [d.body for d in api.drafts.list()] == ["Kept by the backup 🌙"]
    api.journal().drafts.discard(draft_id)
    import_json_export(api.backend, exported)
    assert [(d.id, d.body) for d in api.drafts.list()] == [(draft_id, "Kept by the backup 🌙")]


def test_cli_edit_with_a_stale_revision_exits_3_and_writes_nothing(
    api: Charlie, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = api.journal().entries.add("CLI start.")
    assert charlie.main(["edit", entry.id[:8], "Second.", "--if-revision", "1"]) == 0
    assert capsys.readouterr().out.strip() == f"{entry.id} revision 2"
    assert charlie.main(["edit", entry.id, "Stale.", "--if-revision", "1"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "changed elsewhere" in err
    assert api.journal().entries.get(entry.id).body == "Second."


def test_cli_drafts_lists_restores_and_discards(
    api: Charlie, capsys: pytest.CaptureFixture[str]
) -> None:
    keep, drop = new_draft_id(), new_draft_id()
    api.journal().drafts.save(keep, entry_id=None, title="", body="Restore me please")
    api.journal().drafts.save(drop, entry_id=None, title="", body="Throw me away")
    assert charlie.main(["drafts"]) == 0
    out = capsys.readouterr().out
    assert keep in out and "new entry, 3 words: Restore me please" in out
    assert charlie.main(["drafts", "discard", drop]) == 0
    assert charlie.main(["drafts", "restore", keep]) == 0
    entry_id = capsys.readouterr().out.strip().splitlines()[-1]
    assert api.journal().entries.get(entry_id).body == "Restore me please"
    assert charlie.main(["drafts", "--json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"


TEXTS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    min_size=1,
    max_size=20,
).filter(lambda t: t.strip() != "")
STEPS = st.lists(
    st.tuples(st.integers(0, 1), st.sampled_from(["load", "draft", "save", "delete"]), TEXTS),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_random_interleavings_never_lose_saved_or_drafted_text(
    api: Charlie, second: Charlie, steps: list[tuple[int, str, str]]
) -> None:
    """Two clients load, draft, save (keeping both on conflict) and delete one entry in
    any order: every text a client was told is saved or drafted is still to be found,
    unless the one who overwrote or deleted it had seen it."""
    journal = api.journals.create(f"J{new_draft_id()}").name
    clients = [api, second]
    entry = api.journal(journal).entries.add("Start.")
    seen: list[tuple[int, str] | None] = [None, None]  # (revision, body) each last loaded
    drafts = [new_draft_id(), new_draft_id()]
    drafted: dict[int, str] = {}
    saved: list[str] = []  # Texts a client was told were saved, and not knowingly replaced.
    for who, action, text in steps:
        client = clients[who]
        if action == "load":
            try:
                current = client.journal(journal).entries.get(entry.id)
                seen[who] = (current.revision, current.body)
            except NotFoundError:
                seen[who] = None
        elif action == "draft":
            base = seen[who][0] if seen[who] else 0
            client.journal(journal).drafts.save(
                drafts[who], entry_id=entry.id, title="", body=text, base_revision=base
            )
            drafted[who] = text
        elif action == "save" and seen[who] is not None:
            base, known = seen[who]
            try:
                stored = client.journal(journal).entries.edit(
                    entry.id, body=text, expected_revision=base, draft_id=drafts[who]
                )
                if known in saved:
                    saved.remove(known)  # Replaced by someone who had seen it.
                seen[who] = (stored.revision, text)
            except (EditConflict, NotFoundError):
                client.journal(journal).entries.add(text, draft_id=drafts[who])  # Keep both.
            saved.append(text)
            drafted.pop(who, None)
        elif action == "delete" and seen[who] is not None:
            base, known = seen[who]
            try:
                client.journal(journal).entries.delete(entry.id, expected_revision=base)
            except (EditConflict, NotFoundError):
                continue  # Changed (or gone) since this client looked: nothing deleted.
            if known in saved:
                saved.remove(known)  # Deleted by someone who had seen it.
            seen[who] = None
    bodies = [
        api.journal(journal).entries.get(e.id).body
        for e in api.journal(journal).entries.list().entries
    ]
    draft_bodies = {d.body for d in api.journal(journal).drafts.list()}
    for text in saved:
        assert text in bodies, (text, bodies, steps)
    for text in drafted.values():
        assert text in draft_bodies, (text, draft_bodies, steps)
