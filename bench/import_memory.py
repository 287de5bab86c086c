"""Charlie's import memory benchmark: peak RSS of imports, hostile and ordinary (issue 10 D14).

Run ``.venv/bin/python bench/import_memory.py`` (full sizes: some 1.5 GB of disk under
/tmp for a few minutes, removed at the end) or ``--quick`` (tiny sizes: the CI smoke
test). The target: every import peaks under 300 MB, whatever it is given, with default
settings. It only prints figures; nothing is asserted (tests/plugins/test_import_memory.py
checks what the imports do with the same inputs, not how much memory they take).

Each import runs as a real ``charlie import`` (or ``charlie import-export``) child
process on its own fresh data directory, and the child prints its own peak RSS
(``ru_maxrss``) as it exits; the embedded database is another process and is not
counted. The baseline, measured in the same run, is a child that only imports
Charlie's modules (the interpreter, the libraries and Charlie itself): what any
import costs before it reads a byte. The ratio is peak / baseline.

1. Hostile inputs, built small on disk where they can be (members that pack a hundred
   times or more, sparse files): a zip of huge members (the issue's 9 MB zip of 306 MB
   members: one a zip bomb, two holding one text far over any limit, two holding one
   entry of 15 million characters); a zip that unpacks past the import's budget (in
   ``--quick`` the budget is lowered to match); 300 MB files of zero bytes given to
   each JSON importer; 10 MB of ``{},`` (3 million tiny values); an export entry
   holding a list of millions of numbers; a jrnl entry of 15 million characters and a
   Day One text of 300 MB among ordinary entries; a folder of over-long files; a folder
   of long valid files whose texts together are more than an import holds (read again
   to be written).
2. Large ordinary inputs, generated: a Day One ``Journal.json`` of ~100 MB, the same in
   a zip, a jrnl export of ~50 MB, and a Charlie JSON export of 10,000 entries with
   their graph (entities, mentions, relationships). Each must import completely.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024

# Runs `charlie ARGS` in a fresh interpreter and prints its own peak RSS last;
# `--baseline` only imports what an import needs. BENCH_UNPACK_BYTES lowers the
# import's unpack budget (``--quick`` only, so that a tiny zip goes past it).
_CHILD = """\
import os, resource, sys
if os.environ.get("BENCH_UNPACK_BYTES"):
    import backend.transfer.importing as importing
    importing.MIN_UNPACK_BYTES = int(os.environ["BENCH_UNPACK_BYTES"])
    importing.UNPACK_MULTIPLE = 0
if sys.argv[1:] == ["--baseline"]:
    import rich.progress
    import charlie, cli.imports, cli.export, backend.runtime, backend.root
    import backend.transfer.importer_source, backend.transfer.json_import
    import plugins.importers.dayone, plugins.importers.jrnl, plugins.importers.files
    code = 0
else:
    from charlie import main
    code = main(sys.argv[1:])
