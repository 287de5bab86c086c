"""The stylesheets of every screen and dialog, loaded once by the app."""

from __future__ import annotations

from pathlib import Path, PurePath

_HERE = Path(__file__).parent
CSS_FILES: list[str | PurePath] = [
    _HERE / "app.tcss",
    _HERE / "screens" / "home.tcss",
    _HERE / "screens" / "editor.tcss",
    _HERE / "screens" / "reader.tcss",
    _HERE / "screens" / "startup_error.tcss",
    _HERE / "screens" / "queue.tcss",
    _HERE / "screens" / "dead_jobs.tcss",
    _HERE / "screens" / "job_detail.tcss",
    _HERE / "screens" / "settings.tcss",
    _HERE / "screens" / "import_screen.tcss",
    _HERE / "screens" / "entity.tcss",
    _HERE / "screens" / "search.tcss",
    _HERE / "screens" / "period.tcss",
    _HERE / "screens" / "author.tcss",
    _HERE / "screens" / "doctor.tcss",
    _HERE / "screens" / "calendar.tcss",
    _HERE / "dialogs" / "dialogs.tcss",
    _HERE / "dialogs" / "graph_dialogs.tcss",
    _HERE / "dialogs" / "drafts.tcss",
    _HERE / "dialogs" / "export.tcss",
    _HERE / "screens" / "tag.tcss",
    _HERE / "dialogs" / "tag_filter.tcss",
]
