"""`charlie new --tag --star`, `list --tag --starred`, `tags [--json]`, `star`/`unstar`,
and the tags and star in `list --json` and `show --json`."""

from __future__ import annotations

import json

import pytest

from backend.settings import Settings
from charlie import main

pytestmark = pytest.mark.slow


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_tags_and_stars_from_the_command_line(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _run(capsys, "tags") == "No tags yet (write #words in an entry, or charlie new --tag T).\n"
    )
    assert json.loads(_run(capsys, "tags", "--json")) == []

    first = _run(
        capsys,
        "new",
        "--date",
        "2024-03-05 07:30",
        "--tag",
        "Work",
        "--tag",
        "#plans",
        "--star",
        "Standup #work",
    ).strip()
    second = _run(capsys, "new", "--date", "2024-03-06 09:00", "A #walk in the park").strip()

    shown = json.loads(_run(capsys, "show", first, "--json"))
    assert (shown["tags"], shown["starred"]) == (["plans", "work"], True)
    assert "★ #plans #work" in _run(capsys, "show", first)

    listed = json.loads(_run(capsys, "list", "--json"))
    assert [(e["id"], e["tags"], e["starred"]) for e in listed] == [
        (second, ["walk"], False),
        (first, ["plans", "work"], True),
    ]
    assert [e["id"] for e in json.loads(_run(capsys, "list", "--json", "--tag", "#WORK"))] == [
        first
    ]
    assert [e["id"] for e in json.loads(_run(capsys, "list", "--json", "--starred"))] == [first]
    text = _run(capsys, "list", "--starred")
    assert text.startswith(first) and text.rstrip().endswith("★ #plans #work")

    assert _run(capsys, "star", second[:8]) == f"Starred {second}\n"
    assert _run(capsys, "unstar", first[:8]) == f"Unstarred {first}\n"
    assert [e["id"] for e in json.loads(_run(capsys, "list", "--json", "--starred"))] == [second]

    tags = json.loads(_run(capsys, "tags", "--json"))
    assert tags == [
        {"tag": "plans", "count": 1, "last_used": "2024-03-05T07:30:00+00:00"},
        {"tag": "walk", "count": 1, "last_used": "2024-03-06T09:00:00+00:00"},
        {"tag": "work", "count": 1, "last_used": "2024-03-05T07:30:00+00:00"},
    ]
    table = _run(capsys, "tags")
    assert "#walk" in table and "1 entry  last 2024-03-06" in table

    assert main(["star", "ffffffff"]) == 1
    assert "no entry" in capsys.readouterr().err.lower()
    assert main(["list", "--tag", "###"]) == 1
    assert "not a tag" in capsys.readouterr().err
