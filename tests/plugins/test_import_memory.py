"""Issue 10 D14: an import's memory stays bounded whatever it is given, and a large
ordinary source still imports completely.

Memory itself is measured by ``bench/import_memory.py`` (peak RSS of each import, next
to a baseline); these tests check what the imports do with the same kinds of input:
the hostile part is rejected with its reason, the ordinary entries beside it are
imported, a large ordinary source goes in whole, and nothing is ever half-written. The
limits follow ``max_entry_chars``; tests that would need hundreds of MB at the default
lower the limits instead (``small_limits``), so the same code paths run on small
inputs.
"""

from __future__ import annotations

import codecs
import io
import json
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import backend.transfer.importer_source as importer_source
import backend.transfer.importing as importing
import backend.transfer.pipeline as pipeline
from backend.errors import ValidationError
from backend.root import Charlie
from backend.settings import Settings
from backend.transfer.importer_source import run_import
from backend.transfer.importing import (
    ImportOptions,
    ImportSourceError,
    ReadBudget,
    SourceTooBig,
    TooBig,
    json_value_limit,
    read_limited,
    read_text,
)
from backend.transfer.json_export import export_json
from backend.transfer.json_import import import_json_export
from backend.transfer.json_stream import (
    MAX_DEPTH,
    JsonReader,
    NotJson,
    NotUtf8,
    ValueTooBig,
    ValueTooCostly,
)
from tests.helpers.importing import all_entries, queued_jobs

MB = 1024 * 1024


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> ImportOptions:
    """Limits some 30 times lower than the default: 2 MB held until writing (so one JSON
    value may be 512 KB), and 4 MB unpacked from a zip."""
    monkeypatch.setattr(importing, "MIN_KEEP_BYTES", 2 * MB)
    monkeypatch.setattr(importing, "KEEP_MULTIPLE", 0)
    monkeypatch.setattr(importing, "MIN_UNPACK_BYTES", 4 * MB)
    monkeypatch.setattr(importing, "UNPACK_MULTIPLE", 0)
    return ImportOptions()


