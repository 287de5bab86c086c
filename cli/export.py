"""`charlie export markdown DIR`, `charlie export json FILE` and `charlie import-export FILE`."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.root import Charlie


SHOW_FILES = 5
"""File names listed in a line about removed or kept files; the rest are counted."""


def register(sub: Any) -> None:
    """Add ``charlie export`` and ``charlie import-export``."""
    p = sub.add_parser(
        "export",
        help="export entries as Markdown files or as one JSON document",
        description="Export your entries. Markdown: one file per entry with YAML front "
        "matter. JSON: everything (entries, entities, mentions, relationships, blocked "
        "names), which `charlie import-export` reads back exactly.",
    )
    kinds = p.add_subparsers(dest="kind", required=True)
    md = kinds.add_parser("markdown", help="one .md file per entry in a folder")
    md.add_argument("directory", help="the folder to write into (created if needed)")
    md.add_argument(
        "--sync",
        action="store_true",
        help="also remove the files an earlier export into this folder wrote for entries "
        "deleted since (never a file you edited, nor one Charlie did not write)",
    )
    js = kinds.add_parser("json", help="one JSON document with everything")
    js.add_argument("file", help="the file to write (replaced whole, never half-written)")
    for q in (md, js):
        q.add_argument("--journal", "-j", help="only this journal (default: all of them)")
        q.set_defaults(func=cmd_export, needs_api=True)

    p = sub.add_parser(
        "import-export",
        help="import a Charlie JSON export (same ids, entities and links)",
        description="Import a file written by `charlie export json`. Entries keep their ids "
        "(ones already present are skipped); entities, mentions, relationships and blocked "
        "names come back as they were. A backup is taken first.",
    )
    p.add_argument("file", help="the JSON export to import")
    p.add_argument(
        "--dry-run", "-n", action="store_true", help="show what would happen; write nothing"
    )
    p.set_defaults(func=cmd_import_export, needs_api=True)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr (gone when done); yields ``update(done, total)``."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def cmd_export(charlie: Charlie, args: argparse.Namespace) -> int:
    """Write the export with a progress bar, then say how many entries it holds."""
    transfer = charlie.transfer
    with progress_bar("Exporting") as update:
        if args.kind == "markdown":
            done = transfer.export_markdown_folder(
                args.directory, journal=args.journal, sync=args.sync, progress=update
            )
            count, where = done.written, args.directory
        else:
            count = transfer.export_json(args.file, journal=args.journal, progress=update)
            where = args.file
    print(f"Exported {count} entr{'y' if count == 1 else 'ies'} to {where}.")
    if args.kind == "markdown":
        print_sync(done.sync)
    return 0


def _files(names: list[str]) -> str:
    shown = ", ".join(names[:SHOW_FILES])
    more = f" and {len(names) - SHOW_FILES} more" if len(names) > SHOW_FILES else ""
    return f"{len(names)} file{'' if len(names) == 1 else 's'} ({shown}{more})"


def print_sync(outcome: Any) -> None:
    """What the export did to the files of earlier exports (``SyncOutcome``)."""
    if outcome.manifest_problem:
        print(f"Note: {outcome.manifest_problem}.")
    if outcome.removed:
        print(f"Removed {_files(outcome.removed)} of entries deleted since the last export.")
    if outcome.kept_edited:
        print(
            f"Kept {_files(outcome.kept_edited)} of entries deleted since: they were "
            "edited after Charlie wrote them."
        )
    if outcome.stale:
        print(
            f"{_files(outcome.stale)} of entries deleted since an earlier export are "
            "still there; --sync removes them."
        )


def cmd_import_export(charlie: Charlie, args: argparse.Namespace) -> int:
    """Import (the file is checked and a backup taken first); print what happened."""
    summary = charlie.transfer.import_export(args.file, dry_run=args.dry_run)
    head = "Dry run (nothing written): " if summary.dry_run else ""
    verb = "would add" if summary.dry_run else "added"
    print(f"{head}import of {summary.source}:")
    for j in summary.journals:
        new = " (new journal)" if j.created else ""
        print(
            f"  {j.name}{new}: {verb} {j.added}, skipped {j.skipped} already present; "
            f"{j.entities} entities, {j.mentions} mentions, {j.relationships} relationships, "
            f"{j.blocked} blocked names"
        )
        if j.dangling:
            print(f"    {j.dangling} links point at entries or entities not in the file.")
        if j.queued and not summary.dry_run:
            print(f"    {j.queued} entries without entities are queued for enrichment.")
    for missing in summary.missing_attachments[:10]:
        print(f"  Attachment not kept: {missing}")
    if summary.backup:
        print(f"  Backup taken first: {summary.backup}")
    return 0
