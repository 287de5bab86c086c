"""Importers and the import pipeline, on a real embedded FalkorDB.

Fixtures are built the way the other apps write them: a Day One export (JSON and the
zip with photos), a folder of notes with front matter, dated names, RTF and the odd
broken file, and a jrnl JSON export.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.jobs.records import BACKLOG, INTERACTIVE
from backend.models import Entry
from backend.root import Charlie
from backend.settings import Settings
from backend.transfer.importer_source import run_import
from backend.transfer.importing import (
    ImportSourceError,
    UnknownImporterError,
    installed_importers,
)
from tests.helpers import ROOT
from tests.helpers.importing import all_entries, queued_jobs
from tests.helpers.procs import charlie, servers_for, wait_until

# -- fixtures as the other apps write them ----------------------------------------------

LAKE_UUID = "A1B2C3D4E5F60718293A4B5C6D7E8F90"


def dayone_doc() -> dict[str, Any]:
    """A Day One JSON export: Markdown escapes, a photo, zones good and unknown, and two
    entries that cannot be imported."""
    return {
        "metadata": {"version": "1.0"},
        "entries": [
            {
                "uuid": LAKE_UUID,
                "creationDate": "2023-05-01T12:30:00Z",
                "modifiedDate": "2023-05-01T13:00:00Z",
                "timeZone": "America/New_York",
                "starred": False,
                "tags": ["walks"],
                "text": "# Lake day\n\nWalked to the lake with Sam\\. It was 20\\-ish "
                "degrees \\(warm\\)\\!\n\n![](dayone-moment://3F2A9C0D1E2B4A5C)\n\n"
                "Back by noon\\.",
                "photos": [
                    {"identifier": "3F2A9C0D1E2B4A5C", "md5": "0a1b2c3d4e5f", "type": "jpeg"}
                ],
                "location": {"placeName": "Lake", "latitude": 40.1, "longitude": -73.9},
            },
            {
                "uuid": "B1B2C3D4E5F60718293A4B5C6D7E8F91",
                "creationDate": "2023-12-24T23:15:00Z",
                "timeZone": "Mars/Olympus_Mons",
                "text": "Christmas eve \\- quiet\\. Called Mum\\.",
            },
            {
                "uuid": "C1B2C3D4E5F60718293A4B5C6D7E8F92",
                "creationDate": "2024-01-10T08:00:00Z",
                "timeZone": "Asia/Tokyo",
                "text": "![](dayone-moment://ABCDEF0123456789)",
                "photos": [{"identifier": "ABCDEF0123456789", "md5": "ff00", "type": "jpeg"}],
            },
            {
                "uuid": "D1B2C3D4E5F60718293A4B5C6D7E8F93",
                "creationDate": "the day after tomorrow",
                "text": "Never mind.",
            },
        ],
    }


def work_doc() -> dict[str, Any]:
    return {
        "metadata": {"version": "1.0"},
        "entries": [
            {
                "uuid": "E1B2C3D4E5F60718293A4B5C6D7E8F94",
                "creationDate": "2024-02-29T09:00:00Z",
                "timeZone": "Asia/Tokyo",
                "text": "Leap day stand\\-up with Priya\\.",
            }
        ],
    }


def dayone_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Journal.json", json.dumps(dayone_doc(), indent=2))
        archive.writestr("Work.json", json.dumps(work_doc()))
        archive.writestr("photos/0a1b2c3d4e5f.jpeg", b"\xff\xd8\xff\xe0" + os.urandom(2048))
        archive.writestr("__MACOSX/._Journal.json", b"\x00\x05\x16\x07")
    return path


def write(path: Path, data: str | bytes, *, mtime: datetime | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


HEADING_MTIME = datetime(2022, 10, 10, 10, 0, tzinfo=UTC)
RTF = (
    r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Helvetica;}}"
    r"\f0\fs24 Dinner at Caf\'e9 Lisboa with {\b Ana}.\par Rain all evening.\par}"
)


def notes_folder(root: Path) -> Path:
    """A folder of notes: every way of dating an entry, and files that must be refused
    or left alone."""
    write(root / "2024-03-05 0730 morning.md", "Coffee on the balcony.\n")
    write(root / "2024-02-01-walk.txt", "Long walk by the river.\r\nSaw herons.\r\n")
    write(
        root / "porto.md",
        "---\n"
        'title: "Trip to \\"Porto\\""\n'
        "date: 2023-07-14 18:45\n"
        "timezone: Europe/Lisbon\n"
        "id: trip-42\n"
        "tags: [travel]\n"
        "---\n"
        "Took the train up the coast.\n",
    )
    write(root / "heading.md", "\n# Lisbon\n\nTrams and tiles.\n", mtime=HEADING_MTIME)
    write(root / "letter.rtf", RTF)
    write(
        root / "utf16.txt", codecs.BOM_UTF16_LE + "Notepad wrote this: naïve ☕".encode("utf-16-le")
    )
    write(root / "latin1.txt", "Caf\xe9 au lait".encode("latin-1"))
    write(root / "nul.md", b"half\x00binary")
    write(root / "huge.md", "a" * 100_001)
    write(root / "empty.md", "  \n\n")
    write(root / "bad-date.md", "---\ndate: someday soon\n---\nText.\n")
    write(root / ".hidden.md", "A hidden note.")
    write(root / ".git" / "notes.md", "Git internals.")
    write(root / "image.png", b"\x89PNG\r\n\x1a\n")
    write(root / "sub" / "2020-01-01.md", "New year, new notes.")
    (root / "link.md").symlink_to(root / "porto.md")
    (root / "linkdir").symlink_to(root / "sub", target_is_directory=True)
    return root


def jrnl_doc() -> dict[str, Any]:
    return {
        "tags": {"@priya": 1},
        "entries": [
            {
                "title": "Stand-up ran long.",
                "body": "Talked with @Priya about the launch.\n",
                "date": "2021-06-01",
                "time": "09:30",
                "starred": False,
                "tags": ["@priya"],
            },
            {"title": "Quiet day.", "body": "", "date": "2021-06-02", "time": "21:00"},
            {"title": "Impossible.", "body": "x", "date": "2021-13-45", "time": "09:00"},
            "not an entry",
        ],
    }


# -- helpers ------------------------------------------------------------------------------


def by_title(entries: list[Entry]) -> dict[str, Entry]:
    return {e.display_title: e for e in entries}


# -- the plugin contract ------------------------------------------------------------------


def test_importers_are_found_by_name_and_unknown_names_list_them(api: Charlie) -> None:
    assert {"dayone", "files", "jrnl"} <= set(installed_importers())
    with pytest.raises(UnknownImporterError, match="Installed: dayone, files, jrnl"):
        run_import(api.backend, "evernote", ROOT)


def test_missing_source_is_a_clear_error(api: Charlie, tmp_path: Path) -> None:
    with pytest.raises(ImportSourceError, match="does not exist"):
        run_import(api.backend, "files", tmp_path / "nowhere")


# -- Day One --------------------------------------------------------------------------------


def test_dayone_json_unescapes_drops_media_and_keeps_each_time_zone(
    api: Charlie, tmp_path: Path
) -> None:
    source = write(tmp_path / "Journal.json", json.dumps(dayone_doc()))
    summary = run_import(api.backend, "dayone", source)

    assert (summary.total, summary.added, summary.skipped) == (5, 2, 0)
    reasons = {r.where: r.reason for r in summary.rejected}
    assert reasons == {
        "Journal.json": (
            "2 photos of its entries are not imported: Day One keeps photos in the export "
            "zip, beside this file. Import the zip to keep them."
        ),
        "Journal.json, entry 3 (C1B2C3D4E5F60718293A4B5C6D7E8F92)": (
            "It has no text (only media, which Charlie does not import)."
        ),
        "Journal.json, entry 4 (D1B2C3D4E5F60718293A4B5C6D7E8F93)": (
            "Its creationDate 'the day after tomorrow' is not a date."
        ),
    }
    entries = by_title(all_entries(api))
    lake = entries["Lake day"]
    assert lake.title == "Lake day"
    assert lake.body == (
        "Walked to the lake with Sam. It was 20-ish degrees (warm)!\n\nBack by noon."
    )
    assert lake.source == "dayone"
    # 12:30 UTC in New York in May is 08:30 at -04:00, and stays shown that way.
    assert lake.entry_at.isoformat() == "2023-05-01T08:30:00-04:00"
    christmas = entries["Christmas eve - quiet. Called Mum."]
    assert christmas.title == ""
    # An unknown zone name falls back to UTC without rejecting the entry.
    assert christmas.entry_at.isoformat() == "2023-12-24T23:15:00+00:00"


def test_dayone_zip_reads_every_journal_in_memory_and_imports_once(
    api: Charlie, tmp_path: Path
) -> None:
    source = dayone_zip(tmp_path / "Export.zip")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    first = run_import(api.backend, "dayone", source)
    assert (first.added, len(first.rejected)) == (3, 2)
    leap = by_title(all_entries(api))["Leap day stand-up with Priya."]
    assert leap.entry_at.isoformat() == "2024-02-29T18:00:00+09:00"
    # Nothing was extracted next to the zip (the data dir is where the database lives).
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if "data" not in p.parts)
    assert after == [p for p in before if "data" not in p.parts]

    again = run_import(api.backend, "dayone", source)
    assert (again.added, again.skipped) == (0, 3)
    # The same entries from the bare JSON are the same entries (Day One's own uuid).
    bare = run_import(
        api.backend, "dayone", write(tmp_path / "Journal.json", json.dumps(dayone_doc()))
    )
    assert (bare.added, bare.skipped) == (0, 2)
    assert api.journal().entries.count() == 3


def test_malformed_dayone_json_writes_nothing(api: Charlie, tmp_path: Path) -> None:
    text = json.dumps(dayone_doc())
    source = write(tmp_path / "Journal.json", text[: len(text) // 2])
    with pytest.raises(
        ImportSourceError, match=r"is not valid JSON \(parse error: premature EOF, within its first"
    ):
        run_import(api.backend, "dayone", source, journal="Imported")
    not_dayone = write(tmp_path / "other.json", '{"notes": []}')
    with pytest.raises(ImportSourceError, match='no "entries" list'):
        run_import(api.backend, "dayone", not_dayone)
    assert api.journal().entries.count() == 0
    assert [j.name for j in api.journals.list()] == ["Journal"]
    assert queued_jobs(api) == 0


# -- a folder of files ---------------------------------------------------------------------


def test_folder_dates_titles_encodings_and_refusals(api: Charlie, tmp_path: Path) -> None:
    folder = notes_folder(tmp_path / "notes")
    summary = run_import(api.backend, "files", folder)

    reasons = {r.where: r.reason for r in summary.rejected}
    assert set(reasons) == {"latin1.txt", "nul.md", "huge.md", "empty.md", "bad-date.md"}
    assert "not UTF-8" in reasons["latin1.txt"]
    assert "NUL" in reasons["nul.md"]
    assert "max_entry_chars" in reasons["huge.md"]
    assert reasons["empty.md"] == "It has no text."
    assert "'someday soon' is not a date" in reasons["bad-date.md"]
    # Hidden files, symlinks, other file types and (without --recursive) sub-folders
    # are not items at all.
    assert (summary.total, summary.added, summary.skipped) == (11, 6, 0)

    entries = by_title(all_entries(api))
    assert set(entries) == {
        "Coffee on the balcony.",
        "Long walk by the river.",
        'Trip to "Porto"',
        "Lisbon",
        "Dinner at Café Lisboa with Ana.",
        "Notepad wrote this: naïve ☕",
    }
    # Name with a time, in local time (the tests run in UTC).
    assert entries["Coffee on the balcony."].entry_at.isoformat() == "2024-03-05T07:30:00+00:00"
    walk = entries["Long walk by the river."]
    assert walk.entry_at.isoformat() == "2024-02-01T12:00:00+00:00"
    assert walk.body == "Long walk by the river.\nSaw herons."
    porto = entries['Trip to "Porto"']
    # Front matter: naive date in the named zone (Lisbon is +01:00 in July).
    assert porto.entry_at.isoformat() == "2023-07-14T18:45:00+01:00"
    assert porto.body == "Took the train up the coast.\n"
    heading = entries["Lisbon"]
    assert (heading.title, heading.body) == ("Lisbon", "Trams and tiles.")
    assert heading.entry_at == HEADING_MTIME
    rtf = entries["Dinner at Café Lisboa with Ana."]
    assert rtf.body.splitlines()[:2] == ["Dinner at Café Lisboa with Ana.", "Rain all evening."]
    assert all(e.source == "files" for e in entries.values())


def test_recursive_reaches_sub_folders_but_never_through_symlinks(
    api: Charlie, tmp_path: Path
) -> None:
    folder = notes_folder(tmp_path / "notes")
    flat = run_import(api.backend, "files", folder, dry_run=True)
    deep = run_import(api.backend, "files", folder, recursive=True)
    assert deep.added == flat.added + 1
    titles = {e.display_title for e in all_entries(api)}
    assert "New year, new notes." in titles
    assert not {"A hidden note.", "Git internals."} & titles
    assert api.journal().entries.count() == deep.added  # sub/ once: linkdir was not followed


def test_importing_twice_or_after_moving_the_folder_adds_nothing(
    api: Charlie, tmp_path: Path
) -> None:
    folder = notes_folder(tmp_path / "notes")
    first = run_import(api.backend, "files", folder, recursive=True)
    assert first.added == 7
    again = run_import(api.backend, "files", folder, recursive=True)
    assert (again.added, again.skipped, len(again.rejected)) == (0, 7, 5)

    moved = tmp_path / "elsewhere" / "My Journal"
    moved.parent.mkdir()
    shutil.move(folder, moved)
    after_move = run_import(api.backend, "files", moved, recursive=True)
    assert (after_move.added, after_move.skipped) == (0, 7)
    assert api.journal().entries.count() == 7
    assert queued_jobs(api) == 7


def test_dry_run_writes_nothing_and_makes_no_journal(api: Charlie, tmp_path: Path) -> None:
    folder = notes_folder(tmp_path / "notes")
    preview = run_import(api.backend, "files", folder, journal="Old notes", dry_run=True)
    assert preview.dry_run and preview.added == 6 and len(preview.rejected) == 5
    assert [j.name for j in api.journals.list()] == ["Journal"]
    assert api.journal().entries.count() == 0 and queued_jobs(api) == 0
    assert not (api.settings.data_dir / "backups").exists()

    real = run_import(api.backend, "files", folder, journal="Old notes")
    assert real.added == preview.added
    assert api.journal("Old notes").entries.count() == 6
    # A dry run against a journal that has them says they would all be skipped.
    assert run_import(api.backend, "files", folder, journal="Old notes", dry_run=True).skipped == 6


def test_a_real_import_takes_a_backup_first(api: Charlie, tmp_path: Path) -> None:
    folder = notes_folder(tmp_path / "notes")
    summary = run_import(api.backend, "files", folder)
    assert summary.backup, "backend.transfer.backup.snapshot was not called"
    assert Path(summary.backup).is_file()
    assert "import" in Path(summary.backup).name
    # Nothing to add: no new backup pushing older ones out of the rotation.
    assert run_import(api.backend, "files", folder).backup == ""


def test_charlie_markdown_export_comes_back_the_same(api: Charlie, tmp_path: Path) -> None:
    from backend.transfer.markdown_export import export_markdown

    tokyo = datetime(2024, 4, 1, 7, 5, tzinfo=UTC).astimezone(ZoneInfo("Asia/Tokyo"))
    api.journal().entries.add(
        'Cherry blossoms.\n\nWith "quotes" and a \\ backslash\n', title="Hanami", entry_at=tokyo
    )
    api.journal().entries.add(
        "Second line\r\nkept as\u2028written  \n", entry_at=tokyo + timedelta(days=1)
    )
    export_markdown(api.backend, tmp_path / "export")

    # Into the journal it came from: already present, even with other ids.
    home = run_import(api.backend, "files", tmp_path / "export")
    assert (home.added, home.skipped) == (0, 2)
    copy = run_import(api.backend, "files", tmp_path / "export", journal="Copy")
    assert copy.added == 2
    originals = sorted((e.title, e.body, e.entry_at.isoformat()) for e in all_entries(api))
    copies = sorted(
        (e.title, e.body, e.entry_at.isoformat()) for e in all_entries(api, journal="Copy")
    )
    assert copies == [(t, b.replace("\r\n", "\n"), at) for t, b, at in originals]


# -- jrnl -------------------------------------------------------------------------------------


def test_jrnl_export_in_the_local_time_zone(
    api: Charlie, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    source = write(tmp_path / "journal.json", json.dumps(jrnl_doc()))
    summary = run_import(api.backend, "jrnl", source)
    assert (summary.total, summary.added) == (4, 2)
    assert [r.where for r in summary.rejected] == [
        "journal.json, entry 3 (2021-13-45)",
        "journal.json, entry 4",
    ]
    assert all(r.reason for r in summary.rejected)
    entries = by_title(all_entries(api))
    standup = entries["Stand-up ran long."]
    assert standup.body == "Talked with @Priya about the launch."
    assert standup.entry_at.isoformat() == "2021-06-01T09:30:00-04:00"
    quiet = entries["Quiet day."]
    assert (quiet.title, quiet.body) == ("", "Quiet day.")
    assert run_import(api.backend, "jrnl", source).added == 0


def test_malformed_jrnl_writes_nothing(api: Charlie, tmp_path: Path) -> None:
    source = write(tmp_path / "journal.json", json.dumps(jrnl_doc())[:-3])
    with pytest.raises(ImportSourceError, match="not valid JSON"):
        run_import(api.backend, "jrnl", source)
    assert api.journal().entries.count() == 0


# -- the queue ----------------------------------------------------------------------------------


def test_imported_entries_queue_behind_what_the_user_writes(api: Charlie, tmp_path: Path) -> None:
    for n in range(450):
        write(tmp_path / "bulk" / f"note-{n:04}.md", f"Bulk note number {n}.")
    summary = run_import(api.backend, "files", tmp_path / "bulk")
    assert summary.added == 450  # three batches
    journal_id = api.journals.get().id
    record = api.backend.jobs.get(f"enrich:{journal_id}:{summary.added_ids[0]}")
    assert record is not None and (record.state, record.priority) == ("queued", BACKLOG)

    mine = api.journal().entries.add("Written by hand after the import.")
    queued = api.queue.list_jobs("queued", limit=1000)
    assert len(queued) == 451
    assert (queued[0].entry_id, queued[0].priority) == (mine.id, INTERACTIVE)
    claim = api.backend.jobs.claim("test-worker", lease_ms=60_000)
    assert claim is not None and claim.entry_id == mine.id
    following = api.backend.jobs.claim("test-worker", lease_ms=60_000)
    assert following is not None and following.entry_id in set(summary.added_ids)


# -- crashes ------------------------------------------------------------------------------------

DRIVER = r"""
import sys
from backend.root import Charlie
from backend.transfer.importer_source import run_import
from backend.settings import load_settings

