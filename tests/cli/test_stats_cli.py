"""`charlie stats` and `charlie onthisday`, run in this process on a real data directory
(each command starts and stops its own server, as from a shell)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from backend.root import Charlie
from backend.services.time import today
from backend.settings import Settings
from charlie import main
from tests.helpers.graph import Lexicon, enrich_all

pytestmark = pytest.mark.slow

LEXICON = Lexicon({"Ana": "Person", "Tom": "Person", "Lisbon": "Place"})


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_stats_text_and_json(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    now = today()
    with Charlie.open(settings) as api:
        add = api.journal().entries.add
        add("Ana and Tom in Lisbon.", entry_at=noon(now - timedelta(days=1)))
        add("Ana again.", entry_at=noon(now - timedelta(days=2)))
        first = add("Long ago with Tom.", entry_at=noon(now - timedelta(days=800)))
        enrich_all(api, extractor=LEXICON)
    assert main(["stats", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("journal", "entries", "words", "days_written")} == {
        "journal": "Journal",
        "entries": 3,
        "words": 11,
        "days_written": 3,
    }
    assert out["first_day"] == first.entry_at.date().isoformat()
    assert out["streak"] == {
        "current": 2,
        "longest": 2,
        "longest_end": (now - timedelta(days=1)).isoformat(),
    }
    assert out["this_month"]["start"] == now.replace(day=1).isoformat()
    assert out["this_year"]["start"] == now.replace(month=1, day=1).isoformat()
    assert set(out["this_month"]) == set(out["this_year"]) == {"start", "people", "places"}
    # Yesterday and the day before are this year's, except on 1 and 2 January.
    if now.timetuple().tm_yday > 2:
        year = out["this_year"]
        assert year["people"][0] == {"id": year["people"][0]["id"], "name": "Ana", "entries": 2}
        assert [p["name"] for p in year["places"]] == ["Lisbon"]

    assert main(["stats"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("“Journal”\nEntries       3\nWords         11\n")
    assert "Streak        2 days (longest 2 days, ended " in text
    assert "Days written  3 (since " in text


def test_stats_of_an_empty_journal_says_none(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stats"]) == 0
    text = capsys.readouterr().out
    assert "Entries       0\n" in text and "Streak        0 days (longest 0 days)\n" in text
    assert "  People  none\n  Places  none\n" in text


def test_onthisday_text_json_and_none(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with Charlie.open(settings) as api:
        add = api.journal().entries.add
        older = add("Snow on the lake.", title="Snow", entry_at=noon(date(2023, 3, 18)))
        newer = add("Rain.", entry_at=noon(date(2025, 3, 18)))
        add("Today's.", entry_at=noon(date(2026, 3, 18)))
        add("Another day.", entry_at=noon(date(2025, 3, 17)))
    assert main(["onthisday", "--date", "2026-03-18", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [
        {
            "id": newer.id,
            "title": "Rain.",
            "preview": "Rain.",
            "date": "2025-03-18T12:00:00+00:00",
            "years_ago": 1,
        },
        {
            "id": older.id,
            "title": "Snow",
            "preview": "Snow on the lake.",
            "date": "2023-03-18T12:00:00+00:00",
            "years_ago": 3,
        },
    ]
    assert main(["onthisday", "-d", "2026-03-18"]) == 0
    assert capsys.readouterr().out == (
        "On 18 March in earlier years:\n"
        f"{newer.id}  2025-03-18 12:00  1 year ago    Rain.\n"
        f"{older.id}  2023-03-18 12:00  3 years ago   Snow\n"
    )
    assert main(["onthisday", "--date", "2026-03-19"]) == 0
    assert capsys.readouterr().out == "On 19 March in earlier years: none\n"
    assert main(["onthisday", "--date", "2026-03-19", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    with pytest.raises(SystemExit):
        main(["onthisday", "--date", "18/03/2026"])
    assert "'18/03/2026' is not a date like 2026-03-18" in capsys.readouterr().err
