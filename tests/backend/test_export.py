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
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from backend.errors import ValidationError
from backend.jobs.records import enrich_job_id
from backend.root import Charlie
from backend.settings import Settings
from backend.transfer.importer_source import run_import
from backend.transfer.json_export import export_json
from backend.transfer.json_import import import_json_export
from backend.transfer.markdown_export import export_markdown
from tests.helpers import ROOT
from tests.helpers.sample_journal import ENTRIES, build_journal, journal_state, zone


@pytest.fixture
def other(settings: Settings, tmp_path: Path) -> Iterator[Charlie]:
    """A second, empty data directory with its own broker."""
    instance = Charlie.open(settings.with_changes(data_dir=tmp_path / "other"))
    try:
        yield instance
    finally:
        instance.close()


def test_json_round_trip_reproduces_every_journal_exactly(
    api: Charlie, other: Charlie, tmp_path: Path
) -> None:
    built = build_journal(api)
    seen: list[tuple[int, int]] = []
    path = tmp_path / "export.json"

    count = export_json(api.backend, path, progress=lambda done, total: seen.append((done, total)))

    assert count == len(ENTRIES) + 1
    assert seen[0] == (0, count) and seen[-1] == (count, count)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"]) == ("charlie-export", 1)
    assert sorted(j["name"] for j in doc["journals"]) == ["Journal", "Work"]

    summary = import_json_export(other.backend, path)

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
    journal_id = other.journals.get().id
    for entry_id in built["ids"]:
        job = other.backend.jobs.get(enrich_job_id(journal_id, entry_id))
        if entry_id in built["mentioned"]:
            assert job is None
        else:
            assert job is not None and job.state == "queued" and job.priority == "backlog"


def test_importing_the_same_export_twice_adds_nothing(
    api: Charlie, other: Charlie, tmp_path: Path
) -> None:
    build_journal(api)
    path = tmp_path / "export.json"
    export_json(api.backend, path, journal="Journal")
    import_json_export(other.backend, path)
    before = journal_state(other, "Journal")

    again = import_json_export(other.backend, path)

    assert again.added == 0 and again.skipped == len(ENTRIES)
    assert journal_state(other, "Journal") == before


def test_a_dry_run_writes_nothing(api: Charlie, other: Charlie, tmp_path: Path) -> None:
    build_journal(api)
    path = tmp_path / "export.json"
    export_json(api.backend, path)

    summary = import_json_export(other.backend, path, dry_run=True)

    assert summary.dry_run and summary.added == len(ENTRIES) + 1
    assert [j.created for j in summary.journals] == [True, True]
    assert other.backend.store.list_journals() == []
    assert not list(other.backend.broker.client.scan_iter(match="charlie:journal*"))
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
    api: Charlie, other: Charlie, tmp_path: Path, change: Any, message: str
) -> None:
    build_journal(api)
    path = tmp_path / "export.json"
    export_json(api.backend, path, journal="Journal")
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")

    with pytest.raises(ValidationError, match=re.escape(message)):
        import_json_export(other.backend, path)

    assert other.backend.store.list_journals() == []
    assert not list(other.backend.broker.client.scan_iter(match="charlie:journal*"))


