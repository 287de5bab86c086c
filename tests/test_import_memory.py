"""Issue 10 D14: an import's memory stays bounded whatever it is given.

A 9 MB Day One zip holding three 306 MB members once took 1.56 GB: members were read
whole, and entries far over ``max_entry_chars`` were kept until the end. The hostile
inputs here are built small on disk (members that pack a hundred times, sparse files),
each import runs as a real ``charlie import`` child process on the real embedded
database, and the child reports its own peak RSS (``ru_maxrss``) as it exits.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.api import CharlieAPI
from backend.importing import (
    ImportOptions,
    ReadBudget,
    SourceTooBig,
    TooBig,
    json_document_limit,
    read_limited,
    read_text,
    run_import,
)
from tests.test_importers import all_entries, queued_jobs

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
# What the issue asks for, with the default settings, whatever the input.
PEAK_LIMIT_MB = 300

# Runs `charlie` in-process in a fresh interpreter and prints its own peak RSS last.
_CHILD = (
    "import resource, sys\n"
    "from charlie import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "print(f'\\npeak-rss-kb {peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def charlie_measured(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``charlie ARGS`` in a child process; its result and peak RSS in MB."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("peak-rss-kb ")]
    assert lines, f"the child reported no peak RSS:\n{result.stderr}"
    return result, int(lines[-1].split()[1]) / 1024  # Linux reports kilobytes.


# -- hostile inputs, small on disk ------------------------------------------------------


def packable(size: int, seed: int, *, runs: int = 3000) -> Iterator[bytes]:
    """``size`` bytes of lowercase text that packs some 50 times: runs of one letter with
    a few random ones between, so the zip stays small and yet is not a "zip bomb" (with
    longer ``runs`` it packs a thousand times, faster)."""
    rng = random.Random(seed)
    block = bytearray()
    while len(block) < MB:
        block += b"a" * runs + bytes(rng.choices(b"bcdefghijklmnopqrstuvwxyz ", k=60))
    left = size
    while left > 0:
        chunk = bytes(block[: min(left, MB)])
        left -= len(chunk)
        yield chunk


def write_member(
    archive: zipfile.ZipFile,
    name: str,
    size: int,
    *,
    emoji: bool = False,
    seed: int = 0,
    runs: int = 3000,
) -> None:
    """A Day One journal file of about ``size`` bytes holding one giant entry (starting
    with an emoji: then Python keeps its text at 4 bytes a character), written in
    chunks through the deflater so it is never whole in memory."""
    head = json.dumps(
        {"uuid": f"{seed:032X}", "creationDate": "2024-05-03T10:00:00Z", "text": "@"},
        ensure_ascii=False,
    ).encode()
    start, _, end = head.partition(b"@")
    start = b'{"entries": [' + start + ("🌱 ".encode() if emoji else b"")
    end += b"]}"
    with archive.open(name, "w", force_zip64=True) as member:
        member.write(start)
        for chunk in packable(size - len(start) - len(end), seed, runs=runs):
            member.write(chunk)
        member.write(end)


def ordinary_journal() -> bytes:
    entries = [
        {
            "uuid": f"{n:032X}",
            "creationDate": f"2024-05-0{n}T10:00:00Z",
            "timeZone": "Europe/Paris",
            "text": f"An ordinary day, number {n} 🌱.",
        }
        for n in (1, 2)
    ]
    return json.dumps({"metadata": {"version": "1.0"}, "entries": entries}).encode()


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` zero bytes that takes no room on disk."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


# -- the bounded reads, unit by unit ----------------------------------------------------


class Endless(io.RawIOBase):
    """A stream that never ends (like /dev/zero)."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        buffer[:] = b"x" * len(buffer)
        return len(buffer)


