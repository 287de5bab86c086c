"""`charlie drafts`: what editors kept of unsaved text; list, restore or discard it.

A restore that finds its entry changed (or deleted) meanwhile writes nothing and exits 3,
as `charlie edit --if-revision` does.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from backend.errors import EditConflict, NotFoundError
from cli.entries import CONFLICT_EXIT

if TYPE_CHECKING:
    from backend.root import Charlie


def register(sub: Any) -> None:
    """Add ``charlie drafts`` and its subcommands."""
    p = sub.add_parser("drafts", help="unsaved editor text kept as drafts: list, restore, discard")
    commands = p.add_subparsers(dest="drafts_command", metavar="COMMAND")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list, needs_api=True)
    r = commands.add_parser("restore", help="save a draft as its entry (or as a new entry)")
    r.add_argument("id", help="draft id (a unique prefix is enough)")
    r.add_argument("--as-new", action="store_true", help="save it as a new entry, always")
    r.set_defaults(func=cmd_restore, needs_api=True)
    d = commands.add_parser("discard", help="throw a draft away")
    d.add_argument("id", help="draft id (a unique prefix is enough)")
    d.set_defaults(func=cmd_discard, needs_api=True)


def cmd_list(charlie: Charlie, args: argparse.Namespace) -> int:
    drafts = charlie.drafts.list()
    if args.json:
        rows = [
            {
                "id": d.id,
                "entry_id": d.entry_id,
                "journal": d.journal,
                "saved_at": d.saved.isoformat(),
                "words": d.words,
                "first_words": d.preview,
            }
            for d in drafts
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not drafts:
        print("No drafts.")
    for d in drafts:
        what = f"edit of {d.entry_id}" if d.entry_id else "new entry"
        saved = d.saved.astimezone().strftime("%Y-%m-%d %H:%M")
        print(f"{d.id}  {saved}  {d.journal}  {what}, {d.words} words: {d.preview}")
    return 0


def cmd_restore(charlie: Charlie, args: argparse.Namespace) -> int:
    draft = charlie.drafts.find(args.id)
    try:
        entry = charlie.drafts.restore(draft.id, as_new=args.as_new)
    except EditConflict as exc:
        print(f"charlie: {exc} Use --as-new to keep both.", file=sys.stderr)
        return CONFLICT_EXIT
    except NotFoundError as exc:  # The entry it edits was deleted meanwhile.
        print(f"charlie: {exc} Use --as-new to save the draft as a new entry.", file=sys.stderr)
        return CONFLICT_EXIT
    print(entry.id)
    return 0


def cmd_discard(charlie: Charlie, args: argparse.Namespace) -> int:
    draft = charlie.drafts.find(args.id)
    charlie.journal(draft.journal).drafts.discard(draft.id)
    print(f"Discarded draft {draft.id}.")
    return 0
