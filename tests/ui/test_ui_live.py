"""Live views: what other processes write shows within a second, bursts are coalesced.

The app runs on a real embedded FalkorDB (this test process owns it); "another window"
is a second Charlie attached as a client through the handoff, as a second app or the
CLI would be, or a real ``charlie new`` subprocess. Every wait is bounded and polls the
app's state (never a sleep); LIVE_SECONDS is the promise under test.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from backend.jobs.keys import EVENTS
from backend.models import Entry
from backend.root import Charlie
from backend.services.entries import Entries
from backend.settings import Settings
from backend.transfer.importer_source import run_import
from tests.helpers import ROOT
from tests.helpers.graph import enrich_all, entity
from tests.helpers.ui import (
    NOW,
    SIZE,
    entry_list,
    list_texts,
    listed_ids,
    make_app,
    seed,
    settle,
    wait_for,
)
from ui.changes import ChangeFeed, Changes
from ui.screens.entity import EntityScreen
from ui.screens.queue import QueueScreen
from ui.screens.reader import ReaderScreen
from ui.widgets.live_reload import LIVE_GAP_SECONDS
from ui.workers import Paced

LIVE_SECONDS = 1.0
"""How soon a write by another process must show on the screen."""


@pytest.fixture
def client(settings: Settings, api: Charlie) -> Iterator[Charlie]:
    """Another process's view of the same data: attached through the handoff."""
    other = Charlie.open(settings, own=False)
    try:
        yield other
    finally:
        other.close()


