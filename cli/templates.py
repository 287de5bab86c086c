"""`charlie templates`: the entry templates `charlie new --template` and the app's `n` offer.

It reads only the config (the ``[templates]`` table and ``<config>/templates/*.md``), so
it never opens the data directory.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from backend.services.writing import Writing, outline

if TYPE_CHECKING:
    from backend.settings import Settings


def register(sub: Any) -> None:
    """Add ``charlie templates``."""
    p = sub.add_parser("templates", help="list the entry templates (`new --template NAME`)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_templates, needs_api=False)


def cmd_templates(settings: Settings, args: argparse.Namespace) -> int:
    """Print every template: name, title, where it comes from; problems on stderr."""
    writing = Writing(settings)
    found = writing.templates()
    for problem in found.problems:
        print(f"charlie: {problem}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    for template in found.templates:
        title, known, unknown = outline(template)
        rows.append(
            {
                "name": template.name,
                "title": title,
                "source": template.source,
                "path": None if template.path is None else str(template.path),
                "fields": known,
                "unknown_fields": unknown,
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(
            f"No templates. Put Markdown files in {writing.templates_folder} "
            f"(NAME.md), or add a [templates] table to {settings.config_file}."
        )
        return 0
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        where = row["path"] or "config"
        title = f"  {row['title']}" if row["title"] else ""
        warn = f"  (unknown fields left as typed: {' '.join(row['unknown_fields'])})"
        print(f"{row['name']:<{width}}  {where}{title}{warn if row['unknown_fields'] else ''}")
    return 0
