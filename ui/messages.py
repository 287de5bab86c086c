"""App-wide messages: screens post these to the app, which tells the screens that care.

Screen-local results (a page loaded, an entry fetched) are nested classes on their
screens instead; only news that crosses screens lives here.
"""

from __future__ import annotations

from textual.message import Message

from ui.changes import Changes
from ui.queue_data import QueueStatus


class EntriesChanged(Message):
    """An entry was saved or deleted, so lists of entries are out of date."""

    def __init__(self, entry_id: str | None = None) -> None:
        super().__init__()
        self.entry_id = entry_id
        """The entry to highlight when the list is shown again (None after a delete)."""


class JournalRenamed(Message):
    """A journal got a new name; if it is the open one, the app follows the rename."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__()
        self.old = old
        """The name it had."""
        self.new = new
        """The name it has now."""


class QueueChanged(Message):
    """Background work moved on (an event arrived, or the periodic check ran).

    The app sends it to the screen on top after every fresh reading of the queue, so a
    screen that lists jobs refreshes on events and, since the check also runs on a
    timer, even when an event was missed.
    """

    def __init__(self, status: QueueStatus) -> None:
        super().__init__()
        self.status = status
        """The reading the app just took."""


# Both messages below are posted to the app, which hands them on to every open screen;
# they must not bubble, or each screen would hand them back up to the app again.


class GraphChanged(Message, bubble=False):
    """Entities were renamed, merged, unlinked, deleted, blocked or unblocked by hand.

    Post it to the app, which passes it to every open screen: screens that show the
    knowledge graph load it again (at once if on top, else when they show again).
    """


class EntryEnriched(Message, bubble=False):
    """An entry's enrichment finished (a job event), so its connections are in the graph.

    The app posts it to every open screen; the reader showing that entry reloads its
    connections, and views of the whole graph catch up.
    """

    def __init__(self, entry_id: str) -> None:
        super().__init__()
        self.entry_id = entry_id
        """The entry whose enrichment was committed."""


class DataChanged(Message, bubble=False):
    """Entries, the graph or drafts were written, by this app or any other process.

    The app posts it to every open screen when the database's change events arrive
    (bursts merged into one); each screen reads ``changes`` to see whether what it shows
    is affected, and reloads (paced: see ui/widgets/live_reload.py) if so.
    """

    def __init__(self, changes: Changes) -> None:
        super().__init__()
        self.changes = changes
        """What changed (shared by every screen: read it, do not change it)."""
