"""`charlie import FORMAT SOURCE`: entries from Day One, jrnl or a folder of files."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.root import Charlie
    from backend.services.transfer import ImportSummary

# Rejections listed one per line; past this many the rest are counted, not listed.
SHOW_REJECTED = 200


def register(sub: Any) -> None:
    """Add ``charlie import``."""
    p = sub.add_parser(
        "import",
        help="import entries from Day One, jrnl or a folder of Markdown/text files",
        description="Import entries. Imported entries are enriched in the background, "
        "after anything you write yourself. Importing the same source again adds nothing.",
    )
    p.add_argument(
        "format", help="dayone (export zip or JSON), files (a folder or file), jrnl (JSON)"
    )
    p.add_argument("source", help="the file or folder to import")
    p.add_argument("--recursive", "-r", action="store_true", help="files: include sub-folders")
    p.add_argument(
        "--dry-run", "-n", action="store_true", help="show what would happen; write nothing"
    )
    p.add_argument(
        "--journal",
        "-j",
        help="import every entry into this journal (default: the journal each file's "
        "journal: front matter names, else the default one)",
    )
    p.set_defaults(func=cmd_import, needs_api=True)


def cmd_import(charlie: Charlie, args: argparse.Namespace) -> int:
    """Run the import with a progress bar on stderr, then print the summary."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        # Only on a terminal: piped into a file, a progress bar is noise.
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("Reading", total=None)

        def progress(stage: str, done: int, total: int | None) -> None:
            label = "Reading" if stage == "reading" else "Importing"
            bar.update(task, description=label, completed=done, total=total)

        summary = charlie.transfer.import_entries(
            args.format,
            args.source,
            journal=args.journal,
            dry_run=args.dry_run,
            recursive=args.recursive,
            progress=progress,
        )
    print_summary(summary)
    return 0


def print_summary(summary: ImportSummary, out: Any = None) -> None:
    """The summary as lines a person reads: counts, then one line per rejected item."""
    out = out or sys.stdout
    verb = "Would add" if summary.dry_run else "Added"
    head = "Dry run (nothing written): " if summary.dry_run else ""
    print(
        f"{head}{summary.importer} import of {summary.source} into {summary.journal!r}: "
        f"{summary.total} found.",
        file=out,
    )
    print(f"  {verb:<10} {summary.added}", file=out)
    print(f"  {'Skipped':<10} {summary.skipped} (already present)", file=out)
    print(f"  {'Rejected':<10} {len(summary.rejected)}", file=out)
    for item in summary.rejected[:SHOW_REJECTED]:
        print(f"    {item.where}: {item.reason}", file=out)
    if len(summary.rejected) > SHOW_REJECTED:
        print(f"    … and {len(summary.rejected) - SHOW_REJECTED} more.", file=out)
    if len(summary.journals) > 1:
        # The source put its entries in several journals (journal: in front matter).
        for count in summary.journals:
            new = " (new journal)" if count.created else ""
            print(
                f"    {count.name}{new}: {verb.lower()} {count.added}, skipped {count.skipped}",
                file=out,
            )
    if summary.backup:
        print(f"  Backup taken first: {summary.backup}", file=out)
    if summary.added and not summary.dry_run:
        print("  New entries are enriched in the background, after your own.", file=out)
