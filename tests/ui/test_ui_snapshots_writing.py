"""Snapshots of writing help: the template picker, the question of the day in an empty
new entry, and the reader's reading width on a 200-column terminal.

Update with ``pytest tests/ui/test_ui_snapshots_writing.py --snapshot-update`` and look at
the SVGs before committing them.
"""

from __future__ import annotations

from typing import Any

from backend.root import Charlie
from tests.helpers.seeds import seed_graph, seed_journal
from tests.helpers.ui import SIZE, keys, make_app

WIDE = (200, 32)


def test_template_picker(snap_compare: Any, api: Charlie) -> None:
    seed_journal(api)
    folder = api.settings.config_file.parent / "templates"
    folder.mkdir()
    (folder / "morning.md").write_text("# Morning, {weekday}\n\n## Plans\n- ", encoding="utf-8")
    (folder / "gratitude.md").write_text("Three good things:\n1. ", encoding="utf-8")
    api.save_settings(templates={"weekly review": "---\ntitle: Week of {date}\n---\nWins:\n"})
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("n"))


def test_new_entry_with_the_question_of_the_day(snap_compare: Any, api: Charlie) -> None:
    assert snap_compare(make_app(api), terminal_size=SIZE, run_before=keys("n"))


def test_reader_at_200_columns(snap_compare: Any, api: Charlie) -> None:
    seed_graph(api)
    assert snap_compare(make_app(api), terminal_size=WIDE, run_before=keys("enter"))