sys.stdout.flush()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"\\npeak-rss-kb {peak}", file=sys.stderr)
sys.exit(code)
"""

WORDS = (
    "morning coffee walked lake Sam rain office meeting call mother garden book read "
    "train late tired happy dinner Lisbon project deadline ran park dog music quiet "
    "talked about plans weekend slept badly cooked soup friends laughed market bought "
    "café naïve Zoë 🌱"
).split()


@dataclass
class Result:
    code: int
    peak_mb: float
    seconds: float
    outcome: str


class Runner:
    """Runs children, each on a fresh data directory under ``root``."""

    def __init__(self, root: Path, quick: bool) -> None:
        self.root = root
        self.quick = quick
        self.count = 0

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        self.count += 1
        data = self.root / f"data-{self.count}"
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("CHARLIE_")}
        child_env["CHARLIE_DATA_DIR"] = str(data)
        child_env["CHARLIE_CONFIG_FILE"] = str(self.root / "config.toml")
        child_env.update(env or {})
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, *args],
            cwd=ROOT,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        seconds = time.perf_counter() - start
        shutil.rmtree(data, ignore_errors=True)
        peaks = [line for line in done.stderr.splitlines() if line.startswith("peak-rss-kb ")]
        peak = int(peaks[-1].split()[1]) / 1024 if peaks else float("nan")
        return Result(done.returncode, peak, seconds, outcome(done))


def outcome(done: subprocess.CompletedProcess[str]) -> str:
    """What the import did, in one line: its counts, or why it refused the source."""
    if done.returncode != 0:
        errors = [x for x in done.stderr.splitlines() if x.strip() and "peak-rss" not in x]
        return "refused: " + (errors[0] if errors else f"exit {done.returncode}")
    lines = done.stdout.splitlines()
    if lines and lines[0].lower().startswith("import of"):  # charlie import-export
        return "; ".join(x.strip() for x in lines[1:] if x.strip() and "Backup" not in x)
    counts = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("Added", "Skipped", "Rejected"):
            counts[parts[0].lower()] = parts[1]
    text = ", ".join(f"{k} {v}" for k, v in counts.items())
    rejected = [x.strip() for x in lines if x.startswith("    ")]
    return text + (f"; first rejected: {rejected[0]}" if rejected else "")


# -- inputs --------------------------------------------------------------------------------


def packable(size: int, seed: int, *, runs: int = 3000) -> Iterator[bytes]:
    """``size`` bytes of lowercase text that packs some 50 times (with ``runs`` of a
    million, a thousand times: a zip bomb)."""
    rng = random.Random(seed)
    block = bytearray()
    while len(block) < MB:
        block += b"a" * runs + bytes(rng.choices(b"bcdefghijklmnopqrstuvwxyz ", k=60))
    left = size
    while left > 0:
        chunk = bytes(block[: min(left, MB)])
        left -= len(chunk)
        yield chunk


def giant_entry_doc(write: Callable[[bytes], object], size: int, seed: int, emoji: bool) -> None:
    """A Day One journal of about ``size`` bytes: one entry whose text is all of it."""
    head = json.dumps(
        {"uuid": f"{seed:032X}", "creationDate": "2024-05-03T10:00:00Z", "text": "@"}
    ).encode()
    start, _, end = head.partition(b"@")
    start = b'{"entries": [' + start + ("🌱 ".encode() if emoji else b"")
    end += b"]}"
    write(start)
    for chunk in packable(size - len(start) - len(end), seed, runs=MB if seed == 0 else 3000):
        write(chunk)
    write(end)


def ordinary_dayone(count: int = 2) -> bytes:
    entries = [
        {
            "uuid": f"{n + 1:032X}",
            "creationDate": f"2024-05-{n + 1:02}T10:00:00Z",
            "timeZone": "Europe/Paris",
            "text": f"An ordinary day, number {n + 1} 🌱.",
        }
        for n in range(count)
    ]
    return json.dumps({"metadata": {"version": "1.0"}, "entries": entries}).encode()


def prose(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(low, high))).capitalize()


def dayone_journal(path: Path, size: int) -> int:
    """A Day One export of about ``size`` bytes of ordinary entries (with the rich text,
    location and weather Day One writes beside each text); returns the entries."""
    rng = random.Random(1)
    count = written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"metadata": {"version": "1.0"}, "entries": [\n')
        while written < size:
            text = prose(rng, 20, 600) + "\\."
            entry = {
                "uuid": f"{count:032X}",
                "creationDate": f"{2000 + count % 25}-{1 + count % 12:02}-{1 + count % 28:02}"
                f"T{count % 24:02}:{count % 60:02}:00Z",
                "timeZone": rng.choice(["Europe/Paris", "America/New_York", "Asia/Tokyo"]),
                "text": text,
                "richText": json.dumps({"contents": [{"text": text}], "meta": {"version": 1}}),
                "location": {"latitude": 38.7, "longitude": -9.1, "placeName": "Lisbon"},
                "weather": {"temperatureCelsius": 17.5, "conditionsDescription": "Cloudy"},
                "tags": ["daily"],
                "starred": False,
            }
            line = (",\n" if count else "") + json.dumps(entry, ensure_ascii=False)
            out.write(line)
            written += len(line.encode())
            count += 1
        out.write("\n]}\n")
    return count


def jrnl_export(path: Path, size: int) -> int:
    rng = random.Random(2)
    count = written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"tags": {"@work": 3}, "entries": [\n')
        while written < size:
            entry = {
                "title": prose(rng, 3, 10) + ".",
                "body": prose(rng, 20, 500),
                "date": f"{2000 + count % 25}-{1 + count % 12:02}-{1 + count % 28:02}",
                "time": f"{count % 24:02}:{count % 60:02}",
                "tags": ["@work"],
                "starred": count % 7 == 0,
            }
            line = (",\n" if count else "") + json.dumps(entry, ensure_ascii=False)
            out.write(line)
            written += len(line.encode())
            count += 1
        out.write("\n]}\n")
    return count


def charlie_export(path: Path, entries: int) -> int:
    """A Charlie JSON export of one journal of ``entries`` entries with a graph: some
    2,000 entities, three mentions an entry, a relationship for every other entry."""
    from backend.graph.extractor import ENTITY_TYPES, RELATION_KINDS

    rng = random.Random(3)
    entity_ids = [f"{n:016x}" for n in range(max(10, entries // 5))]
    with path.open("w", encoding="utf-8") as out:
        out.write('{"format": "charlie-export", "version": 1, "exported_at": ')
        out.write('"2026-01-01T00:00:00+00:00",\n "journals": [\n  {\n')
        out.write('   "id": "00000000000000aa", "name": "Journal", "created": 1700000000000,\n')
        out.write('   "entries": [')
        for n in range(entries):
            at = 1_500_000_000 + n * 40_000
            entry = {
                "id": f"{n:016x}",
                "title": "" if n % 3 else f"Day {n}",
                "body": prose(rng, 20, 500) + ".",
                "entry_at": at,
                "utc_offset": 60,
                "created_at": at * 1000,
                "updated_at": at * 1000,
                "content_hash": f"{n:064x}",
                "source": "app",
            }
            out.write(("," if n else "") + "\n    " + json.dumps(entry, ensure_ascii=False))
        out.write('\n   ],\n   "entities": [')
        for n, entity_id in enumerate(entity_ids):
            entity = {
                "id": entity_id,
                "name": f"{rng.choice(WORDS)} {n}",
                "key": f"key {n}",
                "type": ENTITY_TYPES[n % len(ENTITY_TYPES)],
                "aliases": [f"alias {n}"],
            }
            out.write(("," if n else "") + "\n    " + json.dumps(entity, ensure_ascii=False))
        out.write('\n   ],\n   "mentions": [')
        first = True
        for n in range(entries):
            for entity_id in sorted(set(rng.sample(entity_ids, 3))):
                mention = {"entry": f"{n:016x}", "entity": entity_id, "quote": "Sam"}
                out.write(("" if first else ",") + "\n    " + json.dumps(mention))
                first = False
        out.write('\n   ],\n   "relationships": [')
        for n in range(0, entries, 2):
            a, b = rng.sample(entity_ids, 2)
            kind = RELATION_KINDS[n % len(RELATION_KINDS)]
            relation = {"source": a, "target": b, "kind": kind, "episode": f"{n:016x}"}
            out.write(("," if n else "") + "\n    " + json.dumps(relation))
        out.write('\n   ],\n   "blocked": {}, "types": {}, "drafts": []\n  }\n ]\n}\n')
    return entries


def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


# -- the run -------------------------------------------------------------------------------


def row(label: str, disk: int, result: Result, baseline: float) -> None:
    ratio = result.peak_mb / baseline if baseline else float("nan")
    print(
        f"   {label:<44} {disk / MB:9.1f} MB {result.peak_mb:8.0f} MB {ratio:6.1f}x "
        f"{result.seconds:7.1f} s"
    )
    print(f"      -> {result.outcome[:150]}")


def header() -> None:
    print(f"   {'input':<44} {'on disk':>12} {'peak RSS':>11} {'ratio':>7} {'time':>9}")


def hostile(runner: Runner, root: Path, baseline: float) -> None:
    quick = runner.quick
    print("1. Hostile inputs (each rejected with its reason; ordinary entries beside them go in)")
    header()
    member = 3 * MB if quick else 306 * MB
    long_chars = 300_000 if quick else 15_000_000

    source = root / "Huge.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Journal.json", ordinary_dayone())
        for n in range(3):
            with archive.open(f"Huge{n}.json", "w", force_zip64=True) as out:
                giant_entry_doc(out.write, member, n, emoji=False)
        for n in range(2):
            with archive.open(f"Long{n}.json", "w", force_zip64=True) as out:
                giant_entry_doc(out.write, long_chars, 10 + n, emoji=True)
    label = f"zip: 3 members of {member // MB} MB, 2 long entries"
    row(label, source.stat().st_size, runner.run("import", "dayone", str(source)), baseline)
    source.unlink()

    # Past the unpack budget: members of long (rejected) entries, each under the ratio.
    budget = 8 * MB if quick else 1024 * MB
    part = 2 * MB if quick else 96 * MB
    source = root / "Budget.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("Journal.json", ordinary_dayone())
        for n in range(budget // part + 2):
            with archive.open(f"Part{n}.json", "w", force_zip64=True) as out:
                out.write(b'{"entries": [')
                for k in range(part // MB):
                    entry = {"uuid": f"{n}-{k}", "creationDate": "2024-05-03T10:00:00Z"}
                    head = json.dumps({**entry, "text": "@"}).encode().partition(b"@")
                    out.write((b"," if k else b"") + head[0])
                    for chunk in packable(MB, 100 * n + k + 1):
                        out.write(chunk)
                    out.write(head[2])
                out.write(b"]}")
    env = {"BENCH_UNPACK_BYTES": str(budget)} if quick else {}
    label = f"zip unpacking past the {budget // MB} MB budget"
    result = runner.run("import", "dayone", str(source), env=env)
    row(label, source.stat().st_size, result, baseline)
    source.unlink()

    for command, name in (
        (("import", "jrnl"), "jrnl.json"),
        (("import", "dayone"), "Journal.json"),
        (("import-export",), "export.json"),
    ):
        source = sparse(root / name, 300 * MB)
        label = f"300 MB of zero bytes: {' '.join(command)}"
        row(label, 0, runner.run(*command, str(source)), baseline)
        source.unlink()

    source = root / "tiny.json"
    count = (1 if quick else 10) * MB // 3
    source.write_bytes(b'{"entries": [' + b"{}," * (count - 1) + b"{}]}")
    label = f"{count:,} tiny values ({{}},): jrnl"
    row(label, source.stat().st_size, runner.run("import", "jrnl", str(source)), baseline)
    source.unlink()

    source = root / "dense-export.json"
    numbers = (1 if quick else 10) * MB // 2
    entry = {
        "id": "0000000000000001",
        "title": "",
        "body": "Dense.",
        "entry_at": 1_500_000_000,
        "utc_offset": 0,
        "created_at": 1_500_000_000_000,
        "updated_at": 1_500_000_000_000,
        "content_hash": "x",
        "numbers": "@",
    }
    head, _, tail = json.dumps(entry).encode().partition(b'"@"')
    doc = {"format": "charlie-export", "version": 1, "journals": ["@"]}
    outer_head, _, outer_tail = json.dumps(doc).encode().partition(b'"@"')
    journal_head = b'{"id": "00000000000000aa", "name": "Journal", "entries": ['
    journal_tail = b'], "entities": [], "mentions": [], "relationships": [], "blocked": {}}'
    source.write_bytes(
        outer_head
        + journal_head
        + head
        + b"["
        + b"0," * (numbers - 1)
        + b"0]"
        + tail
        + journal_tail
        + outer_tail
    )
    label = f"export entry holding {numbers:,} numbers"
    row(label, source.stat().st_size, runner.run("import-export", str(source)), baseline)
    source.unlink()

    source = root / "long-jrnl.json"
    with source.open("wb") as out:
        ordinary = {"date": "2024-05-01", "time": "09:00", "title": "Fine.", "body": "A day."}
        out.write(b'{"entries": [' + json.dumps(ordinary).encode() + b", ")
        head, _, tail = (
            json.dumps({"date": "2024-05-02", "title": "", "body": "@"})
            .encode("utf-8")
            .partition(b"@")
        )
        out.write(head + "🌱 ".encode())
        for chunk in packable(long_chars, 7):
            out.write(chunk)
        out.write(tail + b", " + json.dumps({**ordinary, "date": "2024-05-03"}).encode() + b"]}")
    label = f"jrnl entry of {long_chars:,} characters"
    row(label, source.stat().st_size, runner.run("import", "jrnl", str(source)), baseline)
    source.unlink()

    source = root / "Journal.json"
    with source.open("wb") as out:
        giant_entry_doc(out.write, (17 if quick else 300) * MB, 1, emoji=True)
    label = f"Day One text of {(17 if quick else 300)} MB"
    row(label, source.stat().st_size, runner.run("import", "dayone", str(source)), baseline)
    source.unlink()

    folder = root / "overlong"
    folder.mkdir()
    (folder / "2024-05-01 ordinary.md").write_text("An ordinary file 🌱.\n")
    files = 5 if quick else 40
    for n in range(files):
        (folder / f"2024-05-02 long{n:02}.txt").write_bytes(b"".join(packable(400_000, n)))
    label = f"folder: {files} over-long files and 1 ordinary"
    row(label, 400_000 * files, runner.run("import", "files", str(folder)), baseline)
    shutil.rmtree(folder)

    folder = root / "notes"
    folder.mkdir()
    files, chars = (20, 10_000) if quick else (700, 99_000)
    for n in range(files):
        text = f"🌱 {n:05} ".encode() + b"".join(packable(chars, n))
        (folder / f"2024-05-02 note{n:05}.txt").write_bytes(text)
    label = f"folder: {files} valid files of {chars:,} characters"
    row(label, files * chars, runner.run("import", "files", str(folder)), baseline)
    shutil.rmtree(folder)
    print()


def ordinary(runner: Runner, root: Path, baseline: float) -> None:
    quick = runner.quick
    print("2. Large ordinary inputs (each must import completely)")
    header()
    source = root / "Journal.json"
    count = dayone_journal(source, (1 if quick else 100) * MB)
    size = source.stat().st_size
    label = f"Day One Journal.json, {count:,} entries"
    row(label, size, runner.run("import", "dayone", str(source)), baseline)

    zipped = root / "Export.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(source, "Journal.json")
    source.unlink()
    label = f"Day One zip ({size / MB:.0f} MB Journal.json inside)"
    row(label, zipped.stat().st_size, runner.run("import", "dayone", str(zipped)), baseline)
    zipped.unlink()

    source = root / "jrnl.json"
    count = jrnl_export(source, (1 if quick else 100) * MB // 2)
    label = f"jrnl export, {count:,} entries"
    row(label, source.stat().st_size, runner.run("import", "jrnl", str(source)), baseline)
    source.unlink()

    source = root / "export.json"
    count = charlie_export(source, 200 if quick else 10_000)
    label = f"charlie export, {count:,} entries with a graph"
    row(label, source.stat().st_size, runner.run("import-export", str(source)), baseline)
    source.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cbm-", dir="/tmp"))
    try:
        runner = Runner(root, args.quick)
        base = runner.run("--baseline")
        print(
            f"Peak RSS of each import child (ru_maxrss); target: under 300 MB each\n"
            f"0. baseline (a child that only imports Charlie): {base.peak_mb:.0f} MB\n"
        )
        hostile(runner, root, base.peak_mb)
        ordinary(runner, root, base.peak_mb)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
