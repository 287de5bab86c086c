"""The Import screen with Pilot: real files in tmp_path, a real API on a real FalkorDB.

Two tests hold the import thread at a chosen stage to press Escape there. They wrap
the real ``run_import`` so that the progress callback the screen hands it waits for the
test at that stage; the import itself runs unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, RadioButton

from backend.root import Charlie
from backend.transfer import importer_source
from tests.helpers.ui import SIZE, Notes, listed_ids, make_app, settle, static_text, wait_for
from ui.app import CharlieApp
from ui.dialogs.error import ErrorDialog
from ui.dialogs.help import HelpScreen
from ui.screens.home import HomeScreen
from ui.screens.import_screen import ImportScreen
from ui.screens.queue import QueueScreen

TITLES = ["Walk", "Lunch", "Book club"]


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    """Three Markdown notes and one file with a NUL byte in it."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "2026-03-01 walk.md").write_text("# Walk\n\nAlong the river with Sam.\n")
    (folder / "2026-03-02 lunch.md").write_text("---\ntitle: Lunch\n---\nAna at Luigi's.\n")
    (folder / "2026-03-03.md").write_text("---\ntitle: Book club\n---\nMiddlemarch again.\n")
    (folder / "scan.md").write_bytes(b"PNG\x00\x01\x02 not text")
    return folder


