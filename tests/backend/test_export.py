"""Exports and the import of Charlie's own JSON export, on real embedded brokers.

The graph part (entities, mentions, relationships, blocked names) is written with Cypher
straight to the schema, so these tests do not depend on how enrichment builds it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from backend.api import CharlieAPI
from backend.errors import ValidationError
from backend.graph.enrich import blocked_key, types_key
from backend.jobs.records import enrich_job_id
from backend.settings import Settings
from backend.transfer.export import (
    export_json,
    export_markdown,
    import_json_export,
    read_values,
)
from backend.transfer.importing import run_import

ROOT = Path(__file__).resolve().parents[2]


def zone(hours: int, minutes: int = 0) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes))


# (title, body, when): several offsets (half-hour ones too), unicode, text that looks
# like front matter, Windows line ends and trailing white space.
ENTRIES = [
    ("Lake ✓", "Met Sam at the lake. It was cold.\n", datetime(2024, 3, 5, 7, 30, tzinfo=zone(2))),
    ("", "Late call with Ana from Kathmandu.", datetime(2024, 3, 5, 23, 45, tzinfo=zone(5, 45))),
    (
        'Quotes "and": colons # hash',
        "---\nnot: front matter\n---\n\nÜmlaut, 漢字, emoji 🌱 and a tab\t.  \n\n",
        datetime(2023, 12, 31, 23, 59, 59, tzinfo=zone(-3, -30)),
    ),
    ("Windows", "line one\r\nline two\r\n", datetime(2022, 1, 1, 0, 0, tzinfo=zone(0))),
    ("Same day", "Second entry that day.", datetime(2024, 3, 5, 7, 30, tzinfo=zone(2))),
]


def build_journal(api: CharlieAPI) -> dict[str, Any]:
    """Entries in the default journal and a second one, plus a graph per the schema."""
    ids = [api.add_entry(body, title=title, entry_at=when).id for title, body, when in ENTRIES]
    api.create_journal("Work")
    work = api.add_entry("Stand-up with Priya.", title="Stand-up", journal="Work")
    journal = api.journal()
    graph = api.store.graph(journal)
    graph.query(
        "UNWIND $rows AS p CREATE (n:Entity) SET n = p",
        {
            "rows": [
                {
                    "id": "self",
                    "name": "I",
                    "key": "i",
                    "type": "Person",
                    "aliases": [],
                    "created_at": 1,
                    "is_self": True,
                },
                {
                    "id": "a1b2c3d4e5f60718",
                    "name": "Sam",
                    "key": "sam",
                    "type": "Person",
                    "aliases": ["samuel", "sammy"],
                    "created_at": 2,
                },
                {
                    "id": "0f0e0d0c0b0a0908",
                    "name": "the lake",
                    "key": "lake",
                    "type": "Place",
                    "aliases": [],
                    "created_at": 3,
                },
                {
                    "id": "1111222233334444",
                    "name": "Kathmandu",
                    "key": "kathmandu",
                    "type": "Place",
                    "aliases": [],
                    "created_at": 4,
                },
                {
                    "id": "5555666677778888",
                    "name": "Book club",
                    "key": "book club",
                    "type": "Group",
                    "aliases": [],
                    "created_at": 5,
                },
            ]
        },
    )
    # The type is also a real label.
    for label in ("Person", "Place", "Group"):
        graph.query(f"MATCH (n:Entity {{type: '{label}'}}) SET n:{label}")
    mentions = [
        (ids[0], "self", "Met Sam at the lake.", ["I"]),
        (ids[0], "a1b2c3d4e5f60718", "Met Sam at the lake.", ["Sam", "Sammy"]),
        (ids[0], "0f0e0d0c0b0a0908", "Met Sam at the lake.", ["the lake"]),
        (ids[1], "1111222233334444", "Late call with Ana from Kathmandu.", ["Kathmandu"]),
        (ids[2], "5555666677778888", 'Ümlaut, 漢字 "quoted" 🌱', ["Book club"]),
    ]
    graph.query(
        "UNWIND $rows AS r MATCH (e:Episode {id: r.entry}), (n:Entity {id: r.entity}) "
        "CREATE (e)-[:MENTIONS {quote: r.quote, names: r.names}]->(n)",
        {"rows": [{"entry": e, "entity": n, "quote": q, "names": ns} for e, n, q, ns in mentions]},
    )
    graph.query(
        "UNWIND $rows AS r MATCH (a:Entity {id: r.source}), (b:Entity {id: r.target}) "
        "CREATE (a)-[:RELATES {kind: r.kind, episode: r.episode, evidence: r.evidence}]->(b)",
        {
            "rows": [
                {
                    "source": "a1b2c3d4e5f60718",
                    "target": "0f0e0d0c0b0a0908",
                    "kind": "VISITED",
                    "episode": ids[0],
                    "evidence": "Met Sam at the lake.",
                },
                {
                    "source": "self",
                    "target": "a1b2c3d4e5f60718",
                    "kind": "KNOWS",
                    "episode": ids[0],
                    "evidence": "Met Sam at the lake.",
                },
            ]
        },
    )
    # The user removed "bob" from the third entry and blocked two names.
    graph.query("MATCH (e:Episode {id: $id}) SET e.excluded = ['bob']", {"id": ids[2]})
    api.broker.client.hset(blocked_key(journal.id), mapping={"bob": "Bob", "the cat": "The Cat"})
    api.broker.client.hset(types_key(journal.id), mapping={"lake merritt": "Place"})
    return {"ids": ids, "work": work.id, "mentioned": {ids[0], ids[1], ids[2]}}


def journal_state(api: CharlieAPI, name: str) -> dict[str, Any]:
    """Everything an export must carry for one journal, in comparable form."""
    journal = api.store.journal(name)
    graph = api.store.graph(journal)
    entries = {
        row[0]["id"]: dict(row[0])
        for row in read_values(graph, "MATCH (e:Episode) RETURN properties(e)")
    }
    entities = {
        row[0]["id"]: (dict(row[0]), sorted(row[1]))
        for row in read_values(graph, "MATCH (n:Entity) RETURN properties(n), labels(n)")
    }
    mentions = sorted(
        json.dumps(row, sort_keys=True, ensure_ascii=False)
        for row in read_values(
            graph, "MATCH (e:Episode)-[m:MENTIONS]->(n) RETURN e.id, n.id, properties(m)"
        )
    )
    relationships = sorted(
        json.dumps(row, sort_keys=True, ensure_ascii=False)
        for row in read_values(graph, "MATCH (a)-[r:RELATES]->(b) RETURN a.id, b.id, properties(r)")
    )
    raw = api.broker.client.hgetall(blocked_key(journal.id))
    types = api.broker.client.hgetall(types_key(journal.id))
    return {
        "id": journal.id,
        "entries": entries,
        "entities": entities,
        "mentions": mentions,
        "relationships": relationships,
        "blocked": {k.decode(): v.decode() for k, v in raw.items()},
        "types": {k.decode(): v.decode() for k, v in types.items()},
    }


@pytest.fixture
def other(settings: Settings, tmp_path: Path) -> Iterator[CharlieAPI]:
    """A second, empty data directory with its own broker."""
    instance = CharlieAPI.open(settings.with_changes(data_dir=tmp_path / "other"))
    try:
        yield instance
    finally:
        instance.close()


def test_json_round_trip_reproduces_every_journal_exactly(
    api: CharlieAPI, other: CharlieAPI, tmp_path: Path
) -> None:
    built = build_journal(api)
    seen: list[tuple[int, int]] = []
    path = tmp_path / "export.json"

    count = export_json(api, path, progress=lambda done, total: seen.append((done, total)))

    assert count == len(ENTRIES) + 1
    assert seen[0] == (0, count) and seen[-1] == (count, count)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"]) == ("charlie-export", 1)
    assert sorted(j["name"] for j in doc["journals"]) == ["Journal", "Work"]

    summary = import_json_export(other, path)

    assert summary.added == count and summary.skipped == 0
    assert Path(summary.backup).exists()
    for name in ("Journal", "Work"):
        # Every property is carried, created_at and updated_at (ms) included: the entry
        # is the same entry, not a copy made now.
        assert journal_state(other, name) == journal_state(api, name)
    home = journal_state(api, "Journal")
    assert set(home["entries"]) == set(built["ids"])
    assert home["entries"][built["ids"][2]]["excluded"] == ["bob"]
    assert len(home["mentions"]) == 5 and len(home["relationships"]) == 2
    # Entries whose mentions came with the export are not enriched again; the others
    # are queued as backlog.
    journal_id = other.journal().id
    for entry_id in built["ids"]:
        job = other.jobs.get(enrich_job_id(journal_id, entry_id))
        if entry_id in built["mentioned"]:
            assert job is None
        else:
            assert job is not None and job.state == "queued" and job.priority == "backlog"


def test_importing_the_same_export_twice_adds_nothing(
    api: CharlieAPI, other: CharlieAPI, tmp_path: Path
) -> None:
    build_journal(api)
    path = tmp_path / "export.json"
    export_json(api, path, journal="Journal")
    import_json_export(other, path)
    before = journal_state(other, "Journal")

    again = import_json_export(other, path)

    assert again.added == 0 and again.skipped == len(ENTRIES)
    assert journal_state(other, "Journal") == before


def test_a_dry_run_writes_nothing(api: CharlieAPI, other: CharlieAPI, tmp_path: Path) -> None:
    build_journal(api)
    path = tmp_path / "export.json"
    export_json(api, path)

    summary = import_json_export(other, path, dry_run=True)

    assert summary.dry_run and summary.added == len(ENTRIES) + 1
    assert [j.created for j in summary.journals] == [True, True]
    assert other.store.list_journals() == []
    assert not list(other.broker.client.scan_iter(match="charlie:journal*"))
    assert not (other.settings.data_dir / "backups").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="something-else"), "is not a Charlie export"),
        (lambda d: d.update(version=7), "version 7 export"),
        (lambda d: d["journals"][0].update(id="x:blocked"), "is not a journal id"),
        (lambda d: d["journals"][0]["entries"][1].update(id="../../x"), "is not an entry id"),
        (lambda d: d["journals"][0]["entries"][1].update(body="   "), "entry is empty"),
        # Issue 10 D8: what a hand-edited export let in, then broke the journal with.
        (lambda d: d["journals"][0]["entries"][1].update(entry_at=10**15), "years 1 and 9999"),
        (lambda d: d["journals"][0]["entries"][1].update(title="two\nlines"), "single line"),
        (lambda d: d["journals"][0]["entries"][1].update(body="x" * 200_001), "the limit is"),
        (lambda d: d["journals"][0]["entries"][1].pop("created_at"), "'created_at' is missing"),
        (lambda d: d["journals"][0].update(id="0123456789abcdef\n"), "is not a journal id"),
        (lambda d: d["journals"][0]["entries"][1].update(title="a\x00b"), "NUL"),
        (lambda d: d["journals"][0]["entities"][0].update(type="Robot"), "type 'Robot'"),
        (lambda d: d["journals"][0]["relationships"][0].update(kind="HATES"), "kind 'HATES'"),
        (lambda d: d["journals"][0]["mentions"][0].update(quote={"x": 1}), "not a plain value"),
    ],
)
def test_a_bad_export_is_refused_before_anything_is_written(
    api: CharlieAPI, other: CharlieAPI, tmp_path: Path, change: Any, message: str
) -> None:
    build_journal(api)
    path = tmp_path / "export.json"
    export_json(api, path, journal="Journal")
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")

    with pytest.raises(ValidationError, match=re.escape(message)):
        import_json_export(other, path)

    assert other.store.list_journals() == []
    assert not list(other.broker.client.scan_iter(match="charlie:journal*"))


def test_a_file_that_is_not_json_is_refused(other: CharlieAPI, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"format": "charlie-export", "version": 1, "journals": [', encoding="utf-8")
    with pytest.raises(ValidationError, match="not a readable JSON file"):
        import_json_export(other, path)


def _front_matter(data: bytes) -> tuple[dict[str, str], bytes]:
    head, sep, body = data.partition(b"\n---\n")
    assert head.startswith(b"---\n") and sep
    fields = {}
    for line in head.decode("utf-8").splitlines()[1:]:
        key, _, value = line.partition(": ")
        fields[key] = json.loads(value)
    return fields, body


def test_markdown_export_writes_one_exact_file_per_entry(api: CharlieAPI, tmp_path: Path) -> None:
    built = build_journal(api)
    out = tmp_path / "md"

    count = export_markdown(api, out)

    files = sorted(out.iterdir())
    assert count == len(files) == len(ENTRIES) + 1
    by_id = {}
    for path in files:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-[a-z0-9-]+-[0-9a-f]{8}\.md", path.name), path.name
        fields, body = _front_matter(path.read_bytes())
        assert path.name.endswith(f"-{fields['id'][:8]}.md")
        by_id[fields["id"]] = (path.name, fields, body)
    for (title, body, when), entry_id in zip(ENTRIES, built["ids"], strict=True):
        name, fields, stored = by_id[entry_id]
        assert stored == body.encode("utf-8")  # Byte for byte, \r\n and trailing space too.
        assert fields["title"] == title
        assert fields["journal"] == "Journal"
        assert datetime.fromisoformat(fields["date"]) == when
        assert fields["date"] == when.isoformat()  # In the entry's own offset.
        assert fields["timezone"] == when.strftime("%:z")
        assert name.startswith(when.strftime("%Y-%m-%d"))
    assert by_id[built["ids"][0]][0].startswith("2024-03-05-lake-")
    assert by_id[built["ids"][1]][0].startswith("2024-03-05-late-call-with-ana-from-kathmandu-")
    assert by_id[built["work"]][1]["journal"] == "Work"


def test_markdown_file_names_never_collide(api: CharlieAPI, tmp_path: Path) -> None:
    journal = api.journal()
    when = datetime(2024, 5, 1, 9, 0, tzinfo=zone(1))
    for entry_id in ("abcdef0100000001", "abcdef0100000002", "abcdef0100000003"):
        api.store.add_entry(
            journal, title="Same", body="Same text.", entry_at=when, source="cli", entry_id=entry_id
        )

    export_markdown(api, tmp_path / "md")

    names = sorted(p.name for p in (tmp_path / "md").iterdir())
    assert len(set(names)) == 3
    bodies = {_front_matter(p.read_bytes())[0]["id"] for p in (tmp_path / "md").iterdir()}
    assert bodies == {"abcdef0100000001", "abcdef0100000002", "abcdef0100000003"}


def test_markdown_export_comes_back_through_the_files_importer(
    api: CharlieAPI, other: CharlieAPI, tmp_path: Path
) -> None:
    # The files importer reads text with its line ends normalised, so this round trip
    # uses the entries without Windows line ends.
    kept = [e for e in ENTRIES if "\r" not in e[1]]
    ids = [api.add_entry(body, title=title, entry_at=when).id for title, body, when in kept]
    out = tmp_path / "md"
    export_markdown(api, out)

    summary = run_import(other, "files", out)

    assert summary.added == len(kept) and not summary.rejected
    originals = {e.id: e for e in (api.get_entry(i) for i in ids)}
    imported = [other.get_entry(i) for i in summary.added_ids]
    assert sorted((e.title, e.body, e.entry_at.isoformat()) for e in imported) == sorted(
        (e.title, e.body, e.entry_at.isoformat()) for e in originals.values()
    )
    # Into the journal it came from, nothing is added: the front-matter ids are present.
    again = run_import(api, "files", out)
    assert again.added == 0 and again.skipped == len(kept)


_CRASHING_EXPORT = """
import os, signal, sys
from pathlib import Path
from backend.api import CharlieAPI
from backend.transfer.export import export_json
from backend.settings import load_settings

