"""`charlie tags`, `star` and `unstar`: a journal's tags, and starring entries.

`charlie tags --json` prints ``[{"tag", "count", "last_used"}]``, most used first;
`charlie list --tag T --starred` lists the entries (cli/entries.py)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from cli.entries import journal_option

if TYPE_CHECKING:
    from backend.root import Charlie


def register(sub: Any) -> None:
    """Add ``charlie tags``, ``star`` and ``unstar``."""
    p = sub.add_parser("tags", help="list the journal's tags: count and last use")
    p.add_argument("--json", action="store_true", help="print JSON")
    journal_option(p)
    p.set_defaults(func=cmd_tags)

    for name, starred in (("star", True), ("unstar", False)):
        p = sub.add_parser(name, help=f"{name} an entry")
        p.add_argument("id", help="entry id (a unique prefix of at least 4 digits is enough)")
        journal_option(p)
        p.set_defaults(func=cmd_star, starred=starred)


def cmd_tags(charlie: Charlie, args: argparse.Namespace) -> int:
    """Print every tag with how many entries carry it and when it was last used."""
    tags = charlie.journal(args.journal).entries.tags()
    if args.json:
        out = [
            {
                "tag": t.tag,
                "count": t.count,
                "last_used": None if t.last_used is None else t.last_used.isoformat(),
            }
            for t in tags
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    if not tags:
        print("No tags yet (write #words in an entry, or charlie new --tag T).")
        return 0
    width = max(len(t.tag) for t in tags) + 1
    for t in tags:
        when = "" if t.last_used is None else f"  last {t.last_used:%Y-%m-%d}"
        noun = "entry" if t.count == 1 else "entries"
        print(f"#{t.tag:<{width}} {t.count:>5} {noun}{when}")
    return 0


def cmd_star(charlie: Charlie, args: argparse.Namespace) -> int:
    """Star (or unstar) one entry."""
    entries = charlie.journal(args.journal).entries
    entry_id = entries.resolve_id(args.id)
    if args.starred:
        entries.star(entry_id)
        print(f"Starred {entry_id}")
    else:
        entries.unstar(entry_id)
        print(f"Unstarred {entry_id}")
    return 0
