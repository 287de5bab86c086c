"""A hostile Day One zip: nothing lands on disk, nothing comes from the bad members, and
the one honest journal file still imports."""

from __future__ import annotations

import base64
import json
import os
import random
import secrets
import stat
import struct
import zipfile
from pathlib import Path
from typing import Any

from backend.root import Charlie
from backend.transfer.importer_source import run_import
from backend.transfer.importing import ImportOptions
from tests.helpers.importing import all_entries


def journal(text: str) -> bytes:
    doc = {
        "metadata": {"version": "1.0"},
        "entries": [
            {
                "uuid": secrets.token_hex(16).upper(),
                "creationDate": "2024-05-01T10:00:00Z",
                "timeZone": "Europe/Paris",
                "text": text,
            }
        ],
    }
    return json.dumps(doc).encode()


def tree(root: Path, skip: Path) -> dict[str, Any]:
    """Every path under ``root`` (except ``skip``) with its size and kind."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath).is_relative_to(skip):
            continue
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = path.lstat()
            out[str(path.relative_to(root))] = (stat.S_IFMT(info.st_mode), info.st_size)
    return out


def lie_about_size(path: Path, member: str, claimed: int) -> None:
    """Rewrite the zip so ``member`` claims to unpack to ``claimed`` bytes."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    # Local file header: uncompressed size at offset 22; central directory: at 24.
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (at := data.find(signature, start)) != -1:
            if data[at + name_at : at + name_at + len(name)] == name:
                struct.pack_into("<I", data, at + size_at, claimed)
            start = at + 4
    path.write_bytes(bytes(data))


def hostile_zip(path: Path, absolute: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Journal.json", journal("The honest entry."))
        archive.writestr("photos/honest.jpeg", b"\xff\xd8\xff\xe0" + os.urandom(512))
        archive.writestr("../evil.json", journal("EVIL climbed out of the archive."))
        archive.writestr("photos/../../../escape.jpeg", b"EVIL photo")
        archive.writestr(str(absolute), journal("EVIL absolute path."))
        archive.writestr("C:\\Users\\evil.json", journal("EVIL drive path."))
        link = zipfile.ZipInfo("link.json")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "../../../../etc/passwd")
        # 20 MB of spaces inside a valid-looking journal: packs about a thousand times.
        bomb = b'{"entries": [' + b" " * 20_000_000 + b"]}"
        archive.writestr("bomb.json", bomb)
        archive.writestr("liar.json", journal("EVIL " + "lies " * 200_000))
    lie_about_size(path, "liar.json", 100)
    return path


def test_a_hostile_zip_writes_nothing_and_only_the_honest_member_imports(
    api: Charlie, tmp_path: Path
) -> None:
    absolute = Path("/tmp") / f"charlie-abs-{secrets.token_hex(6)}.json"
    source = hostile_zip(tmp_path / "Export.zip", absolute)
    data_dir = api.settings.data_dir
    before = tree(tmp_path, data_dir)
    outside_before = sorted(os.listdir(tmp_path.parent))

    summary = run_import(api.backend, "dayone", source)

    assert summary.added == 1
    assert [e.body for e in all_entries(api)] == ["The honest entry."]
    reasons = {r.where.removeprefix("Export.zip: "): r.reason for r in summary.rejected}
    assert set(reasons) == {
        "../evil.json",
        "photos/../../../escape.jpeg",
        str(absolute),
        "C:\\Users\\evil.json",
        "link.json",
        "bomb.json",
        "liar.json",
    }
    assert "climbs out" in reasons["../evil.json"]
    assert "climbs out" in reasons["photos/../../../escape.jpeg"]
    assert "absolute path" in reasons[str(absolute)]
    assert "absolute path" in reasons["C:\\Users\\evil.json"]
    assert "symbolic link" in reasons["link.json"]
    assert "zip bomb" in reasons["bomb.json"]
    # The member that lies about its size is cut off at what it claims and then fails.
    assert "could not be unpacked" in reasons["liar.json"]
    assert summary.total == 1 + len(reasons)

    # Nothing was written next to the zip, above it, or at the absolute path.
    assert tree(tmp_path, data_dir) == before
    assert sorted(os.listdir(tmp_path.parent)) == outside_before
    assert not absolute.exists()
    assert not (tmp_path.parent / "evil.json").exists()
    assert not any(p.name in ("evil.json", "escape.jpeg") for p in data_dir.rglob("*"))


