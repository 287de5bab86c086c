"""`charlie search`: the query syntax and the same filters as options, --json, and plain
text with no terminal codes when piped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from backend.settings import Settings
from charlie import main

DAY = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def journal(settings: Settings) -> dict[str, str]:
    """A small journal: three entries, one tagged and starred, Ana mentioned twice."""
    from backend.root import Charlie
    from tests.helpers.graph import Lexicon, enrich_all

    with Charlie.open(settings) as api:
        entries = api.journal().entries
        old = entries.add("Coffee with Ana at the Café.", entry_at=DAY - timedelta(days=30))
        new = entries.add(
            "Back at the cafe with Ana in Lisbon.", title="Café again", entry_at=DAY, tags=["work"]
        )
        quiet = entries.add("A quiet day.", entry_at=DAY - timedelta(days=2))
        entries.star(new.id)
        api.journals.create("Work")
        api.journal("Work").entries.add("Café budget.", entry_at=DAY)
        enrich_all(api, extractor=Lexicon({"Ana": "Person", "Lisbon": "Place"}))
    return {"old": old.id, "new": new.id, "quiet": quiet.id}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["search", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_search_json_shape_and_folding(
    journal: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "cafe", "--json")
    assert code == 0
    found = json.loads(out)
    assert set(found) == {"query", "journal", "filters", "notes", "entries", "entities"}
    assert [e["id"] for e in found["entries"]] == [journal["new"], journal["old"]]
    first = found["entries"][0]
    assert set(first) == {"id", "date", "title", "snippet", "marks", "tags", "starred"}
    assert first["title"] == "Café again" and first["tags"] == ["work"] and first["starred"]
    assert [first["snippet"][s:e] for s, e in first["marks"]] == ["cafe"]
    assert found["entries"][1]["snippet"][slice(*found["entries"][1]["marks"][0])] == "Café"
    assert found["journal"] == "Journal" and found["filters"] == []


def test_filters_as_options_and_in_the_text_agree(
    journal: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    def entry_ids(*args: str) -> list[str]:
        code, out, err = run(capsys, *args, "--json")
        assert code == 0, err
        return [e["id"] for e in json.loads(out)["entries"]]

    assert entry_ids("--tag", "work") == entry_ids("tag:work") == [journal["new"]]
    assert entry_ids("--starred") == entry_ids("starred") == [journal["new"]]
    assert entry_ids("--person", "ana") == [journal["new"], journal["old"]]
    assert entry_ids("--place", "Lisbon", "--person", "Ana") == [journal["new"]]
    assert entry_ids("--before", "2026-03-09") == [journal["quiet"], journal["old"]]
    assert entry_ids("--after", "2026-03-01", "day") == [journal["quiet"]]
    assert entry_ids("cafe", "--journal", "Work") != entry_ids("cafe")
    code, out, _ = run(capsys, "journal:Work", "cafe", "--json")
    assert json.loads(out)["journal"] == "Work"
    code, out, _ = run(capsys, "--tag", "work", "--starred", "--json")
    assert json.loads(out)["filters"] == ["tag:work", "starred"]


def test_plain_output_and_errors(
    journal: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "cafe")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(journal["new"][:8]) and "Café again — Back at the cafe" in lines[0]
    assert "\x1b[" not in out  # Piped: no terminal codes.
    code, out, err = run(capsys, "--before", "tomorrow")
    assert code == 1 and "before: needs a date like 2026-03-17" in err
    code, out, err = run(capsys, "person:Zed")
    assert code == 0 and out == "No person is called 'Zed'.\nNothing found.\n"
    code, out, err = run(capsys)
    assert code == 2 and "Give words or filters" in err
