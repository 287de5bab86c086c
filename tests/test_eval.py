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
