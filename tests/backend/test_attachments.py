"""Attachments: the content-addressed store (private, each content once, capped), and
how they travel: backups (kept once, brought back by a restore into an empty data
directory, pruned only when no backup names them, old backups still restore), the
Markdown export and the JSON export read back by ``import-export``."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.attachments import (
    AttachmentError,
    path_in,
    store_root,
    store_stream,
)
from backend.root import Charlie
from backend.settings import Settings
from backend.transfer.backup import backup_attachments_dir, backup_dir, rotate, snapshot
from backend.transfer.backup_file import FORMAT, MAGIC, _encode, read_backup_whole
from backend.transfer.importer_source import run_import
from backend.transfer.json_export import export_json
from backend.transfer.json_import import import_json_export
from backend.transfer.markdown_export import export_markdown
from backend.transfer.restore import restore

PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(3000)
OTHER = b"\x89PNG\r\n\x1a\n" + os.urandom(1500)
NAME = f"{hashlib.sha256(PHOTO).hexdigest()}.jpeg"
OTHER_NAME = f"{hashlib.sha256(OTHER).hexdigest()}.png"


@pytest.fixture
def other(settings: Settings, tmp_path: Path) -> Iterator[Charlie]:
    """A second, empty data directory with its own broker."""
    instance = Charlie.open(settings.with_changes(data_dir=tmp_path / "other"))
    try:
        yield instance
    finally:
        instance.close()


def import_photos(api: Charlie, tmp_path: Path) -> list[str]:
    """Two Day One entries with photos (one shared); returns their ids, oldest first."""
    doc = {
        "entries": [
            {
                "uuid": "1" * 32,
                "creationDate": "2023-01-01T09:00:00Z",
                "text": "Snow ![](dayone-moment://P1)",
                "photos": [{"identifier": "P1", "md5": "a" * 32, "type": "jpeg"}],
            },
            {
                "uuid": "2" * 32,
                "creationDate": "2023-01-02T09:00:00Z",
                "text": "Snow again ![](dayone-moment://P2) ![](dayone-moment://P3)",
                "photos": [
                    {"identifier": "P2", "md5": "a" * 32, "type": "jpeg"},
                    {"identifier": "P3", "md5": "b" * 32, "type": "png"},
                ],
            },
        ]
    }
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("Journal.json", json.dumps(doc))
        archive.writestr(f"photos/{'a' * 32}.jpeg", PHOTO)
        archive.writestr(f"photos/{'b' * 32}.png", OTHER)
    summary = run_import(api.backend, "dayone", source)
    assert (summary.added, summary.rejected) == (2, [])
    pages = api.journal().entries.list(limit=10).entries
    return [p.id for p in sorted(pages, key=lambda p: p.entry_at)]


def attachments_of(api: Charlie) -> dict[str, tuple[str, ...]]:
    entries = api.journal().entries
    return {p.id: entries.get(p.id).attachments for p in entries.list(limit=10).entries}


def assert_private(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


# -- the store ---------------------------------------------------------------------------


def test_the_store_keeps_each_content_once_privately_and_refuses_what_it_cannot(
    tmp_path: Path,
) -> None:
    root = tmp_path / "data" / "attachments"
    first = store_stream(root, io.BytesIO(PHOTO), "JPEG", 10_000)
    again = store_stream(root, io.BytesIO(PHOTO), "jpeg", 10_000)
    assert first == again and first.name == NAME and first.size == len(PHOTO)
    assert path_in(root, NAME) == root / NAME[:2] / NAME
    assert path_in(root, NAME).read_bytes() == PHOTO
    assert [p for p in root.rglob("*") if p.is_file()] == [path_in(root, NAME)]
    assert_private(root)

    with pytest.raises(AttachmentError, match="bigger than 0 MB"):
        store_stream(root, io.BytesIO(OTHER), "png", 1000)
    with pytest.raises(AttachmentError, match=r"Its type \(exe\) is not one Charlie keeps"):
        store_stream(root, io.BytesIO(OTHER), "exe", 10_000)
    with pytest.raises(AttachmentError, match="is not an attachment name"):
        path_in(root, "../../etc/passwd")
    # Nothing half-written or refused was left behind.
    assert [p for p in root.rglob("*") if p.is_file()] == [path_in(root, NAME)]


# -- backups -------------------------------------------------------------------------------


def test_backup_then_restore_into_an_empty_data_dir_brings_the_photos_back(
    api: Charlie, other: Charlie, tmp_path: Path
) -> None:
    import_photos(api, tmp_path)
    first = snapshot(api.backend, "manual")
    second = snapshot(api.backend, "manual")
    data_store = store_root(api.settings.data_dir)
    kept = backup_attachments_dir(api.settings)

    # Each photo is kept once for every backup, linked to the data directory's file.
    assert sorted(p.name for p in kept.rglob("*") if p.is_file()) == sorted([NAME, OTHER_NAME])
    for name in (NAME, OTHER_NAME):
        assert path_in(kept, name).stat().st_ino == path_in(data_store, name).stat().st_ino
    assert_private(kept)
    for path in (first, second):
        header, _records, names = read_backup_whole(path)
        assert (header["version"], names) == (2, sorted([NAME, OTHER_NAME]))

    # The photos are gone from the first data directory; the backup still has them.
    shutil.rmtree(data_store)
    result = restore(other.backend, second)

    assert (result.attachments, result.missing_attachments) == (2, ())
    assert sorted(attachments_of(other).values()) == [(NAME,), (NAME, OTHER_NAME)]
    restored = store_root(other.settings.data_dir)
    assert path_in(restored, NAME).read_bytes() == PHOTO
    assert path_in(restored, OTHER_NAME).read_bytes() == OTHER
    assert_private(restored)


def test_a_backup_copied_without_its_attachments_still_restores_and_says_what_is_missing(
    api: Charlie, other: Charlie, tmp_path: Path
) -> None:
    import_photos(api, tmp_path)
    path = snapshot(api.backend, "manual")
    alone = tmp_path / "elsewhere" / path.name
    alone.parent.mkdir()
    shutil.copy(path, alone)

    result = restore(other.backend, alone)

    assert sorted(result.missing_attachments) == sorted([NAME, OTHER_NAME])
    assert other.journal().entries.count() == 2  # The words came back.


def test_rotation_removes_a_kept_photo_only_when_no_backup_names_it(
    api: Charlie, tmp_path: Path
) -> None:
    import_photos(api, tmp_path)
    older = snapshot(api.backend, "manual")
    # The PNG leaves the data directory (say its entry was deleted and the file cleaned
    # up); the next backup does not name it, the older one still does.
    os.unlink(path_in(store_root(api.settings.data_dir), OTHER_NAME))
    snapshot(api.backend, "manual")
    kept = backup_attachments_dir(api.settings)

    rotate(api.settings)
    assert path_in(kept, OTHER_NAME).exists()  # The older backup names it.

    older.unlink()
    rotate(api.settings)
    assert not path_in(kept, OTHER_NAME).exists()
    assert path_in(kept, NAME).read_bytes() == PHOTO


def test_a_version_1_backup_still_restores(api: Charlie, other: Charlie) -> None:
    api.journal().entries.add("Written before attachments existed.")
    path = snapshot(api.backend, "manual")
    _header, records, _names = read_backup_whole(path)
    payload = gzip.compress(_encode(records), mtime=0)
    header = {
        "format": FORMAT,
        "version": 1,
        "created_at": int(time.time() * 1000),
        "reason": "manual",
        "keys": len(records),
        "payload_bytes": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    old = backup_dir(api.settings) / "charlie-20200101T000000000Z-manual.backup"
    old.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + payload)

    result = restore(other.backend, old)

    assert (result.attachments, result.missing_attachments) == (0, ())
    [page] = other.journal().entries.list(limit=5).entries
    assert other.journal().entries.get(page.id).body == "Written before attachments existed."


# -- exports -----------------------------------------------------------------------------


def test_markdown_export_copies_the_photos_and_links_to_them(api: Charlie, tmp_path: Path) -> None:
    ids = import_photos(api, tmp_path)
    folder = tmp_path / "md"

    assert export_markdown(api.backend, folder) == 2

    assert (folder / "attachments" / NAME).read_bytes() == PHOTO
    assert (folder / "attachments" / OTHER_NAME).read_bytes() == OTHER
    [second] = [p for p in folder.glob("*.md") if ids[1][:8] in p.name]
    text = second.read_text(encoding="utf-8")
    assert text.endswith(
        f"Snow again ![photo](attachments/{NAME}) ![photo](attachments/{OTHER_NAME})\n"
    )  # Every exported file ends with a newline.
    # Exported again into the same folder: the same files, nothing doubled.
    export_markdown(api.backend, folder)
    assert sorted(p.name for p in (folder / "attachments").iterdir()) == sorted([NAME, OTHER_NAME])


def test_json_export_and_import_export_round_trip_keeps_the_photos(
    api: Charlie, other: Charlie, tmp_path: Path
) -> None:
    import_photos(api, tmp_path)
    path = tmp_path / "out" / "journal.json"
    path.parent.mkdir()

    export_json(api.backend, path)

    beside = tmp_path / "out" / "journal.json.attachments"
    assert sorted(p.name for p in beside.iterdir()) == sorted([NAME, OTHER_NAME])
    doc = json.loads(path.read_text(encoding="utf-8"))
    listed = sorted(tuple(e.get("attachments", ())) for e in doc["journals"][0]["entries"])
    assert listed == [(NAME,), (NAME, OTHER_NAME)]

    summary = import_json_export(other.backend, path)

    assert (summary.added, summary.attachments, summary.missing_attachments) == (2, 3, [])
    assert attachments_of(other) == attachments_of(api)
    restored = store_root(other.settings.data_dir)
    assert path_in(restored, NAME).read_bytes() == PHOTO
    assert path_in(restored, OTHER_NAME).read_bytes() == OTHER
    assert_private(restored)


def test_import_export_keeps_no_file_that_is_not_what_its_name_says(
    api: Charlie, other: Charlie, tmp_path: Path
) -> None:
    import_photos(api, tmp_path)
    path = tmp_path / "journal.json"
    export_json(api.backend, path)
    (tmp_path / "journal.json.attachments" / OTHER_NAME).write_bytes(b"not the picture")

    summary = import_json_export(other.backend, path)

    assert summary.added == 2
    [missing] = summary.missing_attachments
    assert OTHER_NAME in missing and "does not hold what its name says" in missing
    assert sorted(attachments_of(other).values()) == [(NAME,), (NAME,)]
    assert not path_in(store_root(other.settings.data_dir), OTHER_NAME).exists()


def test_an_export_naming_a_path_instead_of_an_attachment_is_refused(
    api: Charlie, other: Charlie, tmp_path: Path
) -> None:
    from backend.errors import ValidationError

    import_photos(api, tmp_path)
    path = tmp_path / "journal.json"
    export_json(api.backend, path)
    text = path.read_text(encoding="utf-8").replace(NAME, "../../../../etc/passwd", 1)
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ValidationError, match="'attachments' is not a list of attachment names"):
        import_json_export(other.backend, path)
    assert other.journal().entries.count() == 0
