"""Entries and journals through the API, on a real embedded FalkorDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from backend.api import CharlieAPI
from backend.errors import NotFoundError, ValidationError
from backend.models import content_hash

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
def test_tricky_titles_and_bodies_round_trip_exactly(api: CharlieAPI, text: str) -> None:
    title = text.replace("\r", " ").replace("\n", " ")
    saved = api.add_entry(text, title=title)
    got = api.get_entry(saved.id)
    assert got.body == text
    assert got.title == title.strip()
    assert got.content_hash == content_hash(title.strip(), text)
    [listed] = api.list_entries().entries
    assert listed.title == title.strip()
    edited = api.edit_entry(saved.id, body=text + text)
    assert api.get_entry(saved.id).body == text + text == edited.body


def test_entry_time_keeps_its_original_offset(api: CharlieAPI) -> None:
    tokyo = timezone(timedelta(hours=9))
    when = datetime(2024, 5, 1, 7, 30, tzinfo=tokyo)
    saved = api.add_entry("morning in Tokyo", entry_at=when)
    got = api.get_entry(saved.id)
    assert got.entry_at == when
    assert got.entry_at.utcoffset() == timedelta(hours=9)
    assert got.entry_at.hour == 7


def _count_everything(api: CharlieAPI) -> tuple[int, int]:
    return api.count_entries(), len(api.list_journals())


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
    api: CharlieAPI, kwargs: dict[str, str], message: str
) -> None:
    before = _count_everything(api)
    body = kwargs.pop("body")
    with pytest.raises(ValidationError, match=message):
        api.add_entry(body, **kwargs)
    assert _count_everything(api) == before


def test_unknown_journal_is_not_found_and_not_created(api: CharlieAPI) -> None:
    with pytest.raises(NotFoundError, match="no journal called 'Dreams'"):
        api.add_entry("text", journal="Dreams")
    assert [j.name for j in api.list_journals()] == ["Journal"]


def test_bad_edit_leaves_the_entry_untouched(api: CharlieAPI) -> None:
    saved = api.add_entry("original", title="kept")
    with pytest.raises(ValidationError, match="empty"):
        api.edit_entry(saved.id, body="  ")
    with pytest.raises(ValidationError, match="NUL"):
        api.edit_entry(saved.id, title="a\x00")
    assert api.get_entry(saved.id) == saved


def test_max_entry_chars_is_configurable(api: CharlieAPI) -> None:
    small = CharlieAPI(api.settings.with_changes(max_entry_chars=10), api.broker)
    with pytest.raises(ValidationError, match="limit is 10 "):
        small.add_entry("x" * 11)
    small.add_entry("x" * 10)


def test_edit_changes_text_and_date_and_hash(api: CharlieAPI) -> None:
    saved = api.add_entry("first", entry_at=datetime(2024, 1, 1, 12, tzinfo=UTC))
    new_when = datetime(2023, 6, 2, 8, 15, tzinfo=timezone(timedelta(hours=-4)))
    edited = api.edit_entry(saved.id, body="second", title="T", entry_at=new_when)
    assert (edited.body, edited.title, edited.entry_at) == ("second", "T", new_when)
    assert edited.content_hash != saved.content_hash
    assert edited.created_at == saved.created_at
    assert edited.updated_at >= saved.updated_at


def test_delete_is_idempotent(api: CharlieAPI) -> None:
    saved = api.add_entry("bye")
    assert api.delete_entry(saved.id) is True
    assert api.delete_entry(saved.id) is False
    with pytest.raises(NotFoundError):
        api.get_entry(saved.id)


def test_pages_walk_every_entry_newest_first_without_gaps(api: CharlieAPI) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    # Several entries share a time, so the cursor must break ties by id.
    for n in range(25):
        api.add_entry(f"entry {n}", entry_at=base + timedelta(hours=n // 3))
    seen = []
    cursor = None
    while True:
        page = api.list_entries(limit=4, before=cursor)
        seen.extend(page.entries)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 25
    assert len({e.id for e in seen}) == 25
    # Newest first; entries sharing a time list the most recently written first.
    keys = [(e.entry_at, api.get_entry(e.id).created_at) for e in seen]
    assert keys == sorted(keys, reverse=True)


def test_neighbours_walk_in_time_order(api: CharlieAPI) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    a, b, c = (api.add_entry(t, entry_at=base + timedelta(days=i)) for i, t in enumerate("abc"))
    assert api.neighbours(b.id) == (a.id, c.id)
    assert api.neighbours(a.id) == (None, b.id)
    assert api.neighbours(c.id) == (b.id, None)


def test_journals_create_rename_and_keep_entries_apart(api: CharlieAPI) -> None:
    api.add_entry("in the default")
    api.create_journal("Work notes")
    work = api.add_entry("in work", journal="work notes")
    assert api.count_entries() == 1
    assert api.count_entries(journal="Work notes") == 1
    with pytest.raises(ValidationError, match="already exists"):
        api.create_journal("WORK NOTES")
    api.rename_journal("Work notes", "Office")
    assert [j.name for j in api.list_journals()] == ["Journal", "Office"]
    assert api.get_entry(work.id, journal="Office").body == "in work"
    with pytest.raises(NotFoundError):
        api.rename_journal("Work notes", "Again")
    with pytest.raises(ValidationError, match="already exists"):
        api.rename_journal("Office", "journal")


def test_short_id_prefixes_resolve(api: CharlieAPI) -> None:
    saved = api.add_entry("find me")
    assert api.resolve_entry_id(saved.id[:16]) == saved.id
    with pytest.raises(ValidationError, match="not an entry id"):
        api.resolve_entry_id("zz")
    with pytest.raises(NotFoundError):
        api.resolve_entry_id("ffff")


def test_renamed_default_journal_stays_the_default(api: CharlieAPI) -> None:
    kept = api.add_entry("in the default")
    api.rename_journal("Journal", "Diary")
    assert api.journal().name == "Diary"
    assert api.get_entry(kept.id).body == "in the default"
    assert [j.name for j in api.list_journals()] == ["Diary"]


def test_a_dead_server_is_started_again_by_its_owner_on_the_next_call(api: CharlieAPI) -> None:
    from tests.helpers.procs import kill_server

    entry = api.add_entry("Written before the server died.")
    kill_server(api.settings.data_dir)
    assert [e.id for e in api.list_entries().entries] == [entry.id]
    assert api.broker.server_alive()


def test_lost_database_is_a_readable_error(api: CharlieAPI) -> None:
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
            api.list_entries()
    finally:
        subprocess.run(["umount", "-l", str(db)], check=True)
