"""Charlie's import/export benchmark: N Markdown files in, then out again.

Run ``.venv/bin/python bench/import_export.py [--files N]`` (default 10,000; the target
is an import of 10,000 files in <= 20 s). Everything happens in a fresh directory under
/tmp, removed at the end, with default settings (every write fsynced,
``appendfsync always``). It only prints figures; nothing is asserted. ``--quick`` is the
CI smoke test: 30 files.

1. Generating N Markdown files (~3 years, bodies of 50-3,000 characters; a third with
   front matter, a third with a dated name, the rest dated by modification time).
2. Import: ``charlie.transfer.import_entries("files", folder)`` (``run_import``) into a
   fresh data directory, split into its reading phase (the importer alone) and the
   whole run (validation, presence check, the pre-import backup, batches of entries +
   jobs in one MULTI each). Baselines in the same run: reading the same files with plain
   ``read_bytes`` (the floor), and saving entries one at a time with ``entries.add``
   (what an import without batches would cost, shown as ``add_entry``; timed on 500
   entries and scaled).
3. Re-import of the same folder (everything skipped as already present).
4. Export: ``charlie.transfer.export_markdown`` (N files) and ``export_json`` (one
   file). Baseline: writing the same number of files of the same sizes with plain
   ``write_bytes``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.root import Charlie  # noqa: E402
from backend.settings import Settings  # noqa: E402
from backend.transfer.importing import ImportOptions, load_importer  # noqa: E402

WORDS = (
    "morning coffee walked lake Sam rain office meeting call mother garden book read "
    "train late tired happy dinner Lisbon project deadline ran park dog music quiet "
    "talked about plans weekend slept badly cooked soup friends laughed market bought"
).split()


def generate(folder: Path, n: int, rng: random.Random) -> int:
    """Write ``n`` Markdown files; returns their total size in bytes."""
    folder.mkdir(parents=True)
    start = datetime(2021, 1, 1, tzinfo=UTC)
    total = 0
    for i in range(n):
        when = start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        words = rng.randrange(10, 500)
        body = " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."
        kind = i % 3
        if kind == 0:
            name = f"note-{i:05}.md"
            text = f"---\ntitle: Note {i}\ndate: {when.isoformat()}\n---\n{body}\n"
        elif kind == 1:
            name = f"{when:%Y-%m-%d %H%M}-{i:05}.md"
            text = f"# Day {i}\n\n{body}\n"
        else:
            name = f"jotting-{i:05}.md"
            text = body + "\n"
        path = folder / name
        data = text.encode()
        path.write_bytes(data)
        os.utime(path, (when.timestamp(), when.timestamp()))
        total += len(data)
    return total


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def run(n: int, root: Path) -> None:
    rng = random.Random(5)
    folder = root / "notes"
    took, size = timed(generate, folder, n, rng)
    print(f"1. Generated {n:,} Markdown files ({size / 1e6:.1f} MB) in {took:.1f} s\n")

    settings = Settings(data_dir=root / "data", config_file=root / "config.toml")
    charlie = Charlie.open(settings)
    try:
        floor, _ = timed(lambda: [p.read_bytes() for p in sorted(folder.iterdir())])
        importer = load_importer("files")
        reading, items = timed(lambda: list(importer.scan(folder, ImportOptions())))
        whole, summary = timed(charlie.transfer.import_entries, "files", folder)
        print(f"2. Import of {n:,} files (target <= 20 s for 10,000)")
        print(
            f"   run_import           {whole:6.2f} s  {summary.added / whole:8.0f} entries/s"
            f"  (added {summary.added:,}, skipped {summary.skipped}, "
            f"rejected {len(summary.rejected)})"
        )
        print(
            f"   of which reading     {reading:6.2f} s  (the importer alone, {len(items):,} items)"
        )
        print(f"   plain read_bytes     {floor:6.2f} s  ratio {reading / floor:.1f}x (reading)")
        sample = min(500, len(items))  # Scaled by the entries actually timed.
        loose = Charlie.open(settings.with_changes(data_dir=root / "data-loose"))
        try:
            bodies = [it.body for it in items[:sample]]  # type: ignore[union-attr]
            one_by_one, _ = timed(
                lambda: [loose.journal().entries.add(b, source="import") for b in bodies]
            )
        finally:
            loose.close()
        per_entry = one_by_one / sample
        print(
            f"   add_entry one by one {per_entry * n:6.2f} s  {1 / per_entry:8.0f} entries/s"
            f"  (timed on {sample}, scaled; ratio {per_entry * n / whole:.1f}x slower)\n"
        )

        again, second = timed(charlie.transfer.import_entries, "files", folder)
        print("3. Re-import of the same folder")
        print(
            f"   run_import           {again:6.2f} s  "
            f"(added {second.added}, skipped {second.skipped:,})"
        )
        print(f"   ratio to the first   {again / whole:.2f}x\n")

        export(charlie, root, n, size)
    finally:
        charlie.close()


def export(charlie: Charlie, root: Path, n: int, size: int) -> None:
    print("4. Export")
    md, written = timed(charlie.transfer.export_markdown, root / "export-md")
    js, in_json = timed(charlie.transfer.export_json, root / "export.json")
    payload = b"x" * max(1, size // n)
    plain_dir = root / "plain"
    plain_dir.mkdir()
    floor, _ = timed(lambda: [(plain_dir / f"{i}.md").write_bytes(payload) for i in range(n)])
    json_size = (root / "export.json").stat().st_size
    print(f"   export_markdown      {md:6.2f} s  {written / md:8.0f} entries/s ({written:,} files)")
    print(f"   plain write_bytes    {floor:6.2f} s  ratio {md / floor:.1f}x")
    print(
        f"   export_json          {js:6.2f} s  {in_json / js:8.0f} entries/s "
        f"({json_size / 1e6:.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="Markdown files to import")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        parser.set_defaults(files=30)
        args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cbi-", dir="/tmp"))
    try:
        run(max(1, args.files), root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