@pytest.fixture
def readings(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The sources an import read a second time to write them (its texts did not fit)."""
    calls: list[Path] = []
    reread = importer_source._reread

    def counted(importer: Any, path: Path, *args: Any) -> Any:
        calls.append(path)
        return reread(importer, path, *args)

    monkeypatch.setattr(importer_source, "_reread", counted)
    return calls


# -- inputs -----------------------------------------------------------------------------


def packable(size: int, seed: int, *, runs: int = 3000) -> Iterator[bytes]:
    """``size`` bytes of lowercase text that packs some 50 times: runs of one letter with
    a few random ones between, so the zip stays small and yet is not a "zip bomb" (with
    ``runs`` of a million it packs a thousand times: a zip bomb)."""
    rng = random.Random(seed)
    block = bytearray()
    while len(block) < MB:
        block += b"a" * runs + bytes(rng.choices(b"bcdefghijklmnopqrstuvwxyz ", k=60))
    left = size
    while left > 0:
        chunk = bytes(block[: min(left, MB)])
        left -= len(chunk)
        yield chunk


def giant_entry(write: Any, size: int, *, seed: int = 0, runs: int = 3000) -> None:
    """A Day One journal file of about ``size`` bytes holding one entry whose text is
    all of it (starting with an emoji: Python then keeps it at 4 bytes a character),
    written in chunks so it is never whole in memory."""
    head = json.dumps(
        {"uuid": f"{seed:032X}", "creationDate": "2024-05-03T10:00:00Z", "text": "@"}
    ).encode()
    start, _, end = head.partition(b"@")
    start = b'{"entries": [' + start + "🌱 ".encode()
    end += b"]}"
    write(start)
    for chunk in packable(size - len(start) - len(end), seed, runs=runs):
        write(chunk)
    write(end)


def dayone_entries(count: int, *, first: int = 0) -> list[dict[str, Any]]:
    """Ordinary Day One entries (with the fields Day One writes beside the text)."""
    rng = random.Random(first)
    words = "walked lake Sam rain café garden tea Lisbon 🌱 read slept".split()
    out = []
    for n in range(first, first + count):
        text = " ".join(rng.choice(words) for _ in range(rng.randrange(20, 400))) + "\\."
        out.append(
            {
                "uuid": f"{n:032X}",
                "creationDate": f"{2000 + n % 25}-{1 + n % 12:02}-{1 + n % 28:02}"
                f"T10:{n % 60:02}:00Z",
                "timeZone": "Europe/Paris",
                "text": f"Day {n}. {text}",
                "richText": json.dumps({"contents": [{"text": text}]}),
                "location": {"placeName": "Lisbon", "latitude": 38.7, "longitude": -9.1},
                "tags": ["daily"],
            }
        )
    return out


def dayone_file(entries: list[dict[str, Any]]) -> bytes:
    return json.dumps({"metadata": {"version": "1.0"}, "entries": entries}).encode()


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
    return dayone_file(entries)


ORDINARY = ["An ordinary day, number 1 🌱.", "An ordinary day, number 2 🌱."]


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` zero bytes that takes no room on disk."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def nothing_written(api: Charlie) -> None:
    assert api.journal().entries.count() == 0 and queued_jobs(api) == 0


# -- the bounded reads, unit by unit ----------------------------------------------------


class Endless(io.RawIOBase):
    """A stream that never ends (like /dev/zero), of ``fill`` bytes after ``head``."""

    def __init__(self, head: bytes = b"", fill: bytes = b"x") -> None:
        self.head = head
        self.fill = fill

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data, self.head = self.head[: len(buffer)], self.head[len(buffer) :]
        data += self.fill * (len(buffer) - len(data))
        buffer[:] = data
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
    assert default.max_value_bytes == json_value_limit(100_000) < default.max_kept_bytes
    assert default.max_unpacked_bytes >= 1024 * MB
    bigger = ImportOptions(max_entry_chars=1_000_000)
    assert bigger.max_kept_bytes == 10 * default.max_kept_bytes
    assert bigger.max_value_bytes == 10 * default.max_value_bytes
    # A tiny max_entry_chars still reads an ordinary journal.
    assert ImportOptions(max_entry_chars=500).max_value_bytes >= 8 * MB
    # Reading the source again starts a new budget.
    default.budget.charge(MB)
    assert default.again().budget.read == 0 and default.again() == default


def test_json_reader_walks_a_document_and_builds_only_what_is_asked() -> None:
    doc = {"skip": {"deep": [1, 2, {"x": "y"}]}, "entries": [{"a": 1.5, "b": [True, None]}, 7]}
    reader = JsonReader(io.BytesIO(codecs.BOM_UTF8 + json.dumps(doc).encode()), max_value_bytes=MB)
    reader.expect("start_map", "not an object")
    seen = []
    for key in reader.keys():
        if key != "entries":
            reader.skip()
            continue
        reader.expect("start_array", "not a list")
        seen = [reader.value(10_000) for _ in reader.items()]
    reader.finish()
    assert seen == doc["entries"]


def test_json_reader_stops_at_a_value_past_its_limit_without_holding_it() -> None:
    reader = JsonReader(Endless(b'{"entries": [{"text": "'), max_value_bytes=MB)
    reader.expect("start_map", "")
    with pytest.raises(ValueTooBig) as caught:
        for _ in reader.keys():
            reader.value(100 * MB)
    assert caught.value.limit == MB
    # yajl was fed one chunk past the limit, then no more.
    assert reader.meter.total <= MB + 2 * 64 * 1024


def test_json_reader_skips_a_value_too_costly_to_hold_and_goes_on() -> None:
    dense = b"[" + b"0," * 500_000 + b"0]"
    reader = JsonReader(io.BytesIO(b"[" + dense + b', "after"]'), max_value_bytes=MB)
    reader.expect("start_array", "")
    items = reader.items()
    next(items)
    with pytest.raises(ValueTooCostly):
        reader.value(100_000)
    next(items)
    assert reader.value(100_000) == "after"
    assert list(items) == []
    reader.finish()


@pytest.mark.parametrize(
    ("data", "problem", "message"),
    [
        (b"[" * (MAX_DEPTH + 1), NotJson, "nested more than"),
        (b'{"a": "\xff"}', NotUtf8, "not UTF-8"),
        (b'{"a": 1} x', NotJson, "trailing garbage"),
        (b'{"a": [1, 2', NotJson, "premature EOF"),
        (b"nope" * 1000, NotJson, "invalid string"),
        (b"\x00" * 1000, NotUtf8, "not UTF-8"),
    ],
    ids=["deep", "latin-1", "trailing", "truncated", "not json", "zeros"],
)
def test_json_reader_says_what_is_wrong(data: bytes, problem: type, message: str) -> None:
    reader = JsonReader(io.BytesIO(data), max_value_bytes=MB)
    with pytest.raises(problem, match=message):
        reader.skip()
        reader.finish()


def test_json_reader_reads_utf16_when_asked() -> None:
    data = json.dumps({"a": "Zoë 🌱"}, ensure_ascii=False).encode("utf-16")
    assert JsonReader(io.BytesIO(data), max_value_bytes=MB, any_encoding=True).value(MB) == {
        "a": "Zoë 🌱"
    }
    with pytest.raises(NotUtf8):
        JsonReader(io.BytesIO(data), max_value_bytes=MB).value(MB)


# -- hostile inputs, whole imports ------------------------------------------------------


def test_a_day_one_zip_of_huge_members_rejects_them_and_imports_the_rest(
    api: Charlie, tmp_path: Path, small_limits: ImportOptions
) -> None:
    """The issue's zip, scaled to the small limits: a zip bomb, a member holding one text
    past the JSON value limit, one whose text is far over max_entry_chars but under that
    limit, and one whose ordinary entries come before a value past the limit (taken
    back: a member goes in whole or not at all), beside an ordinary Journal.json."""
    limit = small_limits.max_value_bytes
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Journal.json", ordinary_journal())
        with archive.open("Bomb.json", "w") as out:
            giant_entry(out.write, 3 * MB, runs=MB)
        with archive.open("Huge.json", "w") as out:
            giant_entry(out.write, 3 * limit, seed=1)
        with archive.open("Long.json", "w") as out:
            giant_entry(out.write, limit // 2, seed=2)
        head = dayone_file(dayone_entries(3))[:-2] + b", "
        with archive.open("Late.json", "w") as out:
            out.write(head)
            giant_entry(lambda b: out.write(b.removeprefix(b'{"entries": [')), 2 * limit, seed=3)

    summary = run_import(api.backend, "dayone", source)

    reasons = {r.where.removeprefix("Export.zip: "): r.reason for r in summary.rejected}
    assert set(reasons) == {
        "Bomb.json",
        "Huge.json",
        "Long.json, entry 1 (00000000000000000000000000000002)",
        "Late.json",
    }
    assert "times its packed size, which looks like a zip bomb" in reasons["Bomb.json"]
    for name, entry in (("Huge.json", 1), ("Late.json", 4)):
        assert (
            f"holds a single value of more than {limit:,} bytes (in entry {entry})" in reasons[name]
        )
        assert "none of its entries are imported" in reasons[name]
    long_reason = reasons["Long.json, entry 1 (00000000000000000000000000000002)"]
    assert "characters long; the limit is 100,000" in long_reason
    # Late.json's three ordinary entries were taken back with it.
    assert (summary.added, summary.total) == (2, 6)
    assert sorted(e.body for e in all_entries(api)) == ORDINARY
    assert queued_jobs(api) == 2


def test_a_zip_past_the_unpack_budget_stops_and_writes_nothing(
    api: Charlie, tmp_path: Path, small_limits: ImportOptions
) -> None:
    """Members that each pass the ratio check, more than an import unpacks together."""
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Journal.json", ordinary_journal())
        # Each holds one entry too long to import, under the JSON value limit.
        for n in range(small_limits.max_unpacked_bytes // 400_000 + 2):
            with archive.open(f"Part{n}.json", "w") as out:
                giant_entry(out.write, 400_000, seed=n)

    with pytest.raises(ImportSourceError) as caught:
        run_import(api.backend, "dayone", source)

    message = str(caught.value)
    assert "too big to import at once" in message
    assert f"{small_limits.max_unpacked_bytes:,} bytes to unpack" in message
    assert "Nothing was imported" in message and "in parts" in message
    nothing_written(api)
    assert [j.name for j in api.journals.list()] == ["Journal"]


@pytest.mark.parametrize(("importer", "name"), [("jrnl", "jrnl.json"), ("dayone", "Journal.json")])
def test_a_huge_file_of_zero_bytes_is_refused_after_its_first_bytes(
    api: Charlie, tmp_path: Path, importer: str, name: str
) -> None:
    source = sparse(tmp_path / name, 300 * MB)
    with pytest.raises(ImportSourceError, match="is not UTF-8 text, so it is not a"):
        run_import(api.backend, importer, source)
    nothing_written(api)


def test_a_huge_export_of_zero_bytes_is_refused(api: Charlie, tmp_path: Path) -> None:
    source = sparse(tmp_path / "export.json", 300 * MB)
    with pytest.raises(ValidationError, match="is not a readable JSON file"):
        import_json_export(api.backend, source)
    nothing_written(api)


def test_millions_of_tiny_json_values_are_refused_with_what_they_are(
    api: Charlie, tmp_path: Path
) -> None:
    """Tiny values cost 20-40 times their size as Python objects; read a value at a time
    they cost nothing, but each would be an item rejected with a reason to hold."""
    count = MB // 3
    source = tmp_path / "jrnl.json"
    source.write_bytes(b'{"entries": [' + b"{}," * (count - 1) + b"{}]}")

    with pytest.raises(ImportSourceError) as caught:
        run_import(api.backend, "jrnl", source)

    message = str(caught.value)
    assert f"more than {importing.MAX_REJECTED:,} of its items cannot be imported" in message
    assert "jrnl.json, entry 1: It has no date." in message and "Nothing was imported" in message
    nothing_written(api)


def test_an_export_entry_too_costly_to_hold_is_refused(api: Charlie, tmp_path: Path) -> None:
    entry = {
        "id": "0000000000000001",
        "title": "",
        "body": "Dense.",
        "entry_at": 1_500_000_000,
        "utc_offset": 0,
        "created_at": 1_500_000_000_000,
        "updated_at": 1_500_000_000_000,
        "content_hash": "x",
        "numbers": list(range(300_000)),
    }
    journal = {"id": "00000000000000aa", "name": "Journal", "entries": [entry]}
    journal.update(entities=[], mentions=[], relationships=[], blocked={})
    source = tmp_path / "export.json"
    source.write_text(json.dumps({"format": "charlie-export", "version": 1, "journals": [journal]}))

    with pytest.raises(ValidationError, match=r"entry 1: it takes more than [\d,]+ bytes"):
        import_json_export(api.backend, source)
    nothing_written(api)


def test_a_giant_jrnl_entry_is_rejected_and_the_others_import(api: Charlie, tmp_path: Path) -> None:
    ordinary = {"date": "2024-05-01", "time": "09:00", "title": "Fine.", "body": "A day."}
    source = tmp_path / "jrnl.json"
    with source.open("wb") as out:
        out.write(b'{"tags": {}, "entries": [' + json.dumps(ordinary).encode() + b", ")
        head, _, tail = (
            json.dumps({"date": "2024-05-02", "title": "", "body": "@"}).encode().partition(b"@")
        )
        out.write(head + "🌱 ".encode() + b"".join(packable(600_000, 1)) + tail + b", ")
        out.write(json.dumps({**ordinary, "date": "2024-05-03"}).encode() + b"]}")

    summary = run_import(api.backend, "jrnl", source)

    assert summary.added == 2
    [rejected] = summary.rejected
    assert rejected.where == "jrnl.json, entry 2 (2024-05-02)"
    assert "It is 600,002 characters long; the limit is 100,000" in rejected.reason
    assert sorted(e.body for e in all_entries(api)) == ["A day.", "A day."]


@pytest.mark.parametrize("importer", ["dayone", "jrnl"])
def test_a_json_file_with_a_value_past_the_limit_is_refused_whole(
    api: Charlie, tmp_path: Path, small_limits: ImportOptions, importer: str
) -> None:
    """Nothing after such a value can be read, so the entries before it are not
    imported either: the file is refused, with the entry it stopped at."""
    source = tmp_path / "export.json"
    with source.open("wb") as out:
        if importer == "dayone":
            out.write(dayone_file(dayone_entries(2))[:-2] + b", ")
            giant_entry(lambda b: out.write(b.removeprefix(b'{"entries": [')), 2 * MB)
        else:
            out.write(b'{"entries": [{"date": "2024-05-01", "body": "Fine."}, {"body": "')
            out.write(b"".join(packable(2 * MB, 1)) + b'"}]}')

    with pytest.raises(ImportSourceError) as caught:
        run_import(api.backend, importer, source)

    limit = small_limits.max_value_bytes
    assert f"holds a single value of more than {limit:,} bytes (in entry" in str(caught.value)
    assert "max_entry_chars" in str(caught.value)
    nothing_written(api)


def test_a_folder_of_overlong_files_is_rejected_file_by_file(api: Charlie, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2024-05-01 ordinary.md").write_text("An ordinary file 🌱.\n")
    # Over the character limit but under the byte size that says so without reading.
    for n in range(10):
        (folder / f"2024-05-02 long{n:02}.txt").write_bytes(b"".join(packable(400_000, n)))

    summary = run_import(api.backend, "files", folder)

    assert summary.added == 1
    assert len(summary.rejected) == 10
    assert all("characters long; the limit is 100,000" in r.reason for r in summary.rejected)
    assert [e.body for e in all_entries(api)] == ["An ordinary file 🌱."]


# -- large ordinary sources go in whole -------------------------------------------------


def test_a_folder_whose_texts_do_not_fit_is_read_again_and_imported_completely(
    api: Charlie, tmp_path: Path, small_limits: ImportOptions, readings: list[Path]
) -> None:
    """Every entry is valid; together their texts are more than an import holds, so it
    lets them go and reads the folder again to write them."""
    folder = tmp_path / "notes"
    folder.mkdir()
    texts = {}
    for n in range(40):
        text = f"🌱 {n:05} " + b"".join(packable(90_000, n)).decode()
        texts[n] = text
        (folder / f"2024-05-02 note{n:05}.txt").write_text(text)

    preview = run_import(api.backend, "files", folder, dry_run=True)
    summary = run_import(api.backend, "files", folder)

    assert preview.added == summary.added == 40 and not summary.rejected
    assert readings == [folder]
    assert sorted(e.body for e in all_entries(api)) == sorted(texts.values())
    assert queued_jobs(api) == 40
    assert run_import(api.backend, "files", folder).skipped == 40


@pytest.mark.parametrize("fits", [True, False], ids=["held", "read-again"])
def test_a_large_day_one_journal_imports_completely(
    api: Charlie,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    readings: list[Path],
    fits: bool,
) -> None:
    """A few MB of ordinary entries, in a zip too: every entry goes in, with its text,
    whether the import holds the texts or reads the source again to write them."""
    if not fits:
        monkeypatch.setattr(importing, "MIN_KEEP_BYTES", MB)
        monkeypatch.setattr(importing, "KEEP_MULTIPLE", 0)
    entries = dayone_entries(1500)
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Journal.json", dayone_file(entries[:1000]))
        archive.writestr("Other journal.json", dayone_file(entries[1000:]))
        archive.writestr("photos/x.jpeg", b"\xff\xd8" + bytes(1000))
    assert sum(i.file_size for i in zipfile.ZipFile(source).infolist()) > 3 * MB

    summary = run_import(api.backend, "dayone", source)

    assert (summary.added, summary.total, summary.rejected) == (1500, 1500, [])
    assert readings == ([] if fits else [source])
    stored = all_entries(api)
    assert len(stored) == 1500 == queued_jobs(api)
    assert {e.body.split(".")[0] for e in stored} == {f"Day {n}" for n in range(1500)}
    assert run_import(api.backend, "dayone", source).skipped == 1500


def test_a_large_jrnl_export_imports_completely(
    api: Charlie, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readings: list[Path]
) -> None:
    monkeypatch.setattr(importing, "MIN_KEEP_BYTES", MB)  # Read again to be written.
    monkeypatch.setattr(importing, "KEEP_MULTIPLE", 0)
    rng = random.Random(4)
    entries = [
        {
            "date": f"{2000 + n % 25}-{1 + n % 12:02}-{1 + n % 28:02}",
            "time": f"{n % 24:02}:{n % 60:02}",
            "title": f"Entry {n}.",
            "body": " ".join(rng.choice(["rain", "tea", "Zoë", "🌱"]) for _ in range(300)),
            "tags": [],
            "starred": False,
        }
        for n in range(2000)
    ]
    source = tmp_path / "jrnl.json"
    source.write_text(json.dumps({"tags": {}, "entries": entries}, ensure_ascii=False))
    assert source.stat().st_size > 2 * MB

    summary = run_import(api.backend, "jrnl", source)

    assert (summary.added, summary.rejected) == (2000, [])
    assert readings == [source]
    assert sorted(e.title for e in all_entries(api)) == sorted(f"Entry {n}." for n in range(2000))


def test_a_large_charlie_export_round_trips(
    api: Charlie, settings: Settings, tmp_path: Path
) -> None:
    """Our own export of a journal of a few MB, with its graph, read a value at a time,
    in the order Charlie writes it and with its lists in another order."""
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("Journal.json", dayone_file(dayone_entries(2000)))
    run_import(api.backend, "dayone", source)
    journal = api.journals.get()
    graph = api.backend.store.graph(journal)
    graph.query(
        "UNWIND range(0, 99) AS n CREATE (:Entity:Person {id: 'p' + toString(n), "
        "name: 'Person ' + toString(n), key: 'person ' + toString(n), type: 'Person'})"
    )
    graph.query(
        "MATCH (e:Episode), (n:Entity) WHERE toInteger(substring(n.id, 1)) % 40 = "
        "size(e.body) % 40 CREATE (e)-[:MENTIONS {quote: n.name}]->(n)"
    )
    exported = tmp_path / "export.json"
    export_json(api.backend, exported)
    assert exported.stat().st_size > 3 * MB
    doc = json.loads(exported.read_text(encoding="utf-8"))
    mentions = len(doc["journals"][0]["mentions"])
    assert mentions > 2000
    reordered = tmp_path / "reordered.json"
    doc["journals"][0] = dict(reversed(list(doc["journals"][0].items())))
    reordered.write_text(json.dumps(doc, ensure_ascii=False))
    del doc

    for n, path in enumerate((exported, reordered)):
        with Charlie.open(settings.with_changes(data_dir=tmp_path / f"other{n}")) as other:
            preview = import_json_export(other.backend, path, dry_run=True)
            summary = import_json_export(other.backend, path)
            [result] = summary.journals
            assert preview.added == summary.added == 2000
            assert (result.mentions, result.entities, result.dangling) == (mentions, 100, 0)
            again = import_json_export(other.backend, path)
            assert (again.added, again.skipped) == (0, 2000)
            assert sorted(e.body for e in all_entries(other)) == sorted(
                e.body for e in all_entries(api)
            )


# -- nothing half-written ---------------------------------------------------------------


def test_an_entry_that_changes_before_it_is_written_is_rejected_saying_so(
    api: Charlie, tmp_path: Path, small_limits: ImportOptions, readings: list[Path]
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(30):
        text = f"Note {n} " + b"".join(packable(90_000, n)).decode()
        (folder / f"2024-05-02 note{n:03}.txt").write_text(text)

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage == "writing" and done == 0:  # Between the two readings.
            (folder / "2024-05-02 note007.txt").write_text("Rewritten meanwhile.")

    summary = run_import(api.backend, "files", folder, progress=progress)

    assert summary.added == 29 and readings == [folder]
    [rejected] = summary.rejected
    assert "changed, or was gone, when the source was read again" in rejected.reason
    assert summary.added + summary.skipped + len(summary.rejected) == summary.total
    again = run_import(api.backend, "files", folder)
    assert (again.added, again.skipped) == (1, 29)
    assert "Rewritten meanwhile." in {e.body for e in all_entries(api)}


def test_a_source_that_breaks_while_it_is_written_says_what_was_written(
    api: Charlie, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, readings: list[Path]
) -> None:
    """Read again to be written, the source is cut short after the first batch: the
    batches written stay (each whole, with its jobs), the error says how many and where
    the backup is, and running the import again finishes it."""
    monkeypatch.setattr(importing, "MIN_KEEP_BYTES", MB)  # Read again to be written.
    monkeypatch.setattr(importing, "KEEP_MULTIPLE", 0)
    monkeypatch.setattr(pipeline, "BATCH_ITEMS", 50)
    whole = dayone_file(dayone_entries(1000))
    source = tmp_path / "Journal.json"
    source.write_bytes(whole)

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage == "writing" and done == 50:
            source.write_bytes(whole[: len(whole) // 2])  # Truncated under the reader.

    with pytest.raises(ImportSourceError) as caught:
        run_import(api.backend, "dayone", source, progress=progress)

    message = str(caught.value)
    assert readings == [source]
    written = api.journal().entries.count()
    assert written >= 50 and written % 50 == 0 and queued_jobs(api) == written
    assert f"{written:,} of its 1,000 new entries were written" in message
    assert "a backup was taken first" in message and "Run the same import again" in message
    source.write_bytes(whole)
    again = run_import(api.backend, "dayone", source)
    assert (again.added, again.skipped) == (1000 - written, written)
    assert api.journal().entries.count() == 1000 == queued_jobs(api)


def test_an_export_that_changes_after_it_was_checked_is_not_written(
    api: Charlie, other_api: Charlie, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import backend.transfer.json_import as json_import

    run_import_source = tmp_path / "Journal.json"
    run_import_source.write_bytes(dayone_file(dayone_entries(20)))
    run_import(api.backend, "dayone", run_import_source)
    path = tmp_path / "export.json"
    export_json(api.backend, path)
    checked = json_import.read_export

    def read_then_touch(source: Path, **kwargs: Any) -> Any:
        plan = checked(source, **kwargs)
        source.write_bytes(source.read_bytes() + b"\n")
        return plan

    monkeypatch.setattr(json_import, "read_export", read_then_touch)
    with pytest.raises(ValidationError, match="changed while it was being checked"):
        import_json_export(other_api.backend, path)
    assert other_api.backend.store.list_journals() == []
    assert not (other_api.settings.data_dir / "backups").exists()


@pytest.fixture
def other_api(settings: Settings, tmp_path: Path) -> Iterator[Charlie]:
    with Charlie.open(settings.with_changes(data_dir=tmp_path / "other")) as instance:
        yield instance
