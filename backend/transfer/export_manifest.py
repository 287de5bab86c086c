"""What a Markdown export wrote into its folder, kept there as ``.charlie-export.json``,
so that a later export into the same folder with ``--sync`` can remove the files of
entries deleted since, and only those.

The manifest lists each file Charlie wrote with the entry and journal it holds and the
SHA-256 of the bytes written. A file is removed only if it is in the manifest, still a
plain file (not a link), and its bytes are still the ones Charlie wrote: a file the user
wrote, or edited since, is never removed (it is reported as kept). A manifest that
cannot be read is treated as none: then nothing is removed.
"""

from __future__ import annotations

import hashlib
import json
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.broker.atomic import atomic_file
from backend.errors import ValidationError

MANIFEST_NAME = ".charlie-export.json"
FORMAT = "charlie-markdown-export"
VERSION = 1
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
"""A manifest bigger than this is not one Charlie wrote (some 300,000 entries fit)."""


def digest(data: bytes) -> str:
    """The SHA-256 of a file's bytes, as the manifest keeps it."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Written:
    """One file of the export, as the manifest records it."""

    entry: str
    journal: str
    """The journal's id."""
    sha256: str


@dataclass
class SyncOutcome:
    """What an export did to files an earlier export wrote."""

    removed: list[str] = field(default_factory=list)
    """Files of entries deleted (or renamed) since, removed (``--sync``)."""
    kept_edited: list[str] = field(default_factory=list)
    """Files of entries deleted since that were edited after Charlie wrote them: kept."""
    stale: list[str] = field(default_factory=list)
    """Without ``--sync``: files of entries deleted since, left in place."""
    manifest_problem: str = ""
    """Why the earlier manifest could not be read ("" when it could, or there was none)."""


class Manifest:
    """The folder's record of the files Charlie wrote, read before an export writes
    and written (whole, 0600) after."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MANIFEST_NAME
        self.earlier: dict[str, Written] = {}
        self.written: dict[str, Written] = {}
        self.problem = ""
        try:
            self.earlier = _read(self.path)
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.problem = f"{self.path} could not be read ({exc}), so nothing was removed"

    def wrote(self, name: str, entry_id: str, journal_id: str, data: bytes) -> None:
        """Record one file this export wrote."""
        self.written[name] = Written(entry_id, journal_id, digest(data))

    def finish(self, *, journal_ids: set[str], every_journal: bool, sync: bool) -> SyncOutcome:
        """Deal with the files earlier exports wrote that this one did not (removed with
        ``sync`` when unedited), then write the manifest. ``journal_ids``: the journals
        exported now; with ``every_journal`` a file of any other journal is of a journal
        deleted since, else it is left alone (that journal was not exported now)."""
        outcome = SyncOutcome(manifest_problem=self.problem)
        keep: dict[str, Written] = {}
        for name, record in sorted(self.earlier.items()):
            if name in self.written:
                continue
            if not every_journal and record.journal not in journal_ids:
                keep[name] = record  # Its journal was not exported this time.
                continue
            path = self.folder / name
            state = _state(path, record)
            if state == "gone":
                continue
            if state == "edited":
                if sync:
                    outcome.kept_edited.append(name)  # The user's file now: forgotten.
                else:
                    keep[name] = record
                continue
            if not sync:
                outcome.stale.append(name)
                keep[name] = record
                continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise ValidationError(f"Cannot remove {path}: {exc}") from exc
            outcome.removed.append(name)
        keep.update(self.written)
        self._save(keep)
        return outcome

    def _save(self, files: dict[str, Written]) -> None:
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "files": {
                name: {"entry": w.entry, "journal": w.journal, "sha256": w.sha256}
                for name, w in sorted(files.items())
            },
        }
        try:
            with atomic_file(self.path, sync=False) as handle:
                handle.write(json.dumps(doc, indent=1, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            raise ValidationError(f"Cannot write {self.path}: {exc}") from exc


def _read(path: Path) -> dict[str, Written]:
    with path.open("rb") as handle:
        raw = handle.read(MAX_MANIFEST_BYTES + 1)
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ValueError("it is too big to be Charlie's")
    doc: Any = json.loads(raw.decode("utf-8"))
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise ValueError("it is not a manifest this version of Charlie writes")
    files: dict[str, Written] = {}
    for name, record in doc["files"].items():
        # Only plain names of Markdown files in the folder itself: a manifest edited to
        # name ../something or a hidden file can never make an export remove it.
        if Path(name).name != name or name.startswith(".") or not name.endswith(".md"):
            continue
        files[name] = Written(str(record["entry"]), str(record["journal"]), str(record["sha256"]))
    return files


def _state(path: Path, record: Written) -> str:
    """The file's state: "gone", "edited" (not the bytes written, or not a plain file)
    or "unchanged"."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return "gone"
    if not stat.S_ISREG(info.st_mode):
        return "edited"
    try:
        data = path.read_bytes()
    except OSError:
        return "edited"
    return "unchanged" if digest(data) == record.sha256 else "edited"
