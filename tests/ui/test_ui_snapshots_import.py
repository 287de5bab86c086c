"""Snapshots of the Import screen: the form, a preview, progress and a summary.

The source folder is reached by a relative path from a pinned working directory, so no
temporary path shows on screen. Progress and the summary after a real import are drawn
by calling the screen's own methods with fixed figures: a real import would race the
snapshot, and its backup file is named after the current time. Update with
``pytest tests/ui/test_ui_snapshots_import.py --snapshot-update`` and look at every SVG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton

from backend.root import Charlie
from backend.transfer.importer_source import ImportSummary
from backend.transfer.importing import Rejected
from tests.helpers.ui import SIZE, make_app, settle
from ui.screens.import_screen import ImportScreen


@pytest.fixture
def notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A folder of three Markdown notes and one binary file, as the relative path "notes"."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2026-03-01 walk.md").write_text("# Walk\n\nAlong the river with Sam.\n")
    (folder / "2026-03-02 lunch.md").write_text("Lunch with Ana at Luigi's.\n")
    (folder / "2026-03-03.md").write_text("---\ntitle: Book club\n---\nMiddlemarch again.\n")
    (folder / "scan.md").write_bytes(b"PNG\x00\x01\x02 not text")
    monkeypatch.chdir(tmp_path)
    return "notes"


async def open_import(pilot: Pilot[Any], source: str = "") -> ImportScreen:
    await settle(pilot)
    await pilot.press("f7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    screen.query_one("#import-source", Input).value = source
    await settle(pilot)
    return screen


def test_import_form(snap_compare: Any, api: Charlie) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await open_import(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=run)


def test_import_missing_source(snap_compare: Any, api: Charlie, notes: str) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await open_import(pilot, "no/such/folder")
        await pilot.press("ctrl+t")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=run)


def test_import_preview(snap_compare: Any, api: Charlie, notes: str) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await open_import(pilot, notes)
        await pilot.press("ctrl+t")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=run)


def test_import_progress(snap_compare: Any, api: Charlie, notes: str) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        screen = await open_import(pilot, notes)
        # As while an import runs: the form is locked and the bar counts entries.
        screen.query_one("#import-form").disabled = True
        screen.show_progress("writing", 120, 300)
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=run)


def test_import_reading(snap_compare: Any, api: Charlie, notes: str) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        screen = await open_import(pilot, notes)
        screen.query_one("#import-form").disabled = True
        screen.show_progress("reading", 250, None)
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=run)


def test_import_summary(snap_compare: Any, api: Charlie) -> None:
    summary = ImportSummary(
        importer="dayone",
        source="~/Downloads/DayOne.zip",
        journal="Journal",
        dry_run=False,
        total=12,
        added=8,
        skipped=2,
        rejected=[
            Rejected("Journal.json, entry 3F2A9C", "It has no text."),
            Rejected(
                "Journal.json, entry 77B01E",
                "It is 120,000 characters long; the limit is 100,000 (the max_entry_chars "
                "setting).",
            ),
        ],
        backup="~/.local/share/charlie/backups/charlie-20260318T100000000Z-import.backup",
    )

    async def run(pilot: Pilot[Any]) -> None:
        screen = await open_import(pilot, "~/Downloads/DayOne.zip")
        screen.query_one("#importer-dayone", RadioButton).value = True
        screen.show_summary(summary)
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=run)
