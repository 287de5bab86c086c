"""Entries and journals through the API, on a real embedded FalkorDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from backend.errors import NotFoundError, ValidationError
from backend.models import content_hash
from backend.root import Charlie
from backend.shared import Backend

TRICKY = [
    "She said \"hi\" and 'bye'",
    "C:\\Users\\me\\notes \\n not a newline \\\\ double",
    "$price is ${cost} or $$; {braces} {{double}} }{",
    "line one\nline two\r\nline three\n\n\ttabbed",
    "emoji 🌱🎉👩‍👩‍👧 and combining e\u0301",
    "עברית מימין לשמאל and العربية mixed with English",
    "backtick ` and ``` fences ``` and ) ] } // -- ; MATCH (n) DETACH DELETE n",
    "CYPHER x=1 RETURN 1",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_titles_and_bodies_round_trip_exactly(api: Charlie, text: str) -> None:
    title = text.replace("\r", " ").replace("\n", " ")
    saved = api.journal().entries.add(text, title=title)
    got = api.journal().entries.get(saved.id)
    assert got.body == text
    assert got.title == title.strip()
    assert got.content_hash == content_hash(title.strip(), text)
    [listed] = api.journal().entries.list().entries
    assert listed.title == title.strip()
    edited = api.journal().entries.edit(saved.id, body=text + text)
    assert api.journal().entries.get(saved.id).body == text + text == edited.body


def test_entry_time_keeps_its_original_offset(api: Charlie) -> None:
    tokyo = timezone(timedelta(hours=9))
    when = datetime(2024, 5, 1, 7, 30, tzinfo=tokyo)
    saved = api.journal().entries.add("morning in Tokyo", entry_at=when)
    got = api.journal().entries.get(saved.id)
    assert got.entry_at == when
    assert got.entry_at.utcoffset() == timedelta(hours=9)
    assert got.entry_at.hour == 7


def _count_everything(api: Charlie) -> tuple[int, int]:
    return api.journal().entries.count(), len(api.journals.list())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"body": ""}, "The entry is empty"),
        ({"body": "   \n\t "}, "The entry is empty"),
        ({"body": "a\x00b"}, "NUL character"),
        ({"body": "x" * 100_001}, "100,001 characters long; the limit is 100,000"),
        ({"body": "ok", "title": "bad\x00title"}, "title contains a NUL"),
        ({"body": "ok", "title": "two\nlines"}, "single line"),
        ({"body": "ok", "title": "t" * 301}, "title is 301 characters long"),
        ({"body": "ok", "journal": "../etc"}, "is not allowed"),
        ({"body": "ok", "journal": ""}, "cannot be empty"),
        ({"body": "ok", "journal": "x" * 41}, "the limit is 40"),
    ],
)
def test_bad_input_is_rejected_with_a_readable_message_and_nothing_written(
    api: Charlie, kwargs: dict[str, str], message: str
) -> None:
    before = _count_everything(api)
    body = kwargs.pop("body")
    journal = kwargs.pop("journal", None)
    with pytest.raises(ValidationError, match=message):
        api.journal(journal).entries.add(body, **kwargs)
    assert _count_everything(api) == before


def test_unknown_journal_is_not_found_and_not_created(api: Charlie) -> None:
    with pytest.raises(NotFoundError, match="no journal called 'Dreams'"):
        api.journal("Dreams").entries.add("text")
    assert [j.name for j in api.journals.list()] == ["Journal"]


def test_bad_edit_leaves_the_entry_untouched(api: Charlie) -> None:
    saved = api.journal().entries.add("original", title="kept")
    with pytest.raises(ValidationError, match="empty"):
        api.journal().entries.edit(saved.id, body="  ")
    with pytest.raises(ValidationError, match="NUL"):
        api.journal().entries.edit(saved.id, title="a\x00")
    assert api.journal().entries.get(saved.id) == saved


def test_max_entry_chars_is_configurable(api: Charlie) -> None:
    settings = api.settings.with_changes(max_entry_chars=10)
    small = Charlie(Backend.on(settings, api.backend.broker))
    with pytest.raises(ValidationError, match="limit is 10 "):
        small.journal().entries.add("x" * 11)
    small.journal().entries.add("x" * 10)


def test_edit_changes_text_and_date_and_hash(api: Charlie) -> None:
    saved = api.journal().entries.add("first", entry_at=datetime(2024, 1, 1, 12, tzinfo=UTC))
    new_when = datetime(2023, 6, 2, 8, 15, tzinfo=timezone(timedelta(hours=-4)))
    edited = api.journal().entries.edit(saved.id, body="second", title="T", entry_at=new_when)
    assert (edited.body, edited.title, edited.entry_at) == ("second", "T", new_when)
    assert edited.content_hash != saved.content_hash
    assert edited.created_at == saved.created_at
    assert edited.updated_at >= saved.updated_at


def test_delete_is_idempotent(api: Charlie) -> None:
    saved = api.journal().entries.add("bye")
    assert api.journal().entries.delete(saved.id) is True
    assert api.journal().entries.delete(saved.id) is False
    with pytest.raises(NotFoundError):
        api.journal().entries.get(saved.id)


def test_pages_walk_every_entry_newest_first_without_gaps(api: Charlie) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    # Several entries share a time, so the cursor must break ties by id.
    for n in range(25):
        api.journal().entries.add(f"entry {n}", entry_at=base + timedelta(hours=n // 3))
    seen = []
    cursor = None
    while True:
        page = api.journal().entries.list(limit=4, before=cursor)
        seen.extend(page.entries)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 25
    assert len({e.id for e in seen}) == 25
    # Newest first; entries sharing a time list the most recently written first.
    keys = [(e.entry_at, api.journal().entries.get(e.id).created_at) for e in seen]
    assert keys == sorted(keys, reverse=True)


def test_neighbours_walk_in_time_order(api: Charlie) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    a, b, c = (
        api.journal().entries.add(t, entry_at=base + timedelta(days=i)) for i, t in enumerate("abc")
    )
    assert api.journal().entries.neighbours(b.id) == (a.id, c.id)
    assert api.journal().entries.neighbours(a.id) == (None, b.id)
    assert api.journal().entries.neighbours(c.id) == (b.id, None)


def test_journals_create_rename_and_keep_entries_apart(api: Charlie) -> None:
    api.journal().entries.add("in the default")
    api.journals.create("Work notes")
    work = api.journal("work notes").entries.add("in work")
    assert api.journal().entries.count() == 1
    assert api.journal("Work notes").entries.count() == 1
    with pytest.raises(ValidationError, match="already exists"):
        api.journals.create("WORK NOTES")
    api.journals.rename("Work notes", "Office")
    assert [j.name for j in api.journals.list()] == ["Journal", "Office"]
    assert api.journal("Office").entries.get(work.id).body == "in work"
    with pytest.raises(NotFoundError):
        api.journals.rename("Work notes", "Again")
    with pytest.raises(ValidationError, match="already exists"):
        api.journals.rename("Office", "journal")


def test_short_id_prefixes_resolve(api: Charlie) -> None:
    saved = api.journal().entries.add("find me")
    assert api.journal().entries.resolve_id(saved.id[:16]) == saved.id
    with pytest.raises(ValidationError, match="not an entry id"):
        api.journal().entries.resolve_id("zz")
    with pytest.raises(NotFoundError):
        api.journal().entries.resolve_id("ffff")


def test_renamed_default_journal_stays_the_default(api: Charlie) -> None:
    kept = api.journal().entries.add("in the default")
    api.journals.rename("Journal", "Diary")
    assert api.journals.get().name == "Diary"
    assert api.journal().entries.get(kept.id).body == "in the default"
    assert [j.name for j in api.journals.list()] == ["Diary"]


@pytest.mark.slow
def test_a_dead_server_is_started_again_by_its_owner_on_the_next_call(api: Charlie) -> None:
    from tests.helpers.procs import kill_server

    entry = api.journal().entries.add("Written before the server died.")
    kill_server(api.settings.data_dir)
    assert [e.id for e in api.journal().entries.list().entries] == [entry.id]
    assert api.backend.broker.server_alive()


@pytest.mark.slow
def test_lost_database_is_a_readable_error(api: Charlie) -> None:
    import subprocess

    from backend.errors import BrokerError
    from tests.helpers.procs import kill_server

    db = api.settings.data_dir / "db"
    mounted = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(db), str(db)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here: {mounted.stderr.strip()}")
    try:
        kill_server(api.settings.data_dir)  # And it cannot be started again.
        with pytest.raises(BrokerError, match="Lost contact with the Charlie database"):
            api.journal().entries.list()
    finally:
        subprocess.run(["umount", "-l", str(db)], check=True)
