"""One version of an entry's text, read-only, for showing two versions side by side.

The body is a read-only TextArea rather than rendered Markdown, so what is shown is the
text exactly as stored, and the user can select and copy from it (Ctrl+C) before they
choose which version to keep.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static, TextArea


class VersionPane(Vertical):
    """A heading, a line on where the version comes from, its title and its body."""

    DEFAULT_CSS = """
    VersionPane {
        width: 1fr;
        height: 1fr;
        padding: 0 1;
    }
    VersionPane .version-heading {
        text-style: bold;
    }
    VersionPane .version-detail {
        height: 2;  /* The same in both panes, so the texts line up. */
        color: $text-muted;
    }
    VersionPane .version-title {
        height: 1;
    }
    VersionPane TextArea {
        height: 1fr;
        margin-top: 1;
    }
    """

    def __init__(
        self,
        heading: str,
        detail: str,
        title: str,
        body: str,
        *,
        first_change: int = 0,
        id: str | None = None,
    ) -> None:
        """``first_change``: the line to show first (where this version differs)."""
        super().__init__(id=id)
        self.first_change = first_change
        self.heading = heading
        """What this version is ("Yours", "The draft")."""
        self.detail = detail
        """When it was written and how it differs."""
        self.entry_title = title
        """The version's title ("" when it has none)."""
        self.body = body
        """The version's text, shown exactly."""

    def compose(self) -> ComposeResult:
        yield Label(self.heading, classes="version-heading", markup=False)
        yield Static(self.detail, classes="version-detail", markup=False)
        yield Static(
            f"Title: {self.entry_title}" if self.entry_title else "No title",
            classes="version-title",
            markup=False,
        )
        area = TextArea(self.body, read_only=True, soft_wrap=True, classes="version-body")
        area.cursor_blink = False
        yield area

    def on_mount(self) -> None:
        if self.first_change:
            area = self.query_one(TextArea)
            area.move_cursor((self.first_change, 0))
            # Once laid out, so the scroll knows the wrapped height.
            self.call_after_refresh(area.scroll_cursor_visible, center=True, animate=False)
