"""`charlie backup [--list]` and `charlie restore FILE`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.root import Charlie
    from backend.services.backups import Backups


def register(sub: Any) -> None:
    """Add ``charlie backup`` and ``charlie restore``."""
    p = sub.add_parser(
        "backup",
        help="back up the database now (or list backups)",
        description="Take a backup of everything (through the running Charlie, if one "
        "runs) into <data>/backups and print its path. Backups you take are kept until "
        "you delete them; automatic ones (start-up, daily, before imports and restores) "
        "are kept like restic's forget: the newest backup_keep start-up ones, one a day "
        "for 7 days, a week for 5 weeks, a month for 12 months, and the newest 5 taken "
        "before an import or a restore.",
    )
    p.add_argument("--list", "-l", action="store_true", help="list backups: time, reason, size")
    p.set_defaults(func=cmd_backup, needs_api=True)

    p = sub.add_parser(
        "restore",
        help="replace everything with a backup (Charlie must not be running)",
        description="Replace the whole database with a backup. The current state is "
        "backed up first (reason before-restore). Quit the app and `charlie serve` first.",
    )
    p.add_argument("file", help="a backup file, or its name as `charlie backup --list` shows")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask first (for scripts)")
    p.set_defaults(func=cmd_restore, needs_api=True)


def cmd_backup(charlie: Charlie, args: argparse.Namespace) -> int:
    """Take a manual backup and print its path, or list the backups."""
    if args.list:
        print_backups(charlie.backups)
        return 0
    print(charlie.backups.snapshot(reason="manual"))
    return 0


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n = n / 1024  # type: ignore[assignment]
    return f"{n:.1f} GB"


def print_backups(backups: Backups) -> None:
    """One line per backup, oldest first: time (local), reason, size, file name."""
    infos = backups.list()
    if not infos:
        print(f"No backups in {backups.directory()} yet.")
        return
    for info in infos:
        if info.problem:
            print(
                f"{'unreadable':<19}  {info.reason:<15} {'':>9}  {info.path.name}: {info.problem}"
            )
            continue
        assert info.created is not None
        when = info.created.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        kept = "; ".join(info.kept_because) or "not kept: removed at the next rotation"
        print(f"{when:<19}  {info.reason:<15} {_size(info.size):>9}  {info.path.name}  ({kept})")


def cmd_restore(charlie: Charlie, args: argparse.Namespace) -> int:
    """Restore a backup and say where the previous state was saved."""
    from backend.errors import CharlieError

    path = charlie.backups.find(args.file)
    header = charlie.backups.check(path)  # Checked whole before anyone is asked anything.
    if not args.yes:
        if not sys.stdin.isatty():
            raise CharlieError("A restore replaces everything; add --yes to do it from a script.")
        question = (
            f"Replace everything in {charlie.settings.data_dir} with the backup taken "
            f"{header['created_at']} ({header['reason']})? The current state is backed up "
            "first. [y/N] "
        )
        if input(question).strip().lower() not in ("y", "yes"):
            print("Nothing was restored.")
            return 1
    result = charlie.backups.restore(path)
    journals = charlie.journals.list()
    entries = sum(charlie.journal(j.name).entries.count() for j in journals)
    print(f"Restored {len(journals)} journal(s) with {entries} entries from {result.source}.")
    if result.requeued:
        print(f"{result.requeued} job(s) that were running in the backup are queued again.")
    if result.missing_attachments:
        shown = ", ".join(result.missing_attachments[:5])
        more = len(result.missing_attachments) - 5
        print(
            f"{len(result.missing_attachments)} attachment(s) the backup names were not found "
            f"in the attachments folder beside it: {shown}"
            + (f" and {more} more" if more > 0 else "")
        )
    print(f"The state before the restore is saved in {result.before}.")
    return 0
