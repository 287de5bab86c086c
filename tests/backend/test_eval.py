"""`charlie eval`: scoring against a hand-marked file, and clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from charlie import main


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_scores_per_type_and_overall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = write(
        tmp_path / "gold.json",
        {
            "entries": [
                # scripted finds Ann, Bo (Person) and the typed Oslo; gold wants Ann, Cy, Oslo.
                {
                    "text": "Ann met Bo in [[Place:Oslo]].",
                    "entities": [
                        {"name": "ann", "type": "Person"},
                        {"name": "Cy", "type": "Person"},
                        {"name": "Oslo", "type": "Place"},
                    ],
                },
                {"text": "nothing here", "entities": []},
            ]
        },
    )
    assert main(["eval", str(gold), "--extractor", "scripted", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["entries"] == 2
    assert report["per_type"]["Person"] == {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "tp": 1,
        "fp": 1,
        "fn": 1,
    }
    assert report["per_type"]["Place"]["f1"] == 1.0
    assert report["overall"]["tp"] == 2 and report["overall"]["fp"] == 1
    assert report["overall"]["f1"] == pytest.approx(2 / 3, abs=1e-4)


def test_table_output_names_the_extractor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = write(tmp_path / "g.json", {"entries": [{"text": "Went hiking.", "entities": []}]})
    assert main(["eval", str(gold), "-x", "rules"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("rules on 1 entries") and "overall" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"entries": []}', 'non-empty "entries"'),
        ('{"entries": [{"entities": []}]}', 'entry 1: each entry needs a "text"'),
        ('{"entries": [{"text": "x", "entities": [{"name": "A", "type": "Cat"}]}]}', "'Cat'"),
    ],
)
def test_bad_gold_files_are_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    gold = tmp_path / "bad.json"
    gold.write_text(content, encoding="utf-8")
    assert main(["eval", str(gold)]) == 1
    assert message in capsys.readouterr().err


def test_missing_gold_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "nope.json")]) == 1
    assert "no gold file" in capsys.readouterr().err


def test_splits_titles_and_the_confusion_between_types(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "gold"
    folder.mkdir()
    # The scripted extractor takes capitalised words as people: "Oslo" is a Place taken
    # as a Person; the title is read too ("Ann" is only in it).
    write(
        folder / "dev.json",
        {
            "entries": [
                {
                    "title": "Ann",
                    "text": "flew to Oslo.",
                    "entities": [
                        {"name": "Ann", "type": "Person"},
                        {"name": "Oslo", "type": "Place"},
                    ],
                }
            ]
        },
    )
    assert main(["eval", str(folder), "--split", "dev", "-x", "scripted", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["per_type"]["Person"]["tp"] == 1
    assert report["confusion"] == [{"gold": "Place", "found": "Person", "count": 1}]
    assert main(["eval", str(folder), "--split", "dev", "-x", "scripted"]) == 0
    assert "Place taken as Person: 1" in capsys.readouterr().out
    assert main(["eval", str(folder), "-x", "scripted"]) == 1
    assert "choose a split with --split (dev)" in capsys.readouterr().err
    assert main(["eval", str(folder), "--split", "test"]) == 1
    assert "no gold file" in capsys.readouterr().err


def test_corrections_become_a_gold_file(
    api: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from backend.root import Charlie
    from tests.helpers.graph import enrich_all, entity

    assert isinstance(api, Charlie)
    fixed = api.journal().entries.add(
        "[[Person:Lake Merritt]] with [[Person:Bo]] and noor.", title="walk"
    )
    removed = api.journal().entries.add("[[Person:Then]] [[Person:Cy]] came.")
    api.journal().entries.add("[[Person:Untouched]] entry.")
    enrich_all(api)
    api.journal().curation.retype(entity(api, "Lake Merritt").id, "Place")
    api.journal().curation.link(fixed.id, "Noor", "Person")
    api.journal().curation.remove_from_entry(removed.id, entity(api, "Then").id)
    out = tmp_path / "mine.json"
    assert main(["eval", "--from-journal", "-o", str(out)]) == 0
    assert "Wrote 2 corrected entries (4 entities)" in capsys.readouterr().out
    gold = json.loads(out.read_text(encoding="utf-8"))
    as_sets = sorted(
        (e["title"], e["text"], {(x["name"], x["type"]) for x in e["entities"]})
        for e in gold["entries"]
    )
    assert as_sets == [
        ("", removed.body, {("Cy", "Person")}),
        (
            "walk",
            fixed.body,
            {("Lake Merritt", "Place"), ("Bo", "Person"), ("noor", "Person")},
        ),
    ]
    assert out.stat().st_mode & 0o077 == 0
    assert main(["eval", str(out), "-x", "scripted"]) == 0  # It is a gold file.
