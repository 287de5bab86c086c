"""`charlie templates [--json]` and `charlie new --template NAME`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.settings import Settings
from charlie import main
from tests.helpers.procs import charlie

MORNING = "---\ntitle: Morning {weekday}\n---\n## Plans for {date}\n- \n"


def _write_templates(settings: Settings) -> Path:
    folder = settings.config_file.parent / "templates"
    folder.mkdir(parents=True)
    (folder / "morning.md").write_text(MORNING, encoding="utf-8")
    (folder / "mood.md").write_text("Mood: {mood}\nin {journal}\n", encoding="utf-8")
    (folder / "broken.md").write_bytes(b"\xff\xfe\xfa not text")
    settings.config_file.write_text(
        '[templates]\nweekly = "# Week of {date}\\nWins:\\n"\nmorning = "shadowed by the file"\n',
        encoding="utf-8",
    )
    return folder


def test_templates_with_none_says_where_they_go(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["templates"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No templates. Put Markdown files in ")
    assert str(settings.config_file.parent / "templates") in out
    assert main(["templates", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_templates_lists_files_and_config_with_problems_on_stderr(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _write_templates(settings)
    assert main(["templates", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == [
        {
            "name": "mood",
            "title": "",
            "source": "file",
            "path": str(folder / "mood.md"),
            "fields": ["journal"],
            "unknown_fields": ["{mood}"],
        },
        {
            "name": "morning",
            "title": "Morning {weekday}",
            "source": "file",
            "path": str(folder / "morning.md"),
            "fields": ["weekday", "date"],
            "unknown_fields": [],
        },
        {
            "name": "weekly",
            "title": "Week of {date}",
            "source": "config",
            "path": None,
            "fields": ["date"],
            "unknown_fields": [],
        },
    ]
    assert (
        captured.err
        == f"charlie: Skipped the template {folder / 'broken.md'}: it is not UTF-8 text\n"
    )

    assert main(["templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"mood     {folder / 'mood.md'}  (unknown fields left as typed: {{mood}})",
        f"morning  {folder / 'morning.md'}  Morning {{weekday}}",
        "weekly   config  Week of {date}",
    ]


@pytest.mark.slow
def test_new_from_a_template(settings: Settings) -> None:
    _write_templates(settings)

    def show(entry_id: str) -> dict[str, str]:
        shown = charlie("show", entry_id, "--json")
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)  # type: ignore[no-any-return]

    # The template alone (empty standard input), its fields filled for the entry's date.
    made = charlie("new", "--template", "Morning", "--date", "2024-03-05 07:30", stdin="")
    assert made.returncode == 0, made.stderr
    entry = show(made.stdout.strip())
    assert entry["title"] == "Morning Tuesday"
    assert entry["body"] == "## Plans for 2024-03-05\n- \n"

    # Text as an argument goes after the template; --title wins over the template's.
    made = charlie(
        "new", "--template", "weekly", "--title", "Mine", "--date", "2024-03-04", "Shipped"
    )
    assert made.returncode == 0, made.stderr
    entry = show(made.stdout.strip())
    assert (entry["title"], entry["body"]) == ("Mine", "Wins:\n\nShipped")

    # Standard input too; an unknown field is left as typed and reported, not an error.
    made = charlie("new", "--template", "mood", stdin="Calm.\n")
    assert made.returncode == 0, made.stderr
    assert made.stderr == "charlie: template 'mood': {mood} is not a field; left as typed\n"
    entry = show(made.stdout.strip())
    assert entry["body"] == "Mood: {mood}\nin Journal\n\nCalm.\n"

    # An unknown template is one line naming the known ones, and nothing is written.
    missing = charlie("new", "--template", "evening", "Text")
    assert missing.returncode == 1
    assert missing.stderr == (
        "charlie: No template named 'evening'. Known templates: mood, morning, weekly.\n"
    )
    listed = json.loads(charlie("list", "--json").stdout)
    assert len(listed) == 3
