"""Snapshots of the journal switcher with entry counts and of the delete confirmation.

Update with ``pytest tests/ui/test_ui_snapshots_journals.py --snapshot-update`` and look
at the SVGs before committing them.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from backend.root import Charlie
from tests.helpers.ui import NOW, SIZE, make_app, seed, settle, type_text
from ui.dialogs.journals import JournalSwitcher


def _journals(api: Charlie) -> None:
    seed(api, (NOW, "", "At home"), (NOW, "", "Again"))
    api.journals.create("Work")
    seed(api, (NOW, "", "One"), journal="Work")
    api.journals.create("Dreams of a long journal name")


def test_switcher_with_entry_counts(snap_compare: Any, api: Charlie) -> None:
    _journals(api)

    async def open_switcher(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=open_switcher)


def test_delete_journal_confirmation(snap_compare: Any, api: Charlie) -> None:
    _journals(api)

    async def ask(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        switcher = pilot.app.screen
        assert isinstance(switcher, JournalSwitcher)
        await pilot.press("end")  # "Work", the last by name.
        await pilot.press("d")
        await settle(pilot)
        await type_text(pilot, "Wo")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=ask)
