"""The editor's draft keeper (ordering against the entry's save) and the small helpers
of the draft and conflict dialogs, on a real API."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

from backend.drafts import new_draft_id
from backend.root import Charlie
from ui import text_changes, timeline
from ui.dialogs.edit_conflict import copy_title
from ui.draft_keeper import DraftKeeper, Snapshot

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)


def keeper(api: Charlie, **kwargs: object) -> DraftKeeper:
    return DraftKeeper(
        api,
        api.journals.get().name,
        new_draft_id(),
        entry_id=None,
        base_revision=0,
        **kwargs,  # type: ignore[arg-type]
    )


def test_writes_only_what_changes_what_is_stored(api: Charlie) -> None:
    kept = keeper(api)
    text = Snapshot("", "2026-03-18 10:00", "Hello")
    assert not kept.needs_write(Snapshot("", "", ""), clean=True)  # Nothing to remove.
    assert kept.needs_write(text, clean=False)
    kept.offer(text, clean=False)
    assert kept.flush()
    assert [d.body for d in api.drafts.list()] == ["Hello"]
    assert not kept.needs_write(text, clean=False)
    kept.base_revision = 3  # What the text is based on changed: write again.
    assert kept.needs_write(text, clean=False)
    kept.offer(Snapshot("", "", ""), clean=True)
    kept.flush()
    assert api.drafts.list() == [] and not kept.has_draft


def test_only_the_newest_offer_is_written(api: Charlie) -> None:
    kept = keeper(api)
    kept.offer(Snapshot("", "", "first"), clean=False)
    kept.offer(Snapshot("", "", "second"), clean=False)
    kept.flush()
    kept.flush()  # Nothing left to write.
    assert [d.body for d in api.drafts.list()] == ["second"]


def test_no_draft_write_lands_after_the_save(api: Charlie) -> None:
    """A draft write that waits while the entry is saved must not bring the draft back."""
    kept = keeper(api)
    kept.offer(Snapshot("", "", "typed"), clean=False)
    kept.flush()
    saving = threading.Event()
    release = threading.Event()

    def save() -> object:
        saving.set()
        release.wait(10)
        return api.journal(kept.journal).entries.add("typed", draft_id=kept.draft_id)

    saver = threading.Thread(target=lambda: kept.finish(save))
    saver.start()
    saving.wait(10)
    kept.offer(Snapshot("", "", "typed more"), clean=False)
    writer = threading.Thread(target=kept.flush)
    writer.start()  # Blocks on the save.
    release.set()
    saver.join(10)
    writer.join(10)
    assert kept.finished
    assert api.drafts.list() == []
    assert [e.preview for e in api.journal().entries.list().entries] == ["typed"]


def test_a_wait_that_runs_out_writes_nothing(api: Charlie) -> None:
    kept = keeper(api)
    saving, release = threading.Event(), threading.Event()

    def slow_save() -> None:
        saving.set()
        release.wait(10)

    holder = threading.Thread(target=lambda: kept.finish(slow_save))
    holder.start()
    try:
        saving.wait(10)
        kept.offer(Snapshot("", "", "x"), clean=False)
        assert not kept.flush(wait=0.05)
    finally:
        release.set()
        holder.join(10)
    assert api.drafts.list() == []


def test_a_restored_draft_counts_as_stored(api: Charlie) -> None:
    draft = api.journal().drafts.save(new_draft_id(), entry_id=None, title="T", body="B", when="w")
    kept = DraftKeeper(
        api,
        api.journals.get().name,
        draft.id,
        entry_id=None,
        base_revision=0,
        stored=Snapshot.of_draft(draft),
    )
    assert kept.has_draft and not kept.needs_write(Snapshot("T", "w", "B"), clean=False)
    kept.discard()
    assert api.drafts.list() == [] and kept.finished
    assert not kept.needs_write(Snapshot("T", "w", "B more"), clean=False)


def test_moment() -> None:
    assert timeline.moment(NOW - timedelta(minutes=28), NOW) == "09:32"
    assert timeline.moment(NOW - timedelta(days=1), NOW) == "Tue 17 Mar 10:00"
    assert (
        timeline.moment(datetime(2025, 12, 24, 20, 0, tzinfo=UTC), NOW) == "Wed 24 Dec 2025 20:00"
    )
    # Shown in the reader's zone, whatever zone the time came in.
    later = datetime(2026, 3, 18, 23, 30, tzinfo=timezone(timedelta(hours=2)))
    assert timeline.moment(later, NOW) == "21:30"


def test_describing_changes() -> None:
    assert text_changes.describe("T", "a\nb", "T", "a\nb") == "no change to the text"
    assert text_changes.describe("T", "a\nb", "U", "a\nb") == "the title"
    assert text_changes.describe("", "a\nb", "", "a\nc\nd") == "2 lines added, 1 removed"
    assert text_changes.describe("", "a", "", "a\nb") == "1 line added"
    assert text_changes.describe("", "a\nb", "", "a") == "1 line removed"
    assert text_changes.describe("", "a\n", "", "a") == "spacing"
    assert text_changes.first_change("a\nb\nc", "a\nb\nX\nc") == 2
    assert text_changes.first_change("a", "a") == 0


def test_copy_title() -> None:
    assert copy_title("Walk ") == "Walk (copy)"
    assert copy_title("  ") == "(copy)"
