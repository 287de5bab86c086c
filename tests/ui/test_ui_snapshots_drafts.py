"""Snapshots of the restore-draft prompt, a draft beside its entry, the conflict view and
the editor's status line.

Times the backend stamps are pinned: drafts' ``saved_at`` (``backend.drafts.time``) and
entries' ``updated_at`` (``backend.graph.store._now_millis``); the app's clock is NOW. Update
with ``pytest tests/ui/test_ui_snapshots_drafts.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Label

from backend.drafts import new_draft_id
from backend.models import Entry
from backend.root import Charlie
from backend.settings import Settings
from tests.helpers.seeds import READER_BODY
from tests.helpers.ui import NOW, SIZE, make_app, seed, settle, type_text, wait_for

DRAFT_SAVED = NOW - timedelta(minutes=28)
"""When the first draft in these snapshots was written: 09:32 on the test's day."""
OTHER_SAVE = NOW - timedelta(minutes=3)
"""When "another window" saved the entry: 09:57."""


@pytest.fixture(autouse=True)
def _pinned_times(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Drafts are stamped DRAFT_SAVED, a minute later each (so their order is fixed)."""
    stamps = [DRAFT_SAVED.timestamp() + 60 * n for n in range(10)]
    monkeypatch.setattr("backend.drafts.time", SimpleNamespace(time=lambda: stamps.pop(0)))
    monkeypatch.setattr(
        "backend.graph.store._now_millis", lambda: int(OTHER_SAVE.timestamp() * 1000)
    )
    return stamps


def dinner(api: Charlie) -> Entry:
    (entry,) = seed(api, (NOW - timedelta(days=1, hours=3), "Dinner at Luigi's", READER_BODY))
    return entry


def edit_draft(api: Charlie, entry: Entry) -> None:
    api.journal().drafts.save(
        new_draft_id(),
        entry_id=entry.id,
        title=entry.title,
        body=entry.body.replace("Tom", "Tom and Bea") + "\nBea ordered the last cannoli.\n",
        when="2026-03-17 07:00",
        base_revision=entry.revision,
    )


def test_restore_draft_prompt(snap_compare: Any, api: Charlie) -> None:
    entry = dinner(api)
    api.journal().drafts.save(
        new_draft_id(),
        entry_id=None,
        title="",
        body="Woke up early and walked to the bakery before anyone was up.",
        when="2026-03-18 09:30",
    )
    edit_draft(api, entry)  # The newer one, offered first.
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=settle)


def test_draft_beside_its_entry(snap_compare: Any, api: Charlie) -> None:
    edit_draft(api, dinner(api))

    async def show_both(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=show_both)


def test_conflict_view(snap_compare: Any, api: Charlie, settings: Settings) -> None:
    entry = dinner(api)

    async def conflict(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await type_text(pilot, "Tom paid.")
        with Charlie.open(settings, own=False) as other:
            other.journal().entries.edit(
                entry.id,
                title="Dinner at Luigi's, Via Roma",
                body=entry.body.replace("alla norma", "alla norma, then gelato"),
            )
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=conflict)


def test_editor_status_line(snap_compare: Any, api: Charlie) -> None:
    entry = dinner(api)
    api.journal().entries.mark_open(entry.id, "another-window")

    async def type_and_leave_the_body(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await type_text(pilot, "Tom paid.")
        await pilot.press("shift+tab")  # Keeps a draft at once.
        screen = pilot.app.screen

        def shown(selector: str) -> str:
            return str(screen.query_one(selector, Label).render())

        await wait_for(pilot, lambda: shown("#editor-draft") == "Draft kept 10:00", "the draft")
        await wait_for(pilot, lambda: shown("#editor-count").startswith("38 words"), "the count")
        await settle(pilot)

    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=type_and_leave_the_body)
