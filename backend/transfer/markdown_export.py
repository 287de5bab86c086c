"""Markdown export: one file per entry, ``YYYY-MM-DD-<slug>-<id8>.md``, with YAML front
matter (id, title, date with the entry's own offset, timezone, journal, tags as a YAML
flow list, starred) and the body after it byte for byte, but for links to attachments:
an entry's attachments are copied into ``<folder>/attachments/`` and its links point
there (``![photo](attachments/<name>)``). One newline follows the body, so every file
ends with one (the files importer takes it off again, see ``plugins/importers/files.py``).

The folder keeps a manifest of the files written (``backend.transfer.export_manifest``):
with ``sync``, files an earlier export wrote for entries deleted since are removed,
unless the user edited them.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.attachments import export_copy, names_of, relinked, store_root
from backend.broker.atomic import atomic_file, fsync_dir
from backend.errors import ValidationError
from backend.models import from_epoch_and_offset
from backend.shared import Backend
from backend.transfer.export_manifest import Manifest, SyncOutcome
from backend.transfer.export_reading import (
    Progress,
    entries_by_id,
    entry_ids,
    journals_to_export,
    pages,
)

SLUG_CHARS = 40
ATTACHMENTS_FOLDER = "attachments"
"""Where an export's attachments go, inside its folder."""


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
    """One entry as a Markdown file: front matter, then the body exactly as stored, then
    one newline (always one, even after a body that ends with one, so the importer can
    take exactly that one off)."""
    when = from_epoch_and_offset(entry["entry_at"], entry["utc_offset"])
    front = (
        "---\n"
        f"id: {_yaml_string(entry['id'])}\n"
        f"title: {_yaml_string(entry.get('title') or '')}\n"
        f"date: {_yaml_string(when.isoformat())}\n"
        f"timezone: {_yaml_string(offset_text(entry['utc_offset']))}\n"
        f"journal: {_yaml_string(journal)}\n"
        f"{tags_front_matter(entry)}"
        "---\n"
    )
    return front.encode("utf-8") + entry["body"].encode("utf-8") + b"\n"


def tags_front_matter(entry: dict[str, Any]) -> str:
    """The ``tags:`` (a YAML flow list, which is JSON's) and ``starred:`` lines of an
    entry's front matter (an entry from before tags: none, not starred)."""
    tags = ", ".join(_yaml_string(str(t)) for t in entry.get("tags") or ())
    starred = "true" if entry.get("starred") is True else "false"
    return f"tags: [{tags}]\nstarred: {starred}\n"


def with_attachments(backend: Backend, entry: dict[str, Any], target: Path) -> dict[str, Any]:
    """The entry with its attachments copied into ``<target>/attachments/`` and its
    text's links to them pointing there (``attachments/<name>``, relative to the file).
    One the data directory lacks keeps its link as it was (``attachment:<name>``)."""
    names = names_of(entry.get("attachments"))
    if not names:
        return entry
    root = store_root(backend.settings.data_dir)
    folder = target / ATTACHMENTS_FOLDER
    try:
        copied = [name for name in names if export_copy(root, name, folder)]
    except OSError as exc:
        raise ValidationError(f"Cannot write the attachments into {folder}: {exc}") from exc
    return {**entry, "body": relinked(entry["body"], copied, ATTACHMENTS_FOLDER)}


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


@dataclass
class MarkdownExport:
    """What a Markdown export wrote, and what it did to files of earlier exports."""

    folder: Path
    written: int
    sync: SyncOutcome


def export_markdown(
    backend: Backend,
    directory: Path | str,
    *,
    journal: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Write one Markdown file per entry into ``directory`` (created if needed); all
    journals unless ``journal`` names one. Returns how many files were written."""
    return export_markdown_folder(backend, directory, journal=journal, progress=progress).written


def export_markdown_folder(
    backend: Backend,
    directory: Path | str,
    *,
    journal: str | None = None,
    progress: Progress | None = None,
    sync: bool = False,
) -> MarkdownExport:
    """Write one Markdown file per entry into ``directory`` (created if needed); all
    journals unless ``journal`` names one. With ``sync``, remove the files an earlier
    export into the folder wrote for entries deleted since (never one edited since)."""
    target = Path(directory).expanduser()
    if target.exists() and not target.is_dir():
        raise ValidationError(f"{target} is a file; give a folder to export into.")
    try:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"Cannot create the folder {target}: {exc}") from exc
    manifest = Manifest(target)
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
                entry = with_attachments(backend, entry, target)
                data = markdown_file(entry, journal_obj.name)
                try:
                    # Flushed all at once below (see the module docstring).
                    with atomic_file(path, sync=False) as handle:
                        handle.write(data)
                except OSError as exc:
                    raise ValidationError(f"Cannot write {path}: {exc}") from exc
                manifest.wrote(path.name, entry["id"], journal_obj.id, data)
                written += 1
            if progress is not None:
                progress(written, total)
    outcome = manifest.finish(
        journal_ids={j.id for j, _ in plan}, every_journal=journal is None, sync=sync
    )
    os.sync()
    fsync_dir(target)
    return MarkdownExport(target, written, outcome)