def count_reloads(monkeypatch: pytest.MonkeyPatch, api: Charlie) -> list[float]:
    """Record when the app reads its list from the top (a reload; reading an older page
    as the cursor nears the end is paging, not counted)."""
    calls: list[float] = []
    real = Entries.list  # The app's reads (the tests' own API does not use Entries).

    def counted(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("before") is None:
            calls.append(time.monotonic())
        return real(*args, **kwargs)

    monkeypatch.setattr(Entries, "list", counted)
    return calls


async def shows(pilot: Pilot[Any], condition: Callable[[], bool], what: str) -> None:
    """The write just made elsewhere must show within LIVE_SECONDS."""
    await wait_for(pilot, condition, what, timeout=LIVE_SECONDS)


def five(api: Charlie) -> list[Entry]:
    return seed(api, *((NOW - timedelta(hours=h), f"Entry {h}", f"body {h}") for h in range(5)))


# -- the home list ---------------------------------------------------------------------


async def test_home_shows_an_entry_another_client_writes(api: Charlie, client: Charlie) -> None:
    five(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        new = client.journal().entries.add(
            "From the other window", entry_at=NOW + timedelta(hours=1)
        )
        await shows(pilot, lambda: listed_ids(app)[:1] == [new.id], "the new entry on top")

        client.journal().entries.edit(new.id, title="Renamed elsewhere")
        await shows(
            pilot,
            lambda: "Renamed elsewhere" in str(entry_list(app).get_option(new.id).prompt),
            "the edit",
        )
        client.journal().entries.delete(new.id)
        await shows(pilot, lambda: new.id not in listed_ids(app), "the delete")


@pytest.mark.slow
async def test_home_shows_an_entry_from_a_real_charlie_new(api: Charlie) -> None:
    five(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "charlie.py", "new", "--title", "From the CLI", "Written in a shell."],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        entry_id = done.stdout.strip()
        await shows(pilot, lambda: entry_id in listed_ids(app), "the CLI's entry")


async def test_the_cursor_stays_on_its_entry_across_live_reloads(
    api: Charlie, client: Charlie
) -> None:
    entries = five(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        chosen = entries[2].id
        assert entry_list(app).highlighted_entry_id == chosen

        newer = client.journal().entries.add("Above the cursor", entry_at=NOW + timedelta(hours=1))
        await shows(pilot, lambda: newer.id in listed_ids(app), "the new entry")
        assert entry_list(app).highlighted_entry_id == chosen

        client.journal().entries.delete(entries[0].id)
        await shows(pilot, lambda: entries[0].id not in listed_ids(app), "the delete")
        assert entry_list(app).highlighted_entry_id == chosen

        # The entry under the cursor itself goes: the cursor lands on a neighbour.
        client.journal().entries.delete(chosen)
        await shows(pilot, lambda: chosen not in listed_ids(app), "its delete")
        assert entry_list(app).highlighted_entry_id in listed_ids(app)


async def test_a_burst_of_500_writes_reloads_the_list_a_few_times(
    api: Charlie, client: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        loads = count_reloads(monkeypatch, api)

        def burst() -> Entry:
            for n in range(500):
                last = client.journal().entries.add(
                    f"burst {n}", entry_at=NOW + timedelta(seconds=n)
                )
            return last

        started = time.monotonic()
        last = await asyncio.to_thread(burst)
        took = time.monotonic() - started
        await shows(pilot, lambda: listed_ids(app)[:1] == [last.id], "the last of the burst")
        await settle(pilot)
        # Paced: at most one reload per gap while the burst lasts, and the last one after.
        assert 1 <= len(loads) <= took / LIVE_GAP_SECONDS + 3, (len(loads), took)
        assert len(loads) < 50


async def test_an_import_elsewhere_shows_in_a_few_reloads(
    api: Charlie, client: Charlie, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(450):
        (folder / f"note{n:03}.md").write_text(f"Imported note number {n}.\n")
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        loads = count_reloads(monkeypatch, api)
        summary = await asyncio.to_thread(run_import, client.backend, "files", folder)
        assert summary.added == 450
        await shows(pilot, lambda: entry_list(app).entry_count == 100, "the imported entries")
        await settle(pilot)
        assert len(loads) <= 4


async def test_a_hidden_list_reloads_when_it_shows_again(
    api: Charlie, client: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = five(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.entry_id == entries[0].id
        loads = count_reloads(monkeypatch, api)

        newer = client.journal().entries.add("While reading", entry_at=NOW + timedelta(hours=1))
        # The reader heard (its "newer" neighbour is the new entry), so the list did too.
        await shows(pilot, lambda: reader.check_action("newer", ()) is True, "the reader")
        await settle(pilot)
        assert loads == []

        await pilot.press("escape")
        await settle(pilot)
        assert listed_ids(app)[:1] == [newer.id]
        assert len(loads) == 1


async def test_home_marks_entries_with_drafts_and_counts_new_ones(
    api: Charlie, client: Charlie
) -> None:
    entries = five(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing, note = entry_list(app), app.home.query_one("#home-drafts")
        assert not note.display

        client.journal().drafts.save(
            "dedit", entry_id=entries[1].id, title="Entry 1", body="changed"
        )
        await shows(pilot, lambda: listing.has_draft(entries[1].id), "the draft mark")
        assert "✎" in str(listing.get_option(entries[1].id).prompt)
        assert "✎" not in str(listing.get_option(entries[0].id).prompt)
        assert note.display
        assert str(note.render()) == "✎ Unsaved drafts: 1 edited entry (marked ✎)"

        client.journal().drafts.save("dnew", entry_id=None, title="", body="half a thought")
        await shows(pilot, lambda: "1 new entry" in str(note.render()), "the new-entry draft")
        assert str(note.render()) == "✎ Unsaved drafts: 1 new entry, 1 edited entry (marked ✎)"

        client.journal().drafts.discard("dedit")
        client.journal().drafts.discard("dnew")
        await shows(pilot, lambda: not note.display, "the drafts gone")
        assert not listing.has_draft(entries[1].id)
        assert "✎" not in str(listing.get_option(entries[1].id).prompt)


# -- other screens ---------------------------------------------------------------------


async def test_the_reader_shows_an_edit_or_a_delete_made_elsewhere(
    api: Charlie, client: Charlie
) -> None:
    entries = five(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        body = reader.query_one("#reader-body")

        client.journal().entries.edit(entries[0].id, body="Rewritten in another window.")
        await shows(
            pilot,
            lambda: "Rewritten in another window." in body.source,  # type: ignore[attr-defined]
            "the new text",
        )
        gone = reader.query_one("#reader-gone")
        assert not gone.display

        client.journal().entries.delete(entries[0].id)
        await shows(pilot, lambda: gone.display, "that it was deleted")
        assert reader.check_action("edit", ()) is None
        assert "Rewritten in another window." in body.source  # type: ignore[attr-defined]
        await pilot.press("left_square_bracket")  # Its neighbours can still be read.
        await settle(pilot)
        assert reader.entry_id == entries[1].id
        assert not gone.display


LUNCH = "lunch with Sarah."


async def test_an_entity_page_shows_new_mentions_and_edits_from_elsewhere(
    api: Charlie, client: Charlie
) -> None:
    (first,) = seed(api, (NOW - timedelta(days=1), "Lunch", LUNCH))
    enrich_all(api)
    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        page = EntityScreen(entity(api, "Sarah").id)
        await app.push_screen(page)
        await settle(pilot)

        def mentions() -> str:
            return " | ".join(list_texts(app, "#entity-mentions"))

        assert "Lunch" in mentions()
        client.journal().entries.add("dinner with Sarah.", title="Dinner", entry_at=NOW)
        # The worker's enrichment, as another process: its "done" event is the news.
        await asyncio.to_thread(enrich_all, client)
        await shows(pilot, lambda: "Dinner" in mentions(), "the new mention")

        client.journal().entries.edit(first.id, title="Long lunch")
        await shows(pilot, lambda: "Long lunch" in mentions(), "the edited title")


async def test_the_queue_screen_shows_a_job_queued_elsewhere(api: Charlie, client: Charlie) -> None:
    app = make_app(api)
    app.QUEUE_CHECK_SECONDS = 3600  # Only the event can explain a quick update.
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        table = app.screen.query_one("#queue-queued", DataTable)

        def titles() -> list[str]:
            return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]

        client.journal().entries.add("queued elsewhere", title="From the CLI")
        await shows(pilot, lambda: "From the CLI" in titles(), "the queued job")


# -- the parts -------------------------------------------------------------------------


def test_changes_merge_events_by_kind() -> None:
    changes = Changes()
    for event in (
        {},
        {"event": "entry", "journal": "j1", "entry": "a", "action": "added"},
        {"event": "entry", "journal": "j1", "entry": "a", "action": "deleted"},
        {"event": "entries", "journal": "j2", "count": 200},
        {"event": "draft", "journal": "j3", "draft": "d1", "action": "saved"},
        {"job": "enrich:j1:b", "event": "done", "state": "done"},
        {"job": "enrich:j1:b", "event": "done", "state": "done"},
    ):
        changes.note(event)
    assert changes.entries == {"a": "deleted"}
    assert changes.journals == {"j1", "j2"}
    assert changes.drafts == {"j3"}
    assert changes.enriched == ["b"]
    assert changes.jobs and changes.data
    assert changes.entries_changed("j2") and not changes.entries_changed("j3")
    assert changes.entries_changed(None)  # Journal not known yet: any change counts.
    assert changes.drafts_changed("j3") and not changes.drafts_changed("j1")

    only_jobs = Changes()
    only_jobs.note({"event": "paused", "cause": "inference"})
    assert only_jobs.jobs and not only_jobs.data

    restored = Changes()
    restored.note({"event": "restored"})
    assert restored.entries_changed("any") and restored.drafts_changed("any")


def test_the_feed_asks_for_one_look_per_burst() -> None:
    feed = ChangeFeed()
    assert not feed.add({})  # Idle ticks are nothing to tell.
    told = [
        feed.add({"event": "entry", "journal": "j", "entry": str(n), "action": "added"})
        for n in range(100)
    ]
    assert told == [True] + [False] * 99
    assert len(feed.take().entries) == 100
    assert feed.take() == Changes()
    assert feed.add({"event": "draft", "journal": "j", "draft": "d", "action": "saved"})


class Timers:
    """A stand-in for a Textual node's set_timer that fires only when told."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], object]] = []

    def set_timer(self, delay: float, callback: Callable[[], object]) -> Any:
        self.pending.append(callback)
        return type("Timer", (), {"stop": lambda _self: self.pending.remove(callback)})()


def test_paced_starts_one_at_a_time_and_no_sooner_than_the_gap() -> None:
    timers, starts = Timers(), []
    paced = Paced(timers, lambda: starts.append(1), gap=3600)
    paced.soon()
    assert starts == [1]  # Nothing ran lately: at once.
    for _ in range(100):
        paced.soon()  # Running: one more after it.
    paced.done()
    assert len(starts) == 1 and len(timers.pending) == 1  # ...once the gap has passed.
    paced.soon()
    assert len(timers.pending) == 1
    timers.pending.pop()()
    assert len(starts) == 2
    paced.done()
    # The user's own action does not wait for the gap, and cancels the paced run.
    paced.soon()
    assert len(timers.pending) == 1
    paced.request()
    assert len(starts) == 3 and timers.pending == []
    paced.request()  # While running: right after it.
    paced.done()
    assert len(starts) == 4


# -- the backend's events for imports ----------------------------------------------------


def test_an_import_publishes_one_event_per_batch(api: Charlie, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(450):
        (folder / f"note{n:03}.md").write_text(f"Imported note number {n}.\n")
    pubsub = api.backend.broker.client.pubsub()
    try:
        pubsub.subscribe(EVENTS)
        confirmed = pubsub.get_message(timeout=5)
        assert confirmed is not None and confirmed["type"] == "subscribe"
        run_import(api.backend, "files", folder)
        heard = []
        while (message := pubsub.get_message(timeout=1)) is not None:
            event = json.loads(message["data"])
            if event.get("event") in ("entries", "entry"):
                heard.append(event)
    finally:
        pubsub.close()
    # 200 entries a batch: three events, not 450.
    assert [(e["event"], e["journal"]) for e in heard] == [("entries", api.journals.get().id)] * 3
    assert sum(e["count"] for e in heard) == 450
