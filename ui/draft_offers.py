"""Offering unsaved drafts back, one at a time, newest first.

On start (and after switching journals) the app offers each draft of the open journal
that no running editor is writing; the editor does the same for drafts of the entry it
opens. One dialog per draft rather than a list: each draft needs its own decision and
usually there is one (a closed terminal); with several, "2 of 3" in the heading says how
many remain. Later (Escape) leaves a draft for the next start; `charlie drafts` lists
them all.

Which drafts are "dead": every editor marks its draft id as open (the presence marks of
backend/presence.py, refreshed every few seconds, gone 30 s after a crash). An app that
started the database itself knows every editor from before is gone, so at start it
offers all of them without waiting for marks of a killed app to expire.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from backend.drafts import Draft, new_draft_id
from backend.errors import NotFoundError
from backend.models import Entry
from ui.dialogs.compare_draft import CompareDraft
from ui.dialogs.restore_draft import RestoreDraft

if TYPE_CHECKING:
    from backend.root import Charlie
    from ui.app import CharlieApp


@dataclass(frozen=True)
class Offer:
    """A draft to offer, with the entry it changes as stored now."""

    draft: Draft
    entry: Entry | None
    """None for a new entry's draft, or when the edited entry was deleted since."""


Restore = Callable[[Offer, Callable[[], None]], None]
"""Restores an offer, then calls the second argument to go on to the next offer."""


def unclaimed(api: Charlie, drafts: Iterable[Draft], session: str) -> list[Draft]:
    """The drafts that no running editor is writing."""
    return [d for d in drafts if api.journal(d.journal).entries.open_elsewhere(d.id, session) == 0]


def load_offers(api: Charlie, drafts: Iterable[Draft]) -> list[Offer]:
    """Each draft with its entry (blocking: call from a thread)."""
    offers = []
    for draft in drafts:
        entry = None
        if draft.entry_id is not None:
            try:
                entry = api.journal(draft.journal).entries.get(draft.entry_id)
            except NotFoundError:
                entry = None
        offers.append(Offer(draft, entry))
    return offers


def discard(app: CharlieApp, draft: Draft) -> None:
    """Throw a draft away on purpose, in the background (an error is reported)."""
    app.run_worker(
        lambda: app.api.journal(draft.journal).drafts.discard(draft.id),
        thread=True,
        group="draft-discard",
        exit_on_error=False,
    )


class DraftOffers:
    """Shows the offers one after another; each answer leads to the next."""

    def __init__(self, app: CharlieApp, offers: list[Offer], restore: Restore) -> None:
        self.app = app
        self._offers = offers
        self._restore = restore
        self._total = len(offers)

    def start(self) -> None:
        """Show the first offer."""
        self._next()

    def _next(self) -> None:
        if not self._offers:
            return
        offer = self._offers.pop(0)
        position = (self._total - len(self._offers), self._total)
        dialog = RestoreDraft(offer.draft, offer.entry, now=self.app.now(), position=position)
        self.app.push_screen(dialog, partial(self._answered, offer))

    def _answered(self, offer: Offer, choice: str | None) -> None:
        if choice == "restore":
            self._restore(offer, self._next)
        elif choice == "compare" and offer.entry is not None:
            compare = CompareDraft(offer.draft, offer.entry, now=self.app.now())
            self.app.push_screen(compare, partial(self._answered, offer))
        elif choice == "discard":
            discard(self.app, offer.draft)
            self.app.notify("Draft discarded")
            self._next()
        else:
            self._next()


def offer_journal_drafts(app: CharlieApp, *, at_start: bool) -> None:
    """Offer the open journal's drafts that no editor is writing."""
    app.run_worker(_find_and_offer(app, at_start), group="draft-offers", exit_on_error=False)


async def _find_and_offer(app: CharlieApp, at_start: bool) -> None:
    journal = app.journal
    # Only an app that started the database can be sure no editor from before lives on.
    trust_all = at_start and app.api.status().get("role") == "owner"

    def find() -> list[Offer]:
        drafts = app.api.journal(journal).drafts.list()
        if not trust_all:
            drafts = unclaimed(app.api, drafts, new_draft_id())
        return load_offers(app.api, drafts)

    offers = await asyncio.to_thread(find)
    # Imported here: the editor imports this module for its own offers.
    from ui.screens.editor import EditorScreen

    if any(isinstance(screen, EditorScreen) for screen in app.screen_stack):
        # The user is already writing (a key pressed before the offer came): a dialog
        # over the editor would only interrupt. The drafts wait for the next start.
        return
    if offers and journal == app.journal:
        DraftOffers(app, offers, partial(_open_in_editor, app)).start()


def _open_in_editor(app: CharlieApp, offer: Offer, then: Callable[[], None]) -> None:
    from ui.screens.editor import EditorScreen

    editor = EditorScreen(offer.entry, draft=offer.draft, offer_drafts=False)
    app.push_screen(editor, lambda _saved: then())