hold = sys.argv[2] == "hold"
api = Charlie.open(load_settings())  # Nobody else runs: this process is the owner.

def progress(stage, done, total):
    if stage == "writing" and done > 0:
        print(f"committed {done}", flush=True)
        if hold:
            sys.stdin.readline()  # Mid-import, until the test kills this process.

run_import(api.backend, "files", sys.argv[1], progress=progress)
print("finished", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("when", ["hold", "run"])
def test_an_import_killed_half_way_finishes_when_run_again(
    settings: Settings, tmp_path: Path, when: str
) -> None:
    folder = tmp_path / "notes"
    for n in range(1000):
        write(
            folder / f"2020-01-{n % 28 + 1:02} note {n:04}.md", f"Note {n}: " + "x" * (n % 300 + 1)
        )
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(folder), when],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("committed"), line + (proc.stderr.read() if proc.stderr else "")
    # "hold": killed between two batches; "run": killed wherever it has got to.
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    wait_until(
        lambda: servers_for(settings.data_dir) == [],
        timeout=15,
        what="the killed owner's redis-server to stop",
    )

    with Charlie.open(settings) as api:
        survived = api.journal().entries.count()
        assert survived >= 200, "the first committed batch must survive the kill"
        if when == "hold":
            assert survived == 200
        # Every entry that survived has its job: a batch commits whole or not at all.
        assert queued_jobs(api) == survived
        rerun = run_import(api.backend, "files", folder)
        assert (rerun.added, rerun.skipped) == (1000 - survived, survived)
        entries = all_entries(api)
        assert len(entries) == 1000 == len({e.id for e in entries})
        assert sorted(e.body for e in entries) == sorted(
            f"Note {n}: " + "x" * (n % 300 + 1) for n in range(1000)
        )
        assert queued_jobs(api) == 1000
        assert run_import(api.backend, "files", folder).added == 0


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_import_prints_a_summary_and_one_line_errors(
    settings: Settings, tmp_path: Path
) -> None:
    folder = notes_folder(tmp_path / "notes")
    dry = charlie("import", "files", str(folder), "--dry-run", "--journal", "Notes")
    assert dry.returncode == 0, dry.stderr
    assert "Dry run (nothing written)" in dry.stdout
    assert "Would add  6" in dry.stdout
    assert "    nul.md: It contains NUL bytes" in dry.stdout

    real = charlie("import", "files", str(folder), "-r", "--journal", "Notes")
    assert real.returncode == 0, real.stderr
    assert "Added      7" in real.stdout and "Rejected   5" in real.stdout

    broken = write(tmp_path / "journal.json", '{"entries": [')
    failed = charlie("import", "jrnl", str(broken))
    assert failed.returncode == 1
    assert failed.stderr.count("\n") == 1 and "is not valid JSON" in failed.stderr
    unknown = charlie("import", "evernote", str(folder))
    assert unknown.returncode == 1 and "Installed: dayone, files, jrnl" in unknown.stderr

    with Charlie.open(settings) as api:
        assert api.journal("Notes").entries.count() == 7
        assert api.journal().entries.count() == 0


@pytest.mark.slow
def test_an_import_whose_server_dies_while_writing_writes_everything_once(
    api: Charlie, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by the mixed-rounds ownership test under load: the import rode through the
    # owner change and ran again, but its first attempt had used up what it read, so the
    # second wrote nothing and the command still said it succeeded.
    import backend.transfer.importer_source as importer_source
    from tests.helpers.procs import kill_server

    notes = tmp_path / "notes"
    notes.mkdir()
    for n in range(3):
        (notes / f"note{n}.md").write_text(f"Note {n}, written before the server died.\n")
    real_write = importer_source._write
    kills = []

    def write_after_a_kill(*args: Any, **kwargs: Any) -> None:
        if not kills:  # The first attempt: the server dies just before it writes.
            kills.append(kill_server(api.settings.data_dir))
        real_write(*args, **kwargs)

    monkeypatch.setattr(importer_source, "_write", write_after_a_kill)
    summary = run_import(api.backend, "files", notes)
    assert kills and summary.added == 3
    bodies = sorted(
        api.journal().entries.get(e.id).body.strip() for e in api.journal().entries.list().entries
    )
    assert bodies == [f"Note {n}, written before the server died." for n in range(3)]