async def open_import(pilot: Pilot[Any], source: Path | str = "") -> ImportScreen:
    """Open the Import screen from home with ``i`` and fill in the source."""
    await settle(pilot)
    await pilot.press("f7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    assert screen.importer == "files"
    screen.query_one("#import-source", Input).value = str(source)
    await settle(pilot)
    return screen


def rejected_rows(screen: ImportScreen) -> list[tuple[str, str]]:
    """The rejected list as the screen shows it: (item, reason) per row."""
    table = screen.query_one("#import-rejected", DataTable)
    if not table.display:
        return []
    return [
        (str(row[0]), str(row[1])) for row in (table.get_row_at(i) for i in range(table.row_count))
    ]


async def test_preview_import_and_import_again(api: Charlie, notes: Path) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        said = Notes(app)
        screen = await open_import(pilot, notes)

        await pilot.press("ctrl+t")
        await settle(pilot)
        preview = screen.summary
        assert preview is not None and preview.dry_run
        assert (preview.total, preview.added, preview.skipped) == (4, 3, 0)
        figures = static_text(app, "#import-figures")
        assert "3 would be added" in figures and "1 rejected" in figures
        assert "nothing was written" in static_text(app, "#import-headline")
        ((where, reason),) = rejected_rows(screen)
        assert where == "scan.md" and "NUL" in reason
        assert api.journal().entries.count() == 0

        await pilot.press("ctrl+s")
        await settle(pilot)
        done = screen.summary
        assert done is not None and not done.dry_run
        assert (done.added, done.skipped, len(done.rejected)) == (3, 0, 1)
        assert "3 added" in static_text(app, "#import-figures")
        assert "Backup taken first" in static_text(app, "#import-afterword")
        assert said.messages[-1] == "Imported 3 entries into “Journal”."
        assert sorted(e.title for e in api.journal().entries.list().entries) == sorted(TITLES)
        assert {api.journal().entries.get(i).title for i in done.added_ids} == set(TITLES)

        await pilot.press("ctrl+s")
        await settle(pilot)
        again = screen.summary
        assert again is not None
        assert (again.added, again.skipped) == (0, 3)
        assert "0 added" in static_text(app, "#import-figures")
        assert "3 already present" in static_text(app, "#import-figures")
        assert said.messages[-1] == "Nothing new was imported."
        assert api.journal().entries.count() == 3

        # Back home, the list has caught up with the import.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert sorted(listed_ids(app)) == sorted(done.added_ids)


async def test_a_missing_source_is_explained_inline(api: Charlie, tmp_path: Path) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_import(pilot)
        source = screen.query_one("#import-source", Input)
        note = screen.query_one("#import-source-note")

        await pilot.press("ctrl+t")  # Nothing typed yet.
        await settle(pilot)
        assert static_text(app, "#import-source-note") == (
            "Enter the path of the file or folder to import."
        )

        missing = tmp_path / "no" / "such" / "folder"
        source.value = str(missing)
        await pilot.press("enter")  # Enter previews, which checks the path first.
        await settle(pilot)
        assert app.screen is screen
        assert (
            static_text(app, "#import-source-note") == f"Nothing is at {missing}: check the path."
        )
        assert note.has_class("-error")
        assert screen.summary is None and api.journal().entries.count() == 0

        # Once the path exists the message goes, as soon as it is typed.
        missing.mkdir(parents=True)
        source.value = str(missing) + "/"
        await settle(pilot)
        assert static_text(app, "#import-source-note") == "A folder."
        assert not note.has_class("-error")


async def test_an_unreadable_source_is_reported_and_nothing_written(
    api: Charlie, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, empty)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "Found no .md, .markdown, .txt or .rtf files" in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert static_text(app, "#import-status") == "The import failed: nothing was written."
        assert not screen.query_one("#import-form").disabled
        assert api.journal().entries.count() == 0


async def test_import_into_a_new_journal_recursively(api: Charlie, notes: Path) -> None:
    deeper = notes / "2025"
    deeper.mkdir()
    (deeper / "2025-12-24.md").write_text("---\ntitle: Christmas Eve\n---\nFamily.\n")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_import(pilot, notes)
        journal = screen.query_one("#import-journal", Input)
        assert journal.value == "Journal"
        assert static_text(app, "#import-journal-note") == "An existing journal."
        journal.value = "Old notes"
        await settle(pilot)
        assert static_text(app, "#import-journal-note").startswith("A new journal")
        screen.query_one(Checkbox).value = True

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.summary is not None and screen.summary.added == 4
        assert api.journal("Old notes").entries.count() == 4
        assert api.journal().entries.count() == 0
        assert static_text(app, "#import-journal-note") == "An existing journal."

        # The box only means something to the folder importer.
        screen.query_one("#importer-jrnl", RadioButton).value = True
        await settle(pilot)
        assert screen.importer == "jrnl"
        assert screen.query_one(Checkbox).disabled


def hold_at(
    api: Charlie, monkeypatch: pytest.MonkeyPatch, stage: str
) -> tuple[threading.Event, threading.Event, threading.Event]:
    """Make the real import wait, in its thread, the first time it reports ``stage``:
    (reached, release, ended). At "writing" it waits after the screen has seen the
    report (the import is writing); at "reading", before (as if still reading)."""
    reached, release, ended = threading.Event(), threading.Event(), threading.Event()
    real = importer_source.run_import

    def held(*args: Any, progress: Callable[[str, int, int | None], None], **kwargs: Any) -> Any:
        def report(now: str, done: int, total: int | None) -> None:
            first = now == stage and not reached.is_set()
            if first and stage == "writing":
                progress(now, done, total)
            if first:
                reached.set()
                assert release.wait(30), "the test never released the import"
                if stage == "writing":
                    return
            progress(now, done, total)

        try:
            return real(*args, progress=report, **kwargs)
        finally:
            ended.set()

    monkeypatch.setattr(importer_source, "run_import", held)
    return reached, release, ended


async def test_escape_while_writing_says_the_import_is_running(
    api: Charlie, notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached, release, ended = hold_at(api, monkeypatch, "writing")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        said = Notes(app)
        screen = await open_import(pilot, notes)
        await pilot.press("ctrl+s")
        await wait_for(pilot, reached.is_set, "the import to start writing")
        await wait_for(
            pilot,
            lambda: static_text(app, "#import-status") == "Writing entries: 0 of 3",
            "the progress to show",
        )
        assert screen.query_one("#import-form").disabled
        assert not screen.check_action("run_import", ())

        await pilot.press("escape")
        assert app.screen is screen
        assert said.messages[-1].startswith("The import is writing entries")

        release.set()
        await settle(pilot)
        assert ended.is_set()
        assert screen.summary is not None and screen.summary.added == 3
        assert api.journal().entries.count() == 3
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert len(listed_ids(app)) == 3


async def test_escape_while_reading_stops_before_anything_is_written(
    api: Charlie, notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached, release, ended = hold_at(api, monkeypatch, "reading")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        said = Notes(app)
        screen = await open_import(pilot, notes)
        screen.query_one("#import-journal", Input).value = "Elsewhere"
        await pilot.press("ctrl+s")
        await wait_for(pilot, reached.is_set, "the import to finish reading")
        assert static_text(app, "#import-status") == "Reading the source: starting"

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert said.messages[-1] == "Stopped before anything was written."

        release.set()
        await wait_for(pilot, ended.is_set, "the stopped import to end")
        await settle(pilot)
        assert api.journal().entries.count() == 0
        assert [j.name for j in api.journals.list()] == ["Journal"]
        # Stopping is not an error: nothing was reported.
        assert isinstance(app.screen, HomeScreen)
        assert said.messages[-1] == "Stopped before anything was written."


async def test_f7_opens_import_from_any_screen_and_help_lists_its_keys(
    api: Charlie,
) -> None:
    app: CharlieApp = make_app(api)
    async with app.run_test(size=SIZE) as pilot:

        async def help_sections() -> dict[str, dict[str, str]]:
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            sections = {title: dict(rows) for title, rows in app.screen.sections}
            await pilot.press("escape")
            await settle(pilot)
            return sections

        await settle(pilot)
        assert (await help_sections())["Everywhere"]["f7"] == "Import"
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert (await help_sections())["Everywhere"]["f7"] == "Import"

        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, ImportScreen)
        sections = await help_sections()
        assert sections["Import"] == {"esc": "Back", "^t": "Preview", "^s": "Import"}
        # The key of the screen already showing is hidden, as for the other screens.
        assert "f7" not in sections["Everywhere"]
        # Escape goes back the way the user came: to the Queue, then home.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
