"""`charlie journals`: the journals with their entry counts, and deleting one."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from backend.errors import CharlieError

if TYPE_CHECKING:
    from backend.root import Charlie


def register(sub: Any) -> None:
    """Add ``charlie journals`` (list) and ``charlie journals delete NAME``."""
    p = sub.add_parser(
        "journals",
        help="list the journals with their entry counts, or delete one",
        description="Without an action: every journal, its number of entries, and which "
        "one is the default (used when no --journal is given).",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_journals)
    actions = p.add_subparsers(dest="action", metavar="{delete}")
    d = actions.add_parser(
        "delete",
        help="delete a journal with its entries (a backup is taken first)",
        description="Delete a journal: its entries, drafts, people and places, and their "
        "background jobs. A backup of everything is taken first (charlie restore brings "
        "it back). The last journal cannot be deleted; if the default one is deleted, "
        "another becomes the default. On a terminal you are asked to type the journal's "
        "name; from a script, add --yes.",
    )
    d.add_argument("name", help="the journal to delete")
    d.add_argument("--yes", "-y", action="store_true", help="do not ask (for scripts)")
    d.set_defaults(func=cmd_delete)


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def cmd_journals(charlie: Charlie, args: argparse.Namespace) -> int:
    """Print each journal with its entry count, the default one marked."""
    infos = charlie.journals.overview()
    if args.json:
        rows = [
            {
                "name": info.name,
                "entries": info.entries,
                "default": info.default,
                "id": info.journal.id,
                "created_at": info.journal.created_at.isoformat(),
            }
            for info in infos
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    width = max(len(info.name) for info in infos)
    for info in infos:
        mark = "  (default)" if info.default else ""
        print(f"{info.name:<{width}}  {_entries(info.entries):>12}{mark}")
    return 0


def cmd_delete(charlie: Charlie, args: argparse.Namespace) -> int:
    """Ask (on a terminal, unless --yes), then back up and delete the journal."""
    wanted = args.name.strip().casefold()
    info = next((i for i in charlie.journals.overview() if i.name.casefold() == wanted), None)
    if info is None:
        raise CharlieError(f"There is no journal called {args.name.strip()!r}.")
    if not args.yes:
        if not sys.stdin.isatty():
            raise CharlieError(
                f"Deleting {info.name!r} removes its {_entries(info.entries)}; add --yes to "
                "do it from a script."
            )
        print(
            f"Delete the journal {info.name!r} and its {_entries(info.entries)}, with their "
            "drafts, people, places and background jobs? A backup of everything is taken "
            "first."
        )
        typed = input(f"Type {info.name} to delete it (anything else keeps it): ")
        if typed.strip().casefold() != info.name.casefold():
            print("Nothing was deleted.")
            return 1
    gone = charlie.journals.delete(info.name, expected_entries=info.entries)
    print(f"Deleted the journal {gone.name!r} and its {_entries(gone.entries)}.")
    print(f"A backup taken just before is in {gone.backup} (charlie restore brings it back).")
    if info.default:
        print(f"The default journal is now {gone.default!r}.")
    return 0
