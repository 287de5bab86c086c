"""`charlie edit` (with a revision check) and `charlie drafts`: words in flight.

`edit --if-revision N` writes only if the entry is still at revision N; otherwise it
writes nothing, prints one line and exits 3, so a script never overwrites a change made
elsewhere. `drafts` lists what editors kept of unsaved text, and restores or discards it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from backend.errors import CharlieError, EditConflict, NotFoundError

if TYPE_CHECKING:
    from backend.api import CharlieAPI

CONFLICT_EXIT = 3


def register(sub: Any) -> None:
    p = sub.add_parser("edit", help="change an entry (text as argument or on stdin)")
    p.add_argument("id", help="entry id (a unique prefix of at least 4 digits is enough)")
    p.add_argument("text", nargs="?", help="the new body; read from stdin if absent and piped")
    p.add_argument("--title", "-t", help="a new one-line title")
    p.add_argument("--date", "-d", help="a new entry date")
    p.add_argument(
        "--if-revision",
        type=int,
        metavar="N",
        help="write only if the entry is still at revision N (else exit 3, nothing written)",
    )
    p.add_argument("--journal", "-j", help="journal name (default: the default journal)")
    p.set_defaults(func=cmd_edit, needs_api=True)

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


def cmd_edit(api: CharlieAPI, args: argparse.Namespace) -> int:
    from charlie import _when, read_stdin

    body = args.text
    if body is None and not sys.stdin.isatty():
        body = read_stdin()
    if body is None and args.title is None and args.date is None:
        raise CharlieError("Give the new text, --title or --date.")
    entry_id = api.resolve_entry_id(args.id, journal=args.journal)
    try:
        entry = api.edit_entry(
            entry_id,
            body=body,
            title=args.title,
            entry_at=_when(args.date),
            journal=args.journal,
            expected_revision=args.if_revision,
        )
    except EditConflict as exc:
        print(f"charlie: {exc}", file=sys.stderr)
        return CONFLICT_EXIT
    print(f"{entry.id} revision {entry.revision}")
    return 0


def cmd_list(api: CharlieAPI, args: argparse.Namespace) -> int:
    drafts = api.list_drafts()
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


def cmd_restore(api: CharlieAPI, args: argparse.Namespace) -> int:
    draft = api.find_draft(args.id)
    try:
        entry = api.restore_draft(draft.id, as_new=args.as_new)
    except EditConflict as exc:
        print(f"charlie: {exc} Use --as-new to keep both.", file=sys.stderr)
        return CONFLICT_EXIT
    except NotFoundError as exc:  # The entry it edits was deleted meanwhile.
        print(f"charlie: {exc} Use --as-new to save the draft as a new entry.", file=sys.stderr)
        return CONFLICT_EXIT
    print(entry.id)
    return 0


def cmd_discard(api: CharlieAPI, args: argparse.Namespace) -> int:
    draft = api.find_draft(args.id)
    api.discard_draft(draft.id, journal=draft.journal)
    print(f"Discarded draft {draft.id}.")
    return 0
