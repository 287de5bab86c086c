"""Markdown export: one file per entry, ``YYYY-MM-DD-<slug>-<id8>.md``, with YAML front
matter (id, title, date with the entry's own offset, timezone, journal) and the body after
it byte for byte.

Every file is written to a temp file and renamed over its final name, so a crash never
leaves a half file under that name; the files are flushed to disk all at once at the
end, since one fsync per file made a 10,000-entry export take minutes. Entries are read
page by page (``backend.transfer.export_reading``). An export is taken while the app may
be writing; each entry is exported whole, but for an exact point-in-time copy of
everything use a backup.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

from backend.broker.atomic import atomic_file, fsync_dir
from backend.errors import ValidationError
from backend.models import from_epoch_and_offset
from backend.shared import Backend
from backend.transfer.export_reading import (
    Progress,
    entries_by_id,
    entry_ids,
    journals_to_export,
    pages,
)

SLUG_CHARS = 40


def slug(text: str) -> str:
    """Lowercase ASCII words joined by '-', at most SLUG_CHARS long ("" if none)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", folded.lower())
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > SLUG_CHARS:
            break
        out = candidate
    return out or (words[0][:SLUG_CHARS] if words else "")


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar. JSON's escapes are YAML's; the Unicode line and
    paragraph separators are escaped too, since YAML 1.1 readers break lines on them."""
    quoted = json.dumps(text, ensure_ascii=False)
    return quoted.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\x85")


def offset_text(minutes: int) -> str:
    """A UTC offset in minutes as ``+HH:MM``."""
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def markdown_file(entry: dict[str, Any], journal: str) -> bytes:
    """One entry as a Markdown file: front matter, then the body exactly as stored."""
    when = from_epoch_and_offset(entry["entry_at"], entry["utc_offset"])
    front = (
        "---\n"
        f"id: {_yaml_string(entry['id'])}\n"
        f"title: {_yaml_string(entry.get('title') or '')}\n"
        f"date: {_yaml_string(when.isoformat())}\n"
        f"timezone: {_yaml_string(offset_text(entry['utc_offset']))}\n"
        f"journal: {_yaml_string(journal)}\n"
        "---\n"
    )
    return front.encode("utf-8") + entry["body"].encode("utf-8")


def markdown_name(entry: dict[str, Any], taken: set[str]) -> str:
    """``YYYY-MM-DD-<slug>-<id8>.md``, made unique against ``taken`` (then added to it)."""
    when = from_epoch_and_offset(entry["entry_at"], entry["utc_offset"])
    words = slug(entry.get("title") or "") or slug(" ".join(entry["body"].split()[:8]))
    stem = f"{when:%Y-%m-%d}-{words or 'entry'}"
    entry_id = re.sub(r"[^0-9a-zA-Z]", "", entry["id"]) or "x"
    name = f"{stem}-{entry_id[:8]}.md"
    n = 1
    while name.casefold() in taken:
        # Two entries share the first 8 id digits (or a case-insensitive file system
        # would fold two names together): the whole id, then a counter, keeps them apart.
        n += 1
        name = f"{stem}-{entry_id}.md" if n == 2 else f"{stem}-{entry_id}-{n}.md"
    taken.add(name.casefold())
    return name


def export_markdown(
    backend: Backend,
    directory: Path | str,
    *,
    journal: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Write one Markdown file per entry into ``directory`` (created if needed); all
    journals unless ``journal`` names one. Returns how many files were written."""
    target = Path(directory).expanduser()
    if target.exists() and not target.is_dir():
        raise ValidationError(f"{target} is a file; give a folder to export into.")
    try:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"Cannot create the folder {target}: {exc}") from exc
    plan = [(j, backend.store.graph(j)) for j in journals_to_export(backend, journal)]
    id_lists = [entry_ids(graph) for _, graph in plan]
    total = sum(len(ids) for ids in id_lists)
    taken: set[str] = set()
    written = 0
    if progress is not None:
        progress(0, total)
    for (journal_obj, graph), ids in zip(plan, id_lists, strict=True):
        for page in pages(ids):
            for entry in entries_by_id(graph, page):
                path = target / markdown_name(entry, taken)
                try:
                    # Flushed all at once below (see the module docstring).
                    with atomic_file(path, sync=False) as handle:
                        handle.write(markdown_file(entry, journal_obj.name))
                except OSError as exc:
                    raise ValidationError(f"Cannot write {path}: {exc}") from exc
                written += 1
            if progress is not None:
                progress(written, total)
    os.sync()
    fsync_dir(target)
    return written
