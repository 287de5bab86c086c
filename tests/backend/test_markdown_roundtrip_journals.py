"""Markdown export and re-import across journals, the final newline, and ``--sync``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.root import Charlie
from backend.settings import Settings
from backend.transfer.export_manifest import MANIFEST_NAME
from backend.transfer.importer_source import run_import
from backend.transfer.markdown_export import export_markdown_folder
from charlie import main

WHEN = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def other(settings: Settings, tmp_path: Path) -> Iterator[Charlie]:
    """A second, empty data directory with its own broker."""
    instance = Charlie.open(settings.with_changes(data_dir=tmp_path / "other"))
    try:
        yield instance
    finally:
        instance.close()


def _bodies(api: Charlie, journal: str) -> list[tuple[str, str]]:
    page = api.journal(journal).entries.list(limit=100)
    entries = [api.journal(journal).entries.get(s.id) for s in page.entries]
    return sorted((e.title, e.body) for e in entries)


def _three_journals(api: Charlie) -> dict[str, list[tuple[str, str]]]:
    api.journal().entries.add("Ann at home.\n", title="Home", entry_at=WHEN)
    api.journal().entries.add("No newline at the end", entry_at=WHEN + timedelta(hours=1))
    for name, texts in (("Work", ["Stand-up.", "Two blank lines\n\n"]), ("Trip", ["Lisbon."])):
        api.journals.create(name)
        for n, text in enumerate(texts):
            api.journal(name).entries.add(text, entry_at=WHEN + timedelta(days=n))
    return {name: _bodies(api, name) for name in ("Journal", "Work", "Trip")}


def test_a_multi_journal_export_comes_back_into_each_journal(
    api: Charlie, other: Charlie, tmp_path: Path
) -> None:
    before = _three_journals(api)
    out = tmp_path / "md"
    export_markdown_folder(api.backend, out)
    files = sorted(out.glob("*.md"))
    assert len(files) == 5
    assert all(path.read_bytes().endswith(b"\n") for path in files)

    summary = run_import(other.backend, "files", out)

    assert summary.added == 5 and not summary.rejected
    assert sorted((c.name, c.added, c.created) for c in summary.journals) == [
        ("Journal", 2, False),
        ("Trip", 1, True),
        ("Work", 2, True),
    ]
    assert sorted(j.name for j in other.journals.list()) == ["Journal", "Trip", "Work"]
    for name, entries in before.items():
        assert _bodies(other, name) == entries  # Exactly, trailing newlines and all.
    # Again: everything is there already, in its own journal.
    again = run_import(other.backend, "files", out)
    assert (again.added, again.skipped) == (0, 5)


def test_journal_on_the_command_line_takes_every_entry(
    api: Charlie, other: Charlie, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _three_journals(api)
    out = tmp_path / "md"
    export_markdown_folder(api.backend, out)

    summary = run_import(other.backend, "files", out, journal="Archive")

    assert summary.added == 5 and summary.journal == "Archive"
    assert sorted(j.name for j in other.journals.list()) == ["Archive"]


def test_a_bad_journal_name_rejects_only_that_file(api: Charlie, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2025-01-01-a.md").write_text('---\njournal: "a/b"\n---\nBody one\n')
    (folder / "2025-01-02-b.md").write_text("---\njournal: Notes\n---\nBody two\n")

    summary = run_import(api.backend, "files", folder)

    assert summary.added == 1
    assert [r.where for r in summary.rejected] == ["2025-01-01-a.md"]
    assert "Its journal" in summary.rejected[0].reason
    assert run_import(api.backend, "files", folder, journal="Notes").added == 1


def test_sync_removes_only_unedited_files_of_deleted_entries(api: Charlie, tmp_path: Path) -> None:
    gone = api.journal().entries.add("Will be deleted.", entry_at=WHEN)
    edited = api.journal().entries.add("Deleted, but its file was edited.", entry_at=WHEN)
    api.journal().entries.add("Stays.", entry_at=WHEN)
    out = tmp_path / "md"
    export_markdown_folder(api.backend, out)
    by_id = {json.loads(p.read_text().split("\n")[1][4:]): p for p in out.glob("*.md")}
    mine = out / "my-own-notes.md"
    mine.write_text("Not Charlie's.\n")
    api.journal().entries.delete(gone.id)
    api.journal().entries.delete(edited.id)
    with by_id[edited.id].open("a") as handle:
        handle.write("A line added by hand.\n")

    plain = export_markdown_folder(api.backend, out)
    assert plain.sync.removed == [] and plain.sync.stale == [by_id[gone.id].name]
    assert by_id[gone.id].exists()

    synced = export_markdown_folder(api.backend, out, sync=True)

    assert synced.written == 1
    assert synced.sync.removed == [by_id[gone.id].name]
    assert synced.sync.kept_edited == [by_id[edited.id].name]
    assert not by_id[gone.id].exists() and by_id[edited.id].exists() and mine.exists()
    listed = json.loads((out / MANIFEST_NAME).read_text())["files"]
    assert sorted(listed) == sorted(p.name for p in out.glob("*.md") if p.name in listed)
    assert by_id[edited.id].name not in listed and len(listed) == 1


def test_sync_of_one_journal_leaves_the_others_files(api: Charlie, tmp_path: Path) -> None:
    home = api.journal().entries.add("At home.", entry_at=WHEN)
    api.journals.create("Work")
    work = api.journal("Work").entries.add("At work.", entry_at=WHEN)
    out = tmp_path / "md"
    export_markdown_folder(api.backend, out)
    api.journal().entries.delete(home.id)
    api.journal("Work").entries.delete(work.id)

    synced = export_markdown_folder(api.backend, out, journal="Work", sync=True)
    assert len(synced.sync.removed) == 1 and "at-work" in synced.sync.removed[0]
    assert len(list(out.glob("*.md"))) == 1  # Journal's file: not exported now, kept.

    everything = export_markdown_folder(api.backend, out, sync=True)
    assert len(everything.sync.removed) == 1 and "at-home" in everything.sync.removed[0]
    assert list(out.glob("*.md")) == []


def test_a_tampered_manifest_never_removes_what_charlie_did_not_write(
    api: Charlie, tmp_path: Path
) -> None:
    api.journal().entries.add("Stays.", entry_at=WHEN)
    out = tmp_path / "md"
    export_markdown_folder(api.backend, out)
    outside = tmp_path / "precious.md"
    outside.write_text("Keep me.\n")
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    manifest["files"]["../precious.md"] = {"entry": "x", "journal": "y", "sha256": "0" * 64}
    (out / MANIFEST_NAME).write_text(json.dumps(manifest))

    synced = export_markdown_folder(api.backend, out, sync=True)

    assert synced.sync.removed == [] and outside.exists()
    (out / MANIFEST_NAME).write_text("{not json")
    broken = export_markdown_folder(api.backend, out, sync=True)
    assert "could not be read" in broken.sync.manifest_problem and broken.sync.removed == []


def test_export_sync_from_the_command_line(
    api: Charlie, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = api.journal().entries.add("Short-lived.", entry_at=WHEN)
    api.journal().entries.add("Stays.", entry_at=WHEN)
    out = tmp_path / "md"
    assert main(["export", "markdown", str(out)]) == 0
    capsys.readouterr()
    api.journal().entries.delete(gone.id)

    assert main(["export", "markdown", str(out)]) == 0
    assert "still there; --sync removes them" in capsys.readouterr().out
    assert main(["export", "markdown", str(out), "--sync"]) == 0
    said = capsys.readouterr().out
    assert "Exported 1 entry" in said
    assert "Removed 1 file (2025-06-01-short-lived-" in said
    assert len(list(out.glob("*.md"))) == 1
