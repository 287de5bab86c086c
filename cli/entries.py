"""`charlie new`, `list`, `show`, `edit` and `delete`: one journal's entries from a shell.

`edit --if-revision N` writes only if the entry is still at revision N; otherwise it
writes nothing, prints one line and exits 3, so a script never overwrites a change made
elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from backend.errors import CharlieError, EditConflict
from backend.validation import parse_entry_date

if TYPE_CHECKING:
    from backend.models import Entry
    from backend.root import Charlie

CONFLICT_EXIT = 3
"""The exit status of a write that found the entry changed (or gone) meanwhile."""


def journal_option(p: argparse.ArgumentParser) -> None:
    """Add ``--journal``/``-j``."""
    p.add_argument("--journal", "-j", help="journal name (default: the default journal)")


def register(sub: Any) -> None:
    """Add ``charlie new``, ``list`` and ``show``."""
    p = sub.add_parser("new", help="write an entry (text as argument or on stdin)")
    p.add_argument("text", nargs="?", help="the entry text; read from stdin if absent")
    p.add_argument("--title", "-t", help="a one-line title")
    p.add_argument("--date", "-d", help="entry date: YYYY-MM-DD, 'YYYY-MM-DD HH:MM' or ISO 8601")
    p.add_argument(
        "--id-key",
        metavar="KEY",
        help="your name for this save: running the same command again adds nothing",
    )
    journal_option(p)
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("list", help="list entries, newest first")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", "-n", type=int, default=50, help="how many (default 50)")
    journal_option(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print one entry")
    p.add_argument("id", help="entry id (a unique prefix of at least 4 digits is enough)")
    p.add_argument("--json", action="store_true", help="print JSON")
    journal_option(p)
    p.set_defaults(func=cmd_show)


def register_delete(sub: Any) -> None:
    """Add ``charlie delete``."""
    p = sub.add_parser("delete", help="delete one entry")
    p.add_argument("id", help="entry id (a unique prefix is enough)")
    journal_option(p)
    p.set_defaults(func=cmd_delete)


def register_edit(sub: Any) -> None:
    """Add ``charlie edit``."""
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
    journal_option(p)
    p.set_defaults(func=cmd_edit, needs_api=True)


def read_stdin() -> str:
    """Standard input as text; bytes that are not UTF-8 stay visible (as surrogates) so
    validation names the problem in one line instead of a traceback."""
    return sys.stdin.buffer.read().decode("utf-8", "surrogateescape")


def _when(text: str | None) -> datetime | None:
    return parse_entry_date(text) if text else None


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "journal": entry.journal,
        "title": entry.title,
        "body": entry.body,
        "date": entry.entry_at.isoformat(),
        "created_at": entry.created_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
        "source": entry.source,
        "content_hash": entry.content_hash,
    }


def cmd_new(charlie: Charlie, args: argparse.Namespace) -> int:
    """Save an entry from the argument or standard input; print its id."""
    if args.text is not None:
        body = args.text
    elif not sys.stdin.isatty():
        body = read_stdin()
    else:
        raise CharlieError("Give the entry text as an argument or on standard input.")
    when = _when(args.date)  # A date that does not read is reported first.
    entry = charlie.journal(args.journal).entries.add(
        body, title=args.title or "", entry_at=when, source="cli", id_key=args.id_key
    )
    print(entry.id)
    return 0


def cmd_list(charlie: Charlie, args: argparse.Namespace) -> int:
    """Print up to ``--limit`` entries, newest first, a line (or a JSON object) each."""
    rows = []
    cursor = None
    while len(rows) < args.limit:
        # The journal is found with each page, so `--limit 0` never looks for it.
        page = charlie.journal(args.journal).entries.list(
            limit=min(500, args.limit - len(rows)), before=cursor
        )
        rows.extend(page.entries)
        cursor = page.next_cursor
        if cursor is None:
            break
    if args.json:
        out = [
            {
                "id": e.id,
                "title": e.title,
                "preview": e.preview,
                "date": e.entry_at.isoformat(),
            }
            for e in rows
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for e in rows:
            print(f"{e.id}  {e.entry_at:%Y-%m-%d %H:%M}  {e.display_title}")
    return 0


def cmd_show(charlie: Charlie, args: argparse.Namespace) -> int:
    """Print one entry: title, date and body (or JSON)."""
    entries = charlie.journal(args.journal).entries
    entry = entries.get(entries.resolve_id(args.id))
    if args.json:
        print(json.dumps(_entry_json(entry), ensure_ascii=False, indent=2))
    else:
        print(f"# {entry.display_title}" if entry.title else "", end="\n" if entry.title else "")
        print(f"{entry.entry_at:%A %d %B %Y, %H:%M %z}  ({entry.journal}, {entry.id})\n")
        print(entry.body)
    return 0


def cmd_edit(charlie: Charlie, args: argparse.Namespace) -> int:
    """Change an entry's body, title or date; exit CONFLICT_EXIT if ``--if-revision``
    no longer holds."""
    body = args.text
    if body is None and not sys.stdin.isatty():
        body = read_stdin()
    if body is None and args.title is None and args.date is None:
        raise CharlieError("Give the new text, --title or --date.")
    entries = charlie.journal(args.journal).entries
    entry_id = entries.resolve_id(args.id)
    try:
        entry = entries.edit(
            entry_id,
            body=body,
            title=args.title,
            entry_at=_when(args.date),
            expected_revision=args.if_revision,
        )
    except EditConflict as exc:
        print(f"charlie: {exc}", file=sys.stderr)
        return CONFLICT_EXIT
    print(f"{entry.id} revision {entry.revision}")
    return 0


def cmd_delete(charlie: Charlie, args: argparse.Namespace) -> int:
    """Delete one entry (its jobs and mentions go with it)."""
    entries = charlie.journal(args.journal).entries
    entry_id = entries.resolve_id(args.id)
    entries.delete(entry_id)
    print(f"Deleted {entry_id}")
    return 0