@pytest.mark.parametrize("char", ["a", "é", "€", "🌱"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_read_text_takes_exactly_the_limit_in_characters(char: str, bom: bytes) -> None:
    limit = 1000
    at_limit = bom + (char * limit).encode()
    assert read_text(io.BytesIO(at_limit), limit) == char * limit

    over = bom + (char * (limit + 1)).encode()
    with pytest.raises(TooBig) as caught:
        read_text(io.BytesIO(over), limit)
    # Read at most 4 bytes a character (and a byte-order mark), then one byte to tell.
    assert caught.value.read <= 4 * limit + 3 + 1
    if len(char.encode()) < 4:
        assert caught.value.chars == limit + 1  # Decoded and counted: exactly one over.


def test_read_text_counts_characters_in_mixed_text() -> None:
    text = "🌱" + "a" * 998 + "é"  # 1,000 characters in 1,003 bytes.
    assert read_text(io.BytesIO(text.encode()), 1000) == text
    with pytest.raises(TooBig):
        read_text(io.BytesIO((text + "!").encode()), 1000)


def test_read_limited_stops_an_endless_stream_and_charges_the_budget() -> None:
    budget = ReadBudget(10 * MB)
    with pytest.raises(TooBig) as caught:
        read_limited(Endless(), 3 * MB, budget)
    assert caught.value.read == 3 * MB + 1
    assert budget.read == 3 * MB + 1
    assert read_limited(io.BytesIO(b"x" * 100), 100, budget) == b"x" * 100
    with pytest.raises(SourceTooBig):
        read_limited(Endless(), 20 * MB, budget)  # Past the import's budget first.


def test_limits_follow_max_entry_chars() -> None:
    default = ImportOptions()
    assert default.max_json_bytes == json_document_limit(100_000)
    assert default.max_json_bytes < default.max_read_bytes
    bigger = ImportOptions(max_entry_chars=1_000_000)
    assert bigger.max_read_bytes == 10 * default.max_read_bytes
    # A tiny max_entry_chars still reads an ordinary journal.
    assert ImportOptions(max_entry_chars=500).max_json_bytes >= 8 * MB


# -- whole imports, measured ------------------------------------------------------------


def test_a_day_one_zip_of_huge_members_stays_small_and_imports_the_rest(
    api: CharlieAPI, tmp_path: Path
) -> None:
    """The issue's zip: three 306 MB members (one packed a thousand times, a zip bomb),
    plus two under the JSON limit that hold one entry of some 15 million characters each
    (60 MB apiece in Python, with an emoji), beside an ordinary Journal.json."""
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Journal.json", ordinary_journal())
        write_member(archive, "Huge0.json", 306 * MB, runs=MB)
        for n in (1, 2):
            write_member(archive, f"Huge{n}.json", 306 * MB, seed=n)
        for n in range(2):
            write_member(archive, f"Long{n}.json", 15_000_000, emoji=True, seed=10 + n)
    assert source.stat().st_size < 20 * MB

    result, peak = charlie_measured("import", "dayone", str(source))

    assert result.returncode == 0, result.stderr
    assert peak < PEAK_LIMIT_MB, f"peak RSS {peak:.0f} MB"
    out = result.stdout
    limit = f"{json_document_limit(100_000):,}"
    line = next(x for x in out.splitlines() if "Export.zip: Huge0.json:" in x)
    assert "times its packed size, which looks like a zip bomb" in line
    for n in (1, 2):
        line = next(x for x in out.splitlines() if f"Export.zip: Huge{n}.json:" in x)
        assert f"It unpacks to {306 * MB:,} bytes" in line
        assert limit in line and "max_entry_chars" in line and "in parts" in line
    for n in range(2):
        line = next(x for x in out.splitlines() if f"Export.zip: Long{n}.json, entry 1" in x)
        assert "characters long; the limit is 100,000" in line
    assert "Added      2" in out
    assert sorted(e.body for e in all_entries(api)) == [
        "An ordinary day, number 1 🌱.",
        "An ordinary day, number 2 🌱.",
    ]


def test_a_zip_past_the_import_budget_stops_and_writes_nothing(
    api: CharlieAPI, tmp_path: Path
) -> None:
    """Members each under the JSON limit, more than an import reads together."""
    options = ImportOptions()
    member = options.max_json_bytes - MB
    count = options.max_read_bytes // member + 1
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Journal.json", ordinary_journal())
        for n in range(count):
            write_member(archive, f"Part{n}.json", member, emoji=True, seed=n)

    result, peak = charlie_measured("import", "dayone", str(source))

    assert result.returncode == 1
    assert peak < PEAK_LIMIT_MB, f"peak RSS {peak:.0f} MB"
    assert "too big to import at once" in result.stderr
    assert f"{options.max_read_bytes:,}" in result.stderr
    assert "Nothing was imported" in result.stderr and "in parts" in result.stderr
    assert api.count_entries() == 0 and queued_jobs(api) == 0
    assert [j.name for j in api.list_journals()] == ["Journal"]


@pytest.mark.parametrize(
    ("command", "name", "advice"),
    [
        (("import", "jrnl"), "jrnl.json", "jrnl"),
        (("import", "dayone"), "Journal.json", "Day One"),
        (("import-export",), "export.json", "--journal"),
    ],
)
def test_a_huge_json_file_is_refused_unread(
    api: CharlieAPI, tmp_path: Path, command: tuple[str, ...], name: str, advice: str
) -> None:
    """300 MB of JSON would be some 1.5 GB of Python objects: refused before reading,
    with what to do instead."""
    source = sparse(tmp_path / name, 300 * MB)

    result, peak = charlie_measured(*command, str(source))

    assert result.returncode == 1
    assert peak < PEAK_LIMIT_MB, f"peak RSS {peak:.0f} MB"
    message = result.stderr.splitlines()[0]
    assert f"{300 * MB:,} bytes" in message
    assert f"{json_document_limit(100_000):,}" in message and advice in message
    assert api.count_entries() == 0


def test_json_holding_too_many_values_is_refused_before_parsing(
    api: CharlieAPI, tmp_path: Path
) -> None:
    """Tiny values cost 20-40 times their size as Python objects ({} takes 64 bytes):
    a document under the size limit can still be too dense to parse."""
    limit = json_document_limit(100_000)
    count = (limit - 100) // 3
    source = tmp_path / "jrnl.json"
    source.write_bytes(b'{"entries": [' + b"{}," * (count - 1) + b"{}]}")

    result, peak = charlie_measured("import", "jrnl", str(source))

    assert result.returncode == 1
    assert peak < PEAK_LIMIT_MB, f"peak RSS {peak:.0f} MB"
    assert "JSON values" in result.stderr and "in parts" in result.stderr


def test_a_folder_of_overlong_files_is_rejected_file_by_file(
    api: CharlieAPI, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2024-05-01 ordinary.md").write_text("An ordinary file 🌱.\n")
    # Over the character limit but under the byte size that says so without reading.
    for n in range(40):
        (folder / f"2024-05-02 long{n:02}.txt").write_bytes(b"".join(packable(400_000, n)))

    summary = run_import(api, "files", folder)

    assert summary.added == 1
    assert len(summary.rejected) == 40
    assert all("characters long; the limit is 100,000" in r.reason for r in summary.rejected)
    assert [e.body for e in all_entries(api)] == ["An ordinary file 🌱."]


def test_the_text_an_import_keeps_is_capped(api: CharlieAPI, tmp_path: Path) -> None:
    """Every entry is valid, but together they take more memory than one import keeps
    (an emoji makes Python store a whole text at 4 bytes a character)."""
    options = ImportOptions()
    folder = tmp_path / "notes"
    folder.mkdir()
    kept = 4 * options.max_entry_chars  # Bytes each entry takes in memory.
    for n in range(options.max_read_bytes // kept + 10):
        text = f"🌱 {n:05} ".encode() + b"".join(packable(options.max_entry_chars - 10, n))
        (folder / f"2024-05-02 note{n:05}.txt").write_bytes(text)

    result, peak = charlie_measured("import", "files", str(folder))

    assert result.returncode == 1
    assert peak < PEAK_LIMIT_MB, f"peak RSS {peak:.0f} MB"
    assert "too big to import at once" in result.stderr
    assert "a sub-folder" in result.stderr
    assert api.count_entries() == 0
