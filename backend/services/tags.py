"""One journal's tags and stars: star or unstar an entry, every tag with its count and
last use, one tag's page. ``Entries`` (``backend.services.entries``) has these too, so
``journal.entries.star(id)`` and ``journal.entries.tags()`` read as they should; its
``list`` filters by tag and star."""

from __future__ import annotations

from backend.errors import NotFoundError, ValidationError
from backend.graph.tags import tag_counts, tag_page
from backend.models import TagCount, TagPage, normalise_tag
from backend.services.friendly import friendly_errors
from backend.shared import JournalService


def check_tag(tag: str) -> str:
    """A tag as asked for ("#Work" is "work"); ValidationError if nothing is left."""
    found = normalise_tag(tag) if isinstance(tag, str) else ""
    if not found:
        raise ValidationError(f"{tag!r} is not a tag (letters, digits, '-', '_' or '/').")
    return found


@friendly_errors
class TagViews(JournalService):
    """Stars and tags of one journal's entries."""

    def star(self, entry_id: str) -> None:
        """Star the entry (starring it twice is harmless). Only the star is written: an
        edit saved at the same moment keeps every word, and the star stays."""
        self._set_star(entry_id, True)

    def unstar(self, entry_id: str) -> None:
        """Take the entry's star away (harmless when it has none)."""
        self._set_star(entry_id, False)

    def _set_star(self, entry_id: str, starred: bool) -> None:
        journal = self._journal
        if not self._backend.store.set_starred(journal, entry_id, starred):
            raise NotFoundError(f"There is no entry {entry_id} in {journal.name!r}.")

    def tags(self) -> list[TagCount]:
        """Every tag with how many entries carry it and when it was last used, most
        used first."""
        journal = self._journal
        return tag_counts(self._backend.store.graph(journal))

    def tag_page(self, tag: str, *, limit: int = 100) -> TagPage:
        """A tag's page: its count, first and last use and newest entries (more with
        ``list(tag=..., before=page.entries.next_cursor)``)."""
        wanted = check_tag(tag)
        if limit < 1:
            raise ValidationError("A page holds at least one entry.")
        return tag_page(self._backend.store.graph(self._journal), wanted, limit=limit)
