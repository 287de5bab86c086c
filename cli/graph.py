"""`charlie entities`, `charlie entity NAME`, `charlie me`, `charlie search [TEXT]`: the
graph from a shell."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.models import EntityRef, SearchResults
    from backend.root import Charlie

ENTITY_TYPES = ("Person", "Place", "Group", "Activity")


def entity_type(text: str) -> str:
    """``--type`` in any case ("person", "PLACE"), as the graph spells it."""
    for name in ENTITY_TYPES:
        if text.casefold() == name.casefold():
            return name
    raise argparse.ArgumentTypeError(
        f"{text!r} is not a type; use one of {', '.join(ENTITY_TYPES)}"
    )


def entries(count: int) -> str:
    """'1 entry', '2 entries'."""
    return f"{count} entry" if count == 1 else f"{count} entries"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "entities", help="people, places, groups and activities, most mentioned first"
    )
    p.add_argument(
        "--type", "-t", type=entity_type, help="Person, Place, Group or Activity (any case)"
    )
    p.add_argument("--limit", "-n", type=int, default=50, help="how many (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--journal", "-j", help="journal name (default: the default journal)")
    p.set_defaults(func=cmd_entities, needs_api=True)

    p = sub.add_parser("entity", help="one entity's page: quotes, company, relationships")
    p.add_argument("name", help="its name (or an old name), or its id")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--journal", "-j", help="journal name (default: the default journal)")
    p.set_defaults(func=cmd_entity, needs_api=True)

    # Its own command rather than `charlie entity I`: the author's "I" exists only when an
    # extractor emits it (the rules extractor does not), and `entity` keeps one shape.
    p = sub.add_parser(
        "me", help="your own page: entries, and the people and places you mention most"
    )
    p.add_argument("--limit", "-n", type=int, default=10, help="how many per list (default 10)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--journal", "-j", help="journal name (default: the default journal)")
    p.set_defaults(func=cmd_me, needs_api=True)

    p = sub.add_parser(
        "search",
        help="entries and entities matching words (last one a prefix) and filters",
        description=(
            "Words match accents and case aside (cafe finds Café), the last one as a prefix. "
            "Filters go in the text or as options: journal:NAME tag:T person:NAME "
            "place:NAME before:YYYY-MM-DD after:YYYY-MM-DD starred (a name with spaces in "
            'double quotes: person:"Ana Lopez"). Filters alone list entries newest first.'
        ),
    )
    p.add_argument("text", nargs="*", help="words and filters")
    p.add_argument("--tag", action="append", default=[], help="entries with this tag")
    p.add_argument("--person", action="append", default=[], help="entries mentioning them")
    p.add_argument("--place", action="append", default=[], help="entries mentioning it")
    p.add_argument("--before", help="entries written before this day (YYYY-MM-DD)")
    p.add_argument("--after", help="entries written on or after this day (YYYY-MM-DD)")
    p.add_argument("--starred", action="store_true", help="starred entries only")
    p.add_argument("--limit", "-n", type=int, default=20, help="how many entries (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--journal", "-j", help="journal name (default: the default journal)")
    p.set_defaults(func=cmd_search, needs_api=True)


def cmd_entities(charlie: Charlie, args: argparse.Namespace) -> int:
    refs = charlie.journal(args.journal).graph.entities(type=args.type, limit=args.limit)
    if args.json:
        print(
            json.dumps(
                [{"id": r.id, "name": r.name, "type": r.type, "entries": r.count} for r in refs]
            )
        )
        return 0
    if not refs:
        print(f"No {args.type} entities yet." if args.type else "No entities yet.")
    for ref in refs:
        print(f"{ref.count:>5}  {ref.type:<8}  {ref.name}")
    return 0


def cmd_entity(charlie: Charlie, args: argparse.Namespace) -> int:
    from backend.errors import NotFoundError

    graph = charlie.journal(args.journal).graph
    found = graph.find_entity(args.name)
    entity_id = found.id if found else args.name
    try:
        page = graph.entity(entity_id)
    except NotFoundError:
        raise NotFoundError(f"No entity is called {args.name!r}.") from None
    if args.json:
        print(
            json.dumps(
                {
                    "id": page.entity.id,
                    "name": page.entity.name,
                    "type": page.entity.type,
                    "aliases": list(page.aliases),
                    "entries": page.mention_count,
                    "first": page.first_mention.isoformat() if page.first_mention else None,
                    "last": page.last_mention.isoformat() if page.last_mention else None,
                    "quotes": [
                        {"entry": m.entry_id, "date": m.entry_at.isoformat(), "quote": m.quote}
                        for m in page.mentions
                    ],
                    "appears_with": [
                        {"name": r.name, "type": r.type, "entries": r.count}
                        for r in page.appears_with
                    ],
                    "relationships": [
                        {
                            "kind": r.kind,
                            "other": r.other.name,
                            "outgoing": r.outgoing,
                            "evidence": r.evidence,
                            "entry": r.entry_id,
                        }
                        for r in page.relations
                    ],
                }
            )
        )
        return 0
    print(f"{page.entity.name} ({page.entity.type}) · {entries(page.mention_count)}")
    if page.aliases:
        print(f"also: {', '.join(page.aliases)}")
    if page.first_mention and page.last_mention:
        print(f"first {page.first_mention:%Y-%m-%d} · last {page.last_mention:%Y-%m-%d}")
    for relation in page.relations:
        arrow = (
            f"{relation.kind} {relation.other.name}"
            if relation.outgoing
            else (f"{relation.other.name} {relation.kind} (this)")
        )
        print(f"  {arrow}")
    if page.appears_with:
        print("with: " + ", ".join(f"{r.name} ({r.count})" for r in page.appears_with))
    for mention in page.mentions:
        print(f"{mention.entry_at:%Y-%m-%d}  {mention.quote or mention.entry_title}")
    return 0


def _refs_json(refs: list[EntityRef]) -> list[dict[str, Any]]:
    return [{"id": r.id, "name": r.name, "type": r.type, "entries": r.count} for r in refs]


def _refs_line(refs: list[EntityRef]) -> str:
    return ", ".join(f"{r.name} ({r.count})" for r in refs) or "-"


def cmd_me(charlie: Charlie, args: argparse.Namespace) -> int:
    from backend.services.graph import ENTITY_TYPES

    page = charlie.journal(args.journal).graph.author(limit=args.limit)
    if args.json:
        print(
            json.dumps(
                {
                    "entries": page.entry_count,
                    "first": page.first_entry.isoformat() if page.first_entry else None,
                    "last": page.last_entry.isoformat() if page.last_entry else None,
                    "self": None if page.author is None else _refs_json([page.author])[0],
                    "most_mentioned": {
                        type_: _refs_json(page.most_mentioned.get(type_, []))
                        for type_ in ENTITY_TYPES
                    },
                    "this_month": {
                        "start": page.month_start.isoformat(),
                        "entities": _refs_json(page.this_month),
                    },
                    "this_year": {
                        "start": page.year_start.isoformat(),
                        "entities": _refs_json(page.this_year),
                    },
                }
            )
        )
        return 0
    line = f"You · {entries(page.entry_count)}"
    if page.first_entry and page.last_entry:
        line += f" · first {page.first_entry:%Y-%m-%d} · last {page.last_entry:%Y-%m-%d}"
    if page.author is not None:
        line += f" · “{page.author.name}” in {page.author.count}"
    print(line)
    headings = {"Person": "People", "Place": "Places", "Group": "Groups", "Activity": "Activities"}
    for type_ in ENTITY_TYPES:
        print(f"{headings[type_] + ':':<12} {_refs_line(page.most_mentioned.get(type_, []))}")
    print(f"This month ({page.month_start:%B %Y}): {_refs_line(page.this_month)}")
    print(f"This year ({page.year_start:%Y}): {_refs_line(page.this_year)}")
    return 0


def search_text(args: argparse.Namespace) -> str:
    """The query the options say, in the search syntax (``--tag work`` -> ``tag:work``)."""
    parts = list(args.text)
    for key in ("tag", "person", "place"):
        for value in getattr(args, key):
            value = value.replace('"', "")
            parts.append(f'{key}:"{value}"' if " " in value else f"{key}:{value}")
    for key in ("before", "after"):
        if getattr(args, key) is not None:
            parts.append(f"{key}:{getattr(args, key)}")
    if args.starred:
        parts.append("starred")
    return " ".join(parts)


def cmd_search(charlie: Charlie, args: argparse.Namespace) -> int:
    text = search_text(args)
    if not text.strip():
        print("Give words or filters to search for (charlie search --help).", file=sys.stderr)
        return 2
    results = charlie.journal(args.journal).graph.search(text, limit=max(1, args.limit))
    if args.json:
        print(json.dumps(search_json(results)))
        return 0
    for note in results.notes:
        print(note)
    for ref in results.entities:
        print(f"{ref.type:<8}  {ref.name} ({ref.count})")
    bold = sys.stdout.isatty()
    for hit in results.entries:
        title = hit.entry.title
        line = f"{hit.entry.id[:8]}  {hit.entry.entry_at:%Y-%m-%d}  "
        if title:
            line += _marked(title, hit.title_marks, bold) + " — "
        print(line + _marked(hit.snippet, hit.marks, bold))
    if not results.entities and not results.entries:
        print("Nothing found.")
    return 0


def search_json(results: SearchResults) -> dict[str, Any]:
    """``charlie search --json`` (shape in the README)."""
    return {
        "query": results.query,
        "journal": results.journal,
        "filters": list(results.filters),
        "notes": list(results.notes),
        "entries": [
            {
                "id": h.entry.id,
                "date": h.entry.entry_at.isoformat(),
                "title": h.entry.title,
                "snippet": h.snippet,
                "marks": [list(m) for m in h.marks],
                "tags": list(h.entry.tags),
                "starred": h.entry.starred,
            }
            for h in results.entries
        ],
        "entities": [
            {"id": r.id, "name": r.name, "type": r.type, "entries": r.count}
            for r in results.entities
        ],
    }


def _marked(text: str, marks: tuple[tuple[int, int], ...], bold: bool) -> str:
    """``text`` with the matched words in ANSI bold (only for a terminal)."""
    if not bold or not marks:
        return text
    out, at = [], 0
    for start, end in marks:
        out += [text[at:start], "\x1b[1m", text[start:end], "\x1b[22m"]
        at = end
    return "".join(out) + text[at:]