def test_a_zip_of_only_bad_members_reports_them_and_imports_nothing(
    api: Charlie, tmp_path: Path
) -> None:
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("../Journal.json", journal("EVIL"))
    summary = run_import(api.backend, "dayone", source)
    assert summary.added == 0 and api.journal().entries.count() == 0
    assert [r.where for r in summary.rejected] == ["Export.zip: ../Journal.json"]


def test_large_journal_files_in_a_zip_are_streamed_and_read_whole(
    api: Charlie, tmp_path: Path
) -> None:
    """Issue 10 D14: members were read whole (1.5 GB RSS for a 9 MB zip), then refused
    past 16 MB. Now a journal file is read an entry at a time, so members of any size
    are read to their end: their over-long entries are rejected one by one, and the
    ordinary ones go in (bench/import_memory.py measures the memory)."""
    options = ImportOptions()
    # Each text just under the JSON value limit, and random, so it is no zip bomb.
    big = base64.b64encode(os.urandom((options.max_value_bytes - 1024) * 3 // 4)).decode()
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for n in range(2):
            z.writestr(f"Journal{n}.json", journal(big))
        # Text as varied as prose, so it is not taken for a zip bomb: a journal file
        # bigger than the old 16 MB limit, of ordinary entries.
        rng = random.Random(0)
        words = ["walk", "lake", "Sam", "rain", "tea"]
        entries = [
            {
                "uuid": f"{n:032X}",
                "creationDate": "2024-05-01T10:00:00Z",
                "text": " ".join(rng.choices(words, k=2000)),
            }
            for n in range(2000)
        ]
        z.writestr("Over.json", json.dumps({"entries": entries}))
        z.writestr("Small.json", journal("The small one."))
    assert zipfile.ZipFile(source).getinfo("Over.json").file_size > options.max_value_bytes
    summary = run_import(api.backend, "dayone", source, dry_run=True)
    assert [r.where.split(",")[0] for r in summary.rejected] == [
        f"Export.zip: Journal{n}.json" for n in range(2)
    ]
    assert all("characters long; the limit is 100,000" in r.reason for r in summary.rejected)
    assert summary.added == 2001  # Over.json's entries and the small one.


def test_a_member_broken_part_way_is_rejected_whole(api: Charlie, tmp_path: Path) -> None:
    """Its entries are read as it goes; when its end turns out broken, the ones already
    read are taken back, and the other members still import."""
    entries = json.loads(journal("First."))["entries"] + json.loads(journal("Second."))["entries"]
    cut = json.dumps({"entries": entries * 200})
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Broken.json", cut[: len(cut) - 100])
        archive.writestr("Journal.json", journal("The honest entry."))
        archive.writestr("Garbled.json", b'{"entries": [' + json.dumps(entries[0]).encode() + b"!")
    summary = run_import(api.backend, "dayone", source)
    reasons = {r.where: r.reason for r in summary.rejected}
    assert set(reasons) == {"Export.zip: Broken.json", "Export.zip: Garbled.json"}
    assert "is not valid JSON (parse error: premature EOF" in reasons["Export.zip: Broken.json"]
    assert "is not valid JSON" in reasons["Export.zip: Garbled.json"]
    assert (summary.added, summary.total) == (1, 3)
    assert [e.body for e in all_entries(api)] == ["The honest entry."]
