"""Photos from Day One: an export zip's photos kept as attachments, in their place in the
text; every photo not kept named with its reason (the entry is still imported); the same
photo stored once; a plain Journal.json saying once that it holds no photos."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.attachments import store_root
from backend.models import Entry
from backend.root import Charlie
from backend.settings import Settings
from backend.transfer import importer_source, importing
from backend.transfer.importer_source import run_import

JPEG = b"\xff\xd8\xff\xe0" + os.urandom(4096)
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(2048)
BIG = b"\xff\xd8\xff\xe0" + os.urandom(1024 * 1024 + 512)  # Over a 1 MB cap.
M_LAKE, M_SAME, M_MISSING, M_BIG, M_LINK, M_PNG = (
    hashlib.md5(bytes([n])).hexdigest() for n in range(6)
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def photo(ident: str, md5: str, kind: str = "jpeg") -> dict[str, Any]:
    # Day One writes many more fields; only these three matter.
    return {"identifier": ident, "md5": md5, "type": kind, "width": 640, "height": 480}


def entry(uuid: str, text: str, *photos: dict[str, Any], day: int = 1) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "creationDate": f"2023-05-{day:02d}T12:00:00Z",
        "timeZone": "UTC",
        "text": text,
        "photos": list(photos),
    }


def journal() -> dict[str, Any]:
    return {
        "metadata": {"version": "1.0"},
        "entries": [
            entry(
                "A" * 32,
                "# Lake\n\nWe swam\\.\n\n![](dayone-moment://ID-LAKE)\n\nThen lunch\\.",
                photo("ID-LAKE", M_LAKE),
                day=1,
            ),
            entry(
                "B" * 32,
                "Same view again ![](dayone-moment://ID-SAME)\n\n"
                "![](dayone-moment://ID-GONE)\n\nAnd a drawing.",
                photo("ID-SAME", M_SAME),
                photo("ID-GONE", M_MISSING),
                photo("ID-PNG", M_PNG, "png"),  # Not linked in the text: put at its end.
                day=2,
            ),
            entry(
                "C" * 32,
                "A huge panorama ![](dayone-moment://ID-BIG)",
                photo("ID-BIG", M_BIG),
                day=3,
            ),
            entry(
                "D" * 32,
                "Odd files ![](dayone-moment://ID-EVIL) ![](dayone-moment://ID-LINK) "
                "![](dayone-moment://ID-TIFF)",
                photo("ID-EVIL", "../../../etc/passwd"),
                photo("ID-LINK", M_LINK),
                photo("ID-TIFF", M_LAKE, "tiff"),
                day=4,
            ),
        ],
    }


def build_zip(path: Path) -> Path:
    """An export zip: photos/ members (one the same picture under another md5, one over
    the cap, one a symlink), one photo missing, and a member with an unsafe name."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Journal.json", json.dumps(journal(), indent=1))
        archive.writestr(f"photos/{M_LAKE}.jpeg", JPEG)
        archive.writestr(f"photos/{M_SAME}.jpeg", JPEG)  # The same content: stored once.
        archive.writestr(f"photos/{M_PNG}.png", PNG)
        archive.writestr(f"photos/{M_BIG}.jpeg", BIG)
        link = zipfile.ZipInfo(f"photos/{M_LINK}.jpeg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("../outside.jpeg", JPEG)
    return path


@pytest.fixture
def capped(settings: Settings) -> Iterator[Charlie]:
    """An API whose attachment cap is 1 MB."""
    api = Charlie.open(settings.with_changes(attachment_max_mb=1))
    try:
        yield api
    finally:
        api.close()


def by_uuid(api: Charlie) -> dict[str, Entry]:
    entries = api.journal().entries
    found = {}
    for summary in entries.list(limit=100).entries:
        full = entries.get(summary.id)
        found[full.entry_at.day] = full
    return {"ABCD"[day - 1]: e for day, e in found.items()}


def store_files(api: Charlie) -> list[Path]:
    return sorted(p for p in store_root(api.settings.data_dir).rglob("*") if p.is_file())


def test_zip_photos_become_attachments_and_every_photo_not_kept_is_named(
    capped: Charlie, tmp_path: Path
) -> None:
    source = build_zip(tmp_path / "Export.zip")

    dry = run_import(capped.backend, "dayone", source, dry_run=True)
    assert dry.added == 4
    assert store_files(capped) == []  # A dry run stores nothing.

    summary = run_import(capped.backend, "dayone", source)

    assert summary.added == 4  # Every entry, whatever became of its photos.
    reasons = {r.where: r.reason for r in summary.rejected}
    entry_b = f"Export.zip: Journal.json, entry 2 ({'B' * 32})"
    entry_c = f"Export.zip: Journal.json, entry 3 ({'C' * 32})"
    entry_d = f"Export.zip: Journal.json, entry 4 ({'D' * 32})"
    assert reasons[f"{entry_b}, photo ID-GONE"] == (
        f"Its file photos/{M_MISSING}.jpeg is not in Export.zip. The entry is imported without it."
    )
    assert reasons[f"{entry_c}, photo ID-BIG"].startswith("It is bigger than 1 MB, the most")
    assert "attachment_max_mb" in reasons[f"{entry_c}, photo ID-BIG"]
    assert "is not a Day One photo name" in reasons[f"{entry_d}, photo ID-EVIL"]
    assert "symbolic link" in reasons[f"{entry_d}, photo ID-LINK"]
    assert "Its type (tiff) is not one Charlie keeps" in reasons[f"{entry_d}, photo ID-TIFF"]
    assert "climbs out of the archive" in reasons["Export.zip: ../outside.jpeg"]
    # An unsafe member is reported as such too, even when it is a photo's file.
    assert "symbolic link" in reasons[f"Export.zip: photos/{M_LINK}.jpeg"]
    assert len(summary.rejected) == 7

    entries = by_uuid(capped)
    lake_name, png_name = f"{sha(JPEG)}.jpeg", f"{sha(PNG)}.png"
    lake = entries["A"]
    assert lake.title == "Lake"
    assert lake.attachments == (lake_name,)
    # The photo keeps its place in the text.
    assert lake.body == f"We swam.\n\n![photo](attachment:{lake_name})\n\nThen lunch."
    same = entries["B"]
    assert same.attachments == (lake_name, png_name)
    assert same.body == (
        f"Same view again ![photo](attachment:{lake_name})\n\nAnd a drawing.\n\n"
        f"![photo](attachment:{png_name})"
    )
    assert entries["C"].attachments == () and entries["C"].body == "A huge panorama"
    assert entries["D"].attachments == () and entries["D"].body == "Odd files"

    # The same picture (two md5 names, two entries) is stored once; bytes as exported.
    root = store_root(capped.settings.data_dir)
    files = store_files(capped)
    assert [p.name for p in files] == sorted([lake_name, png_name])
    assert (root / lake_name[:2] / lake_name).read_bytes() == JPEG
    assert (root / png_name[:2] / png_name).read_bytes() == PNG
    # Private: folders 0700, files 0600; no temp file left behind.
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    assert not [p for p in root.rglob(".*")]

    # Importing again adds nothing and stores nothing more.
    again = run_import(capped.backend, "dayone", source)
    assert (again.added, again.skipped) == (0, 4)
    assert store_files(capped) == files


def test_a_plain_journal_json_says_once_that_its_photos_are_in_the_zip(
    api: Charlie, tmp_path: Path
) -> None:
    source = tmp_path / "Journal.json"
    source.write_text(json.dumps(journal()), encoding="utf-8")

    summary = run_import(api.backend, "dayone", source)

    assert summary.added == 4
    assert [(r.where, r.reason) for r in summary.rejected] == [
        (
            "Journal.json",
            "8 photos of its entries are not imported: Day One keeps photos in the export "
            "zip, beside this file. Import the zip to keep them.",
        )
    ]
    assert all(not e.attachments for e in by_uuid(api).values())
    assert store_files(api) == []


def test_the_import_total_cap_names_the_photos_past_it(settings: Settings, tmp_path: Path) -> None:
    first, second = os.urandom(700 * 1024), os.urandom(700 * 1024)
    doc = {
        "entries": [
            entry("E" * 32, "One ![](dayone-moment://P1)", photo("P1", M_LAKE), day=1),
            entry("F" * 32, "Two ![](dayone-moment://P2)", photo("P2", M_SAME), day=2),
        ]
    }
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("Journal.json", json.dumps(doc))
        archive.writestr(f"photos/{M_LAKE}.jpeg", first)
        archive.writestr(f"photos/{M_SAME}.jpeg", second)
    with Charlie.open(settings.with_changes(import_attachments_max_mb=1)) as api:
        summary = run_import(api.backend, "dayone", source)
        assert summary.added == 2
        [rejected] = summary.rejected
        assert rejected.where.endswith(f"({'F' * 32}), photo P2")
        assert "import_attachments_max_mb" in rejected.reason
        assert [p.name for p in store_files(api)] == [f"{sha(first)}.jpeg"]


def test_photos_are_stored_when_the_source_is_read_again_to_write_it(
    api: Charlie, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An import too big to hold lets its texts go and reads the zip again to write: the
    # photos come with the second reading.
    monkeypatch.setattr(importing, "MIN_KEEP_BYTES", 12_000)
    monkeypatch.setattr(importing, "KEEP_MULTIPLE", 0)
    reread = importer_source._reread
    rereads: list[int] = []

    def counted(*args: Any) -> Iterator[Any]:
        rereads.append(1)
        return reread(*args)

    monkeypatch.setattr(importer_source, "_reread", counted)
    filler = "words " * 300
    doc = {
        "entries": [
            entry(f"{n:032d}", f"{filler}![](dayone-moment://P{n})", photo(f"P{n}", M_LAKE), day=n)
            for n in range(1, 7)
        ]
    }
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("Journal.json", json.dumps(doc))
        archive.writestr(f"photos/{M_LAKE}.jpeg", JPEG)

    summary = run_import(api.backend, "dayone", source)

    assert (summary.added, summary.rejected) == (6, [])
    assert rereads == [1]  # The source was read again to write it.
    name = f"{sha(JPEG)}.jpeg"
    for summary_row in api.journal().entries.list(limit=10).entries:
        full = api.journal().entries.get(summary_row.id)
        assert full.attachments == (name,)
        assert full.body.endswith(f"![photo](attachment:{name})")
    assert [p.name for p in store_files(api)] == [name]
