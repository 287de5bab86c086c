"""The reader lists an entry's attachments (type and size) under its text, and v opens
the highlighted one with the system's viewer (a stand-in ``xdg-open`` first on PATH
records what it was asked to open); without a viewer it says so."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from textual.widgets import OptionList

from backend.attachments import path_in, store_root
from backend.root import Charlie
from backend.transfer.importer_source import run_import
from tests.helpers.ui import SIZE, Notes, make_app, open_reader, settle, wait_for
from ui.widgets.attachments import AttachmentList

PHOTO = b"\xff\xd8\xff\xe0" + bytes(3000)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(1500)


def seed(api: Charlie, tmp_path: Path) -> None:
    """An entry with two photos (newest) and one without."""
    doc = {
        "entries": [
            {
                "uuid": "1" * 32,
                "creationDate": "2023-01-02T09:00:00Z",
                "text": "Snow ![](dayone-moment://P1) and ice ![](dayone-moment://P2)",
                "photos": [
                    {"identifier": "P1", "md5": "a" * 32, "type": "jpeg"},
                    {"identifier": "P2", "md5": "b" * 32, "type": "png"},
                ],
            },
            {"uuid": "2" * 32, "creationDate": "2023-01-01T09:00:00Z", "text": "No pictures."},
        ]
    }
    source = tmp_path / "Export.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("Journal.json", json.dumps(doc))
        archive.writestr(f"photos/{'a' * 32}.jpeg", PHOTO)
        archive.writestr(f"photos/{'b' * 32}.png", PNG)
    assert run_import(api.backend, "dayone", source).added == 2


def fake_viewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system viewer (``xdg-open``, or ``open`` on macOS) first on PATH, writing the
    file it was given into a log."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "viewer.log"
    for name in ("xdg-open", "open"):
        script = folder / name
        script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{log}.tmp"\nmv "{log}.tmp" "{log}"\n')
        script.chmod(0o700)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log


async def test_the_reader_lists_attachments_and_v_opens_one_with_the_viewer(
    api: Charlie, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(api, tmp_path)
    log = fake_viewer(tmp_path, monkeypatch)
    app = make_app(api)
    notes = Notes(app)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_reader(pilot, 0)
        await settle(pilot)
        listing = reader.query_one(AttachmentList)
        assert listing.display
        rows = [str(o.prompt) for o in listing.query_one(OptionList).options]
        assert [row.split("  ")[:2] for row in rows] == [
            ["JPEG image", "3 KB"],
            ["PNG image", "1 KB"],
        ]
        assert "v opens" in str(listing.query_one("#attachments-title").render())

        listing.query_one(OptionList).highlighted = 1
        await pilot.press("v")
        await settle(pilot)
        await wait_for(pilot, log.exists, "the viewer to be run")
        png = path_in(store_root(api.settings.data_dir), listing.infos[1].name)
        assert log.read_text().splitlines() == [str(png)]
        assert "Opened with xdg-open" in notes.messages

        # An entry without attachments: no list; v says there is nothing to open.
        await pilot.press("left_square_bracket")  # [ steps to the older entry.
        await settle(pilot)
        assert reader.entry is not None and reader.entry.body == "No pictures."
        assert not listing.display
        await pilot.press("v")
        await settle(pilot)
        assert "This entry has no attachments." in notes.messages


async def test_without_a_viewer_v_says_so(
    api: Charlie, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(api, tmp_path)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    app = make_app(api)
    notes = Notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await open_reader(pilot, 0)
        await settle(pilot)
        monkeypatch.setenv("PATH", str(empty))
        await pilot.press("v")
        await settle(pilot)
        [message] = [m for m in notes.messages if "xdg-open" in m]
        assert message.startswith("There is no program to open it with (xdg-open was not found)")
        assert str(store_root(api.settings.data_dir)) in message
