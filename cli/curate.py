"""`charlie retype`, `link`, `split`, `merge`: fix what the extractor got wrong, from a
shell. Each fix holds when the entry is enriched again (see backend/corrections.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cli.graph import entity_type  # --type in any case, as `charlie entities` takes it

if TYPE_CHECKING:
    from backend.models import EntityRef
    from backend.root import Charlie
    from backend.services.journal import JournalHandle


def register(sub: Any) -> None:
    p = sub.add_parser("retype", help="give an entity another type (Lake Merritt is a Place)")
    p.add_argument("name", help="its name (or an old name), or its id")
    p.add_argument("type", type=entity_type, help="Person, Place, Group or Activity (any case)")
    p.add_argument("--was", type=entity_type, help="its type now, when two types share the name")
    _journal(p)
    p.set_defaults(func=cmd_retype, needs_api=True)

    p = sub.add_parser("link", help="link a name the extractor missed to an entry")
    p.add_argument("entry", help="entry id (a unique prefix is enough)")
    p.add_argument("name", help="an existing entity's name, or a new one")
    p.add_argument("--type", "-t", type=entity_type, required=True)
    _journal(p)
    p.set_defaults(func=cmd_link, needs_api=True)

    p = sub.add_parser("split", help="move some of an entity's entries to another entity")
    p.add_argument("name", help="the entity to split: its name, or its id")
    p.add_argument(
        "--entry", "-e", action="append", required=True, help="an entry to move (repeatable)"
    )
    p.add_argument("--into", required=True, help="the entity they move to (new or existing)")
    p.add_argument("--type", "-t", type=entity_type, help="its type (default: the same)")
    p.add_argument("--was", type=entity_type, help="the split entity's type, if names clash")
    _journal(p)
    p.set_defaults(func=cmd_split, needs_api=True)

    p = sub.add_parser("merge", help="fold one entity into another (any types)")
    p.add_argument("keep", help="the entity that stays (its type wins)")
    p.add_argument("other", help="the entity folded into it")
    p.add_argument("--keep-type", type=entity_type, help="the kept one's type, if names clash")
    p.add_argument("--other-type", type=entity_type, help="the other one's type, if names clash")
    _journal(p)
    p.set_defaults(func=cmd_merge, needs_api=True)


def _journal(p: argparse.ArgumentParser) -> None:
    p.add_argument("--journal", "-j", help="journal name (default: the default journal)")


def _entity(journal: JournalHandle, name: str, type_: str | None) -> EntityRef:
    from backend.errors import NotFoundError

    found = journal.graph.find_entity(name, type=type_)
    if found is None:
        try:
            return journal.graph.entity(name, limit=1).entity
        except NotFoundError:
            raise NotFoundError(f"No entity is called {name!r}.") from None
    return found


def cmd_retype(charlie: Charlie, args: argparse.Namespace) -> int:
    journal = charlie.journal(args.journal)
    found = _entity(journal, args.name, args.was)
    journal.curation.retype(found.id, args.type)
    print(f"{found.name} is now a {args.type}.")
    return 0


def cmd_link(charlie: Charlie, args: argparse.Namespace) -> int:
    journal = charlie.journal(args.journal)
    entry_id = journal.entries.resolve_id(args.entry)
    entity_id = journal.curation.link(entry_id, args.name, args.type)
    page = journal.graph.entity(entity_id, limit=1)
    print(f"Linked {page.entity.name} ({page.entity.type}) to entry {entry_id}.")
    return 0


def cmd_split(charlie: Charlie, args: argparse.Namespace) -> int:
    journal = charlie.journal(args.journal)
    found = _entity(journal, args.name, args.was)
    entries = [journal.entries.resolve_id(e) for e in args.entry]
    target = journal.curation.split(found.id, entries, args.into, type=args.type)
    page = journal.graph.entity(target, limit=1)
    print(
        f"Moved {len(entries)} {'entry' if len(entries) == 1 else 'entries'} from "
        f"{found.name} to {page.entity.name} ({page.entity.type})."
    )
    return 0


def cmd_merge(charlie: Charlie, args: argparse.Namespace) -> int:
    journal = charlie.journal(args.journal)
    keep = _entity(journal, args.keep, args.keep_type)
    other = _entity(journal, args.other, args.other_type)
    journal.curation.merge(keep.id, other.id)
    print(f"Merged {other.name} ({other.type}) into {keep.name} ({keep.type}).")
    return 0
