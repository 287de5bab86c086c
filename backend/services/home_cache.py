"""The home screen's first page, kept on disk so that the app can show it at once.

A large journal takes the database server seconds to load (at 100,000 entries FalkorDB
rebuilds its full-text index on load). Meanwhile the app shows the home list from
``<data>/cache/home.json``: the first page of the default journal's entries as the home
screen last showed them. It is never the truth: it is read only at start-up, before the
server answers, and the live list replaces it as soon as the journal is open. A file that
is missing, damaged, of another format or too large is ignored (the app then waits for
the server, as on a first start); nobody is told, since nothing is lost.

The file holds titles and the first lines of entries, which are journal text: it is
written whole (temp file and rename) and private, 0600 in a 0700 folder, like
everything else in the data directory.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from backend.broker.atomic import atomic_file
from backend.broker.private import private_dir
from backend.models import EntrySummary

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
"""Written into the file; a file of any other format is ignored."""
HOME_ROWS = 100
"""The most entries kept: one page of the home list."""
FIELD_CHARS = 500
"""Titles and previews are cut to this many characters (a row shows one line)."""
MAX_TAGS = 10
"""Tags kept per row (a row shows three)."""
MAX_BYTES = 1 << 20
"""A larger file is not read (HOME_ROWS rows of FIELD_CHARS stay far below it)."""


@dataclass(frozen=True)
class CachedHome:
    """The first page of a journal's home list, as last shown."""

    journal: str
    """The journal's name when the page was kept (the default journal then)."""
    entries: list[EntrySummary]
    """At most HOME_ROWS entries, newest first."""


def cache_path(data_dir: Path) -> Path:
    """Where the home page is kept for ``data_dir``."""
    return data_dir / "cache" / "home.json"


def write_home(data_dir: Path, journal: str, entries: list[EntrySummary]) -> None:
    """Keep the first page of ``journal``'s list (the first HOME_ROWS of ``entries``).

    Not fsynced: a file a crash damaged is ignored when read, and the next write replaces
    it. Raises OSError when the folder or file cannot be written."""
    rows = [
        {
            "id": entry.id,
            "title": entry.title[:FIELD_CHARS],
            "preview": entry.preview[:FIELD_CHARS],
            "entry_at": entry.entry_at.isoformat(),
            "tags": list(entry.tags[:MAX_TAGS]),
            "starred": entry.starred,
        }
        for entry in entries[:HOME_ROWS]
    ]
    text = json.dumps({"format": CACHE_FORMAT, "journal": journal, "entries": rows})
    path = cache_path(data_dir)
    private_dir(path.parent)
    # The temp file is created 0600 and renamed over the old one.
    with atomic_file(path, sync=False) as handle:
        handle.write(text.encode("utf-8"))


def read_home(data_dir: Path) -> CachedHome | None:
    """The kept page, or None when there is none that can be trusted to be one."""
    path = cache_path(data_dir)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.info("Home cache %s not read: %s", path, exc)
        return None
    if len(raw) > MAX_BYTES:
        log.info("Home cache %s ignored: larger than %d bytes", path, MAX_BYTES)
        return None
    try:
        return _parse(json.loads(raw.decode("utf-8")))
    except (ValueError, TypeError, KeyError) as exc:
        # UnicodeDecodeError and JSONDecodeError are ValueErrors.
        log.info("Home cache %s ignored: %s", path, exc)
        return None


def _parse(data: Any) -> CachedHome:
    """The page in ``data``; ValueError, TypeError or KeyError if it is not one."""
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
        raise ValueError("not a home cache of this format")
    journal, rows = data["journal"], data["entries"]
    if not isinstance(journal, str) or not journal or not isinstance(rows, list):
        raise TypeError("journal or entries of the wrong type")
    if len(rows) > HOME_ROWS:
        raise ValueError(f"more than {HOME_ROWS} entries")
    entries = []
    for row in rows:
        fields = (row["id"], row["title"], row["preview"], row["entry_at"])
        if not all(isinstance(value, str) for value in fields):
            raise TypeError("an entry field is not text")
        if not row["id"]:
            raise ValueError("an entry without an id")
        entry_at = datetime.fromisoformat(row["entry_at"])
        if entry_at.tzinfo is None:
            raise ValueError("an entry time without its offset")
        # A page kept before tags and stars has neither: the row shows without them.
        tags, starred = row.get("tags", []), row.get("starred", False)
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise TypeError("tags that are not a list of text")
        if not isinstance(starred, bool):
            raise TypeError("a star that is not true or false")
        entries.append(
            EntrySummary(
                id=row["id"],
                title=row["title"][:FIELD_CHARS],
                preview=row["preview"][:FIELD_CHARS],
                entry_at=entry_at,
                tags=tuple(t[:FIELD_CHARS] for t in tags[:MAX_TAGS]),
                starred=starred,
            )
        )
    return CachedHome(journal=journal, entries=entries)
