"""An entry's Markdown with the names of its entities turned into links.

The entry is stored exactly as written; the links exist only on screen. Each spelling
the entry used for an entity ("Sarah", "Sarah's") becomes ``[Sarah](entity:ID)`` where
it stands as a whole word in ordinary text. Code, existing links, autolinks, HTML and
link definitions are left alone, so the rendered entry reads exactly as before, only
with its names clickable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from textual.message import Message
from textual.widgets import Markdown

from backend.models import EntityRef

SCHEME = "entity:"
"""How an entity link's address starts; the rest is the entity's id."""

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:")
# Inline spans that must not be touched, in the order Markdown reads them: code spans,
# images and links (inline or by reference), autolinks and HTML tags, bare addresses.
_PROTECTED = re.compile(
    r"(`+)[\s\S]*?\1"
    r"|!?\[(?:[^\[\]]|\[[^\]]*\])*\](?:\([^)]*\)|\[[^\]]*\])?"
    r"|<[^>\n]*>"
    r"|\b(?:https?|ftp|mailto):[^\s)]+"
)
# Characters that would change the Markdown around a link if they were in its text.
_UNSAFE = re.compile(r"[\[\]()<>`\\*_]")


def entity_href(entity_id: str) -> str:
    """The address an entity link points to."""
    return f"{SCHEME}{entity_id}"


def entity_id_of(href: str) -> str | None:
    """The entity id an address points to, or None for any other link."""
    return href[len(SCHEME) :] if href.startswith(SCHEME) else None


def link_entities(body: str, mentions: Iterable[tuple[EntityRef, tuple[str, ...]]]) -> str:
    """``body`` with every spelling of every mentioned entity made into a link.

    Longer spellings win over shorter ones they contain ("Sarah Jones" over "Sarah").
    Where two entities share a spelling (Jordan the person, Jordan the place) the first
    in the list wins, since the text alone cannot say which is meant.
    """
    targets: dict[str, str] = {}
    for ref, spellings in mentions:
        for spelling in (*spellings, ref.name):
            spelling = spelling.strip()
            if spelling and not _UNSAFE.search(spelling):
                targets.setdefault(spelling, ref.id)
    if not targets:
        return body
    names = sorted(targets, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w\[])(" + "|".join(map(re.escape, names)) + r")(?![\w\]])")

    def link(match: re.Match[str]) -> str:
        return f"[{match.group(1)}]({entity_href(targets[match.group(1)])})"

    out: list[str] = []
    fence: str | None = None
    comment = False
    for line in body.splitlines(keepends=True):
        opening = _FENCE.match(line)
        if fence is not None:
            # Inside a fenced code block until a fence of the same kind closes it.
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            out.append(line)
        elif opening:
            fence = opening.group(1)
            out.append(line)
        elif comment or line.lstrip().startswith("<!--"):
            # An HTML comment can span lines; nothing in it is shown.
            comment = "-->" not in line
            out.append(line)
        elif line.startswith(("    ", "\t")) or _LINK_DEFINITION.match(line):
            # Indented code (or a continuation we cannot tell from it) and link
            # definitions: a link there would show as text or break the definition.
            out.append(line)
        else:
            out.append(_link_line(line, pattern, link))
    return "".join(out)


def _link_line(line: str, pattern: re.Pattern[str], link: Callable[[re.Match[str]], str]) -> str:
    """Link names in the plain stretches of one line, between protected spans."""
    pieces: list[str] = []
    start = 0
    for span in _PROTECTED.finditer(line):
        pieces.append(pattern.sub(link, line[start : span.start()]))
        pieces.append(span.group(0))
        start = span.end()
    pieces.append(pattern.sub(link, line[start:]))
    return "".join(pieces)


class EntityMarkdown(Markdown):
    """Renders an entry with entity links; a click on one posts :class:`EntityClicked`.

    Other links open in the browser as they would in a plain Markdown widget.
    """

    class EntityClicked(Message):
        """The user clicked an entity's name in the text."""

        def __init__(self, entity_id: str) -> None:
            super().__init__()
            self.entity_id = entity_id
            """The id of the entity clicked."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, open_links=False)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        """Open an entity's page, or any other link in the browser."""
        event.stop()
        entity_id = entity_id_of(event.href)
        if entity_id is not None:
            self.post_message(self.EntityClicked(entity_id))
        else:
            self.app.open_url(event.href)