def die_mid_way(done, total):
    if done > 0:  # Entries are being written: the file is half done.
        os.kill(os.getpid(), signal.SIGKILL)

with CharlieAPI.open(load_settings()) as api:
    export_json(api, Path(sys.argv[1]), progress=die_mid_way)
"""


def test_an_export_killed_half_way_leaves_the_previous_file_whole(
    api: CharlieAPI, tmp_path: Path
) -> None:
    build_journal(api)
    path = tmp_path / "out" / "export.json"
    path.parent.mkdir()
    path.write_text("the previous export\n", encoding="utf-8")

    crashed = subprocess.run(
        [sys.executable, "-c", _CRASHING_EXPORT, str(path)],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert path.read_text(encoding="utf-8") == "the previous export\n"
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    assert leftovers and all(n.startswith(".export.json.") for n in leftovers)

    export_json(api, path)
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "charlie-export"


def test_export_and_import_from_the_command_line(
    api: CharlieAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from charlie import main

    build_journal(api)
    path = tmp_path / "export.json"
    assert main(["export", "json", str(path)]) == 0
    assert f"Exported {len(ENTRIES) + 1} entries to {path}." in capsys.readouterr().out
    assert main(["export", "markdown", str(tmp_path / "md"), "--journal", "Work"]) == 0
    assert "Exported 1 entry" in capsys.readouterr().out
    assert len(list((tmp_path / "md").iterdir())) == 1

    assert main(["import-export", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run" in out and f"would add 0, skipped {len(ENTRIES)}" in out

    assert main(["import-export", str(tmp_path / "missing.json")]) == 1
    assert "does not exist" in capsys.readouterr().err
