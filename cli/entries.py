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
    p.add_argument(
        "--template",
        metavar="NAME",
        help="start from template NAME (see `charlie templates`); text given goes after it",
    )
    tag_options(p)
    journal_option(p)
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("list", help="list entries, newest first")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", "-n", type=int, default=50, help="how many (default 50)")
    p.add_argument("--tag", metavar="T", help="only entries tagged T")
    p.add_argument("--starred", action="store_true", help="only starred entries")
    journal_option(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print one entry")
    p.add_argument("id", help="entry id (a unique prefix of at least 4 digits is enough)")
    p.add_argument("--json", action="store_true", help="print JSON")
    journal_option(p)
    p.set_defaults(func=cmd_show)


def tag_options(p: argparse.ArgumentParser) -> None:
    """Add ``--tag T`` (repeatable) and ``--star`` to ``charlie new``."""
    p.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="T",
        help="tag the entry T (repeat for more; #words in the text are tags too)",
    )
    p.add_argument("--star", action="store_true", help="star the entry")


def tags_text(tags: tuple[str, ...], starred: bool) -> str:
    """An entry's star and tags on one line ("★ #a #b"), "" for neither."""
    return " ".join((["★"] if starred else []) + [f"#{t}" for t in tags])


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
        "tags": list(entry.tags),
        "starred": entry.starred,
    }


def cmd_new(charlie: Charlie, args: argparse.Namespace) -> int:
    """Save an entry from the argument or standard input; print its id."""
    if args.text is not None:
        body = args.text
    elif not sys.stdin.isatty():
        body = read_stdin()
    elif not args.template:
        raise CharlieError("Give the entry text as an argument or on standard input.")
    else:
        body = ""
    when = _when(args.date)  # A date that does not read is reported first.
    title = args.title or ""
    if args.template:
        title, body = _from_template(charlie, args, body, when)
    entry = charlie.journal(args.journal).entries.add(
        body,
        title=title,
        entry_at=when,
        source="cli",
        id_key=args.id_key,
        tags=args.tag,
        starred=args.star,
    )
    print(entry.id)
    return 0


def _from_template(
    charlie: Charlie, args: argparse.Namespace, text: str, when: datetime | None
) -> tuple[str, str]:
    """(title, body) of ``charlie new --template NAME``: the template filled in for the
    entry's date and journal, ``text`` after it; ``--title`` wins over the template's."""
    from backend.services.writing import Writing, with_text

    journal = args.journal or charlie.journals.default_name()
    moment = when or datetime.now().astimezone()
    filled = Writing(charlie.settings).fill(args.template, moment, journal)
    for field in filled.unknown:
        print(
            f"charlie: template {args.template!r}: {field} is not a field; left as typed",
            file=sys.stderr,
        )
    return args.title or filled.title, with_text(filled, text)


def cmd_list(charlie: Charlie, args: argparse.Namespace) -> int:
    """Print up to ``--limit`` entries, newest first, a line (or a JSON object) each."""
    rows = []
    cursor = None
    while len(rows) < args.limit:
        # The journal is found with each page, so `--limit 0` never looks for it.
        page = charlie.journal(args.journal).entries.list(
            limit=min(500, args.limit - len(rows)),
            before=cursor,
            tag=args.tag,
            starred=args.starred,
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
                "tags": list(e.tags),
                "starred": e.starred,
            }
            for e in rows
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for e in rows:
            marks = tags_text(e.tags, e.starred)
            line = f"{e.id}  {e.entry_at:%Y-%m-%d %H:%M}  {e.display_title}"
            print(f"{line}  {marks}" if marks else line)
    return 0


def cmd_show(charlie: Charlie, args: argparse.Namespace) -> int:
    """Print one entry: title, date and body (or JSON)."""
    entries = charlie.journal(args.journal).entries
    entry = entries.get(entries.resolve_id(args.id))
    if args.json:
        print(json.dumps(_entry_json(entry), ensure_ascii=False, indent=2))
    else:
        print(f"# {entry.display_title}" if entry.title else "", end="\n" if entry.title else "")
        print(f"{entry.entry_at:%A %d %B %Y, %H:%M %z}  ({entry.journal}, {entry.id})")
        marks = tags_text(entry.tags, entry.starred)
        print(f"{marks}\n" if marks else "")
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
