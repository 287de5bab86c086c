"""Attachments for the front ends: what an entry's files are, and opening one with the
system's viewer (``backend.attachments`` keeps them)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from backend.attachments import KINDS, is_name, path_in, store_root
from backend.errors import NotFoundError, ValidationError
from backend.settings import Settings


@dataclass(frozen=True)
class AttachmentInfo:
    """One of an entry's attachments, as the reader lists it."""

    name: str
    """Its stored name, ``<sha256>.<ext>``."""
    kind: str
    """What it is, in words ("JPEG image")."""
    size: int | None
    """Bytes; None when the file is missing from the data directory."""
    path: Path
    """Where it is."""


def viewer_command(platform: str = sys.platform) -> str:
    """The program that opens a file with the user's chosen application."""
    return "open" if platform == "darwin" else "xdg-open"


class Attachments:
    """The attachment store of one data directory, read-only but for opening a file."""

    def __init__(self, settings: Settings) -> None:
        self.root = store_root(settings.data_dir)

    def describe(self, names: Iterable[str]) -> list[AttachmentInfo]:
        """What each of ``names`` is, in order (a name that is not one is left out)."""
        infos = []
        for name in names:
            if not is_name(name):
                continue
            path = path_in(self.root, name)
            try:
                size: int | None = path.stat().st_size
            except FileNotFoundError:
                size = None
            kind = KINDS.get(name.rpartition(".")[2], "file")
            infos.append(AttachmentInfo(name, kind, size, path))
        return infos

    def open(self, name: str) -> str:
        """Open the attachment ``name`` with the system's viewer (``xdg-open`` on Linux,
        ``open`` on macOS), detached: it outlives nothing of Charlie's and never waits.
        Returns the viewer's name. NotFoundError when the file is missing;
        ValidationError when there is no viewer to run."""
        if not is_name(name):
            raise ValidationError(f"{name[:80]!r} is not an attachment.")
        path = path_in(self.root, name)
        if not path.is_file():
            raise NotFoundError(f"The attachment {name} is missing from {self.root}.")
        command = viewer_command()
        program = shutil.which(command)
        if program is None:
            raise ValidationError(
                f"There is no program to open it with ({command} was not found). The file "
                f"is {path}."
            )
        try:
            # No shell: the path is an argument, never a command line. A new session, so
            # a viewer that stays open is not stopped with the terminal.
            process = subprocess.Popen(
                [program, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise ValidationError(f"Could not run {command}: {exc}. The file is {path}.") from exc
        # Reaped when it exits (xdg-open hands the file on and exits), so it never lingers
        # as a zombie; a daemon thread, so it never holds Charlie open.
        threading.Thread(target=process.wait, name="viewer-reaper", daemon=True).start()
        return command
