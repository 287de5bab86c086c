"""The reader's list of an entry's attachments (photos), under its text: what each is
and how big. v (the reader's key) or Enter opens the highlighted one with the system's
viewer; the list is hidden for an entry without any."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from backend.errors import CharlieError
from backend.services.attachments import AttachmentInfo, Attachments
from backend.settings import Settings

HINT = "v opens the highlighted one with your system's viewer"


def size_text(size: int | None) -> str:
    """A file size as people read it ("1.2 MB"), or "missing"."""
    if size is None:
        return "missing"
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class AttachmentList(Vertical):
    """An entry's attachments, one a line: type, size and the start of its name."""

    DEFAULT_CSS = """
    AttachmentList {
        height: auto;
        display: none;
        margin: 1 0 1 0;
        max-width: 88;
        & > #attachments-title {
            text-style: bold;
            color: $text-muted;
            padding: 0 1;
        }
        & > OptionList {
            height: auto;
            max-height: 12;
            border: none;
            background: transparent;
            &:focus {
                border: none;
            }
        }
    }
    """

    class Described(Message):
        """What the attachments of the entry shown are arrived."""

        def __init__(self, names: tuple[str, ...], infos: list[AttachmentInfo]) -> None:
            super().__init__()
            self.names = names
            self.infos = infos

    class Opened(Message):
        """An attachment was handed to the system's viewer (``error``: why not)."""

        def __init__(self, name: str, viewer: str = "", error: str = "") -> None:
            super().__init__()
            self.name = name
            self.viewer = viewer
            self.error = error

    def __init__(self, settings: Settings, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._files = Attachments(settings)
        self.names: tuple[str, ...] = ()
        """The names of the attachments shown (or being described)."""
        self.infos: list[AttachmentInfo] = []

    def compose(self) -> ComposeResult:
        yield Label("Attachments", id="attachments-title")
        yield OptionList(id="attachments-list")

    def show(self, names: tuple[str, ...]) -> None:
        """Show these attachments (none: the list hides)."""
        if names == self.names:
            return
        self.names = names
        self.display = bool(names)
        if not names:
            self.infos = []
            self.query_one(OptionList).clear_options()
            return
        self._describe(names)

    @work(thread=True, exclusive=True, group="attachments-describe", exit_on_error=False)
    def _describe(self, names: tuple[str, ...]) -> None:
        # Looking at files is disk work: never on the UI thread.
        self.post_message(self.Described(names, self._files.describe(names)))

    def on_attachment_list_described(self, message: Described) -> None:
        """Fill the list (unless the entry shown changed meanwhile)."""
        message.stop()
        if message.names != self.names:
            return
        self.infos = message.infos
        count = len(message.infos)
        title = f"Attachments ({count}) — {HINT}" if count else "Attachments"
        self.query_one("#attachments-title", Label).update(title)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(
                Content.assemble(
                    (info.kind, "bold"),
                    (f"  {size_text(info.size)}  ", "$foreground-muted"),
                    (info.name[:12] + "…", "$foreground-muted"),
                ),
                id=info.name,
            )
            for info in message.infos
        )
        if message.infos:
            options.highlighted = 0

    @property
    def highlighted(self) -> AttachmentInfo | None:
        """The attachment under the cursor (the first when the list has no focus yet)."""
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None or not 0 <= index < len(self.infos):
            return self.infos[0] if self.infos else None
        return self.infos[index]

    @on(OptionList.OptionSelected, "#attachments-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.open_highlighted()

    def open_highlighted(self) -> None:
        """Open the highlighted attachment with the system's viewer."""
        info = self.highlighted
        if info is None:
            self.notify("This entry has no attachments.")
            return
        self._open(info.name)

    @work(thread=True, group="attachments-open", exit_on_error=False)
    def _open(self, name: str) -> None:
        try:
            viewer = self._files.open(name)
        except CharlieError as exc:
            self.post_message(self.Opened(name, error=str(exc)))
        else:
            self.post_message(self.Opened(name, viewer=viewer))

    def on_attachment_list_opened(self, message: Opened) -> None:
        """Say what happened (an error says why, in words)."""
        message.stop()
        if message.error:
            self.notify(message.error, severity="error", title="Cannot open the attachment")
        else:
            self.notify(f"Opened with {message.viewer}")