def test_a_file_that_is_not_json_is_refused(other: Charlie, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"format": "charlie-export", "version": 1, "journals": [', encoding="utf-8")
    with pytest.raises(ValidationError, match="not a readable JSON file"):
        import_json_export(other.backend, path)


def _front_matter(data: bytes) -> tuple[dict[str, str], bytes]:
    head, sep, body = data.partition(b"\n---\n")
    assert head.startswith(b"---\n") and sep
    fields = {}
    for line in head.decode("utf-8").splitlines()[1:]:
        key, _, value = line.partition(": ")
        fields[key] = json.loads(value)
    return fields, body


def test_markdown_export_writes_one_exact_file_per_entry(api: Charlie, tmp_path: Path) -> None:
    built = build_journal(api)
    out = tmp_path / "md"

    count = export_markdown(api.backend, out)

    files = sorted(out.glob("*.md"))  # Beside them: the folder's .charlie-export.json.
    assert count == len(files) == len(ENTRIES) + 1
    by_id = {}
    for path in files:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-[a-z0-9-]+-[0-9a-f]{8}\.md", path.name), path.name
        fields, body = _front_matter(path.read_bytes())
        assert path.name.endswith(f"-{fields['id'][:8]}.md")
        by_id[fields["id"]] = (path.name, fields, body)
    for (title, body, when), entry_id in zip(ENTRIES, built["ids"], strict=True):
        name, fields, stored = by_id[entry_id]
        # Byte for byte, \r\n and trailing space too, then the one newline every file ends with.
        assert stored == body.encode("utf-8") + b"\n"
        assert fields["title"] == title
        assert fields["journal"] == "Journal"
        assert datetime.fromisoformat(fields["date"]) == when
        assert fields["date"] == when.isoformat()  # In the entry's own offset.
        assert fields["timezone"] == when.strftime("%:z")
        assert name.startswith(when.strftime("%Y-%m-%d"))
    assert by_id[built["ids"][0]][0].startswith("2024-03-05-lake-")
    assert by_id[built["ids"][1]][0].startswith("2024-03-05-late-call-with-ana-from-kathmandu-")
    assert by_id[built["work"]][1]["journal"] == "Work"


def test_markdown_file_names_never_collide(api: Charlie, tmp_path: Path) -> None:
    journal = api.journals.get()
    when = datetime(2024, 5, 1, 9, 0, tzinfo=zone(1))
    for entry_id in ("abcdef0100000001", "abcdef0100000002", "abcdef0100000003"):
        api.backend.store.add_entry(
            journal, title="Same", body="Same text.", entry_at=when, source="cli", entry_id=entry_id
        )

    export_markdown(api.backend, tmp_path / "md")

    names = sorted(p.name for p in (tmp_path / "md").glob("*.md"))
    assert len(set(names)) == 3
    bodies = {_front_matter(p.read_bytes())[0]["id"] for p in (tmp_path / "md").glob("*.md")}
    assert bodies == {"abcdef0100000001", "abcdef0100000002", "abcdef0100000003"}


def test_markdown_export_comes_back_through_the_files_importer(
    api: Charlie, other: Charlie, tmp_path: Path
) -> None:
    # The files importer reads text with its line ends normalised, so this round trip
    # uses the entries without Windows line ends.
    kept = [e for e in ENTRIES if "\r" not in e[1]]
    ids = [
        api.journal().entries.add(body, title=title, entry_at=when).id for title, body, when in kept
    ]
    out = tmp_path / "md"
    export_markdown(api.backend, out)

    summary = run_import(other.backend, "files", out)

    assert summary.added == len(kept) and not summary.rejected
    originals = {e.id: e for e in (api.journal().entries.get(i) for i in ids)}
    imported = [other.journal().entries.get(i) for i in summary.added_ids]
    assert sorted((e.title, e.body, e.entry_at.isoformat()) for e in imported) == sorted(
        (e.title, e.body, e.entry_at.isoformat()) for e in originals.values()
    )
    # Into the journal it came from, nothing is added: the front-matter ids are present.
    again = run_import(api.backend, "files", out)
    assert again.added == 0 and again.skipped == len(kept)


_CRASHING_EXPORT = """
import os, signal, sys
from pathlib import Path
from backend.root import Charlie
from backend.transfer.json_export import export_json
from backend.settings import load_settings

def die_mid_way(done, total):
    if done > 0:  # Entries are being written: the file is half done.
        os.kill(os.getpid(), signal.SIGKILL)

with Charlie.open(load_settings()) as api:
    export_json(api.backend, Path(sys.argv[1]), progress=die_mid_way)
"""


@pytest.mark.slow
def test_an_export_killed_half_way_leaves_the_previous_file_whole(
    api: Charlie, tmp_path: Path
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

    export_json(api.backend, path)
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "charlie-export"


def test_export_and_import_from_the_command_line(
    api: Charlie, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from charlie import main

    build_journal(api)
    path = tmp_path / "export.json"
    assert main(["export", "json", str(path)]) == 0
    assert f"Exported {len(ENTRIES) + 1} entries to {path}." in capsys.readouterr().out
    assert main(["export", "markdown", str(tmp_path / "md"), "--journal", "Work"]) == 0
    assert "Exported 1 entry" in capsys.readouterr().out
    assert len(list((tmp_path / "md").glob("*.md"))) == 1

    assert main(["import-export", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run" in out and f"would add 0, skipped {len(ENTRIES)}" in out

    assert main(["import-export", str(tmp_path / "missing.json")]) == 1
    assert "does not exist" in capsys.readouterr().err
