"""Tags and stars survive imports (jrnl, Day One) and our own exports (Markdown, JSON),
on a real embedded FalkorDB."""

from __future__ import annotations

import json
from pathlib import Path

from backend.root import Charlie
from backend.transfer.importer_source import run_import
from backend.transfer.json_export import export_json
from backend.transfer.json_import import import_json_export
from backend.transfer.markdown_export import export_markdown
from tests.helpers.importing import all_entries


def _by_text(api: Charlie, journal: str | None = None) -> dict[str, tuple[tuple[str, ...], bool]]:
    return {e.body: (e.tags, e.starred) for e in all_entries(api, journal)}


def test_jrnl_tags_and_stars_are_kept(api: Charlie, tmp_path: Path) -> None:
    source = tmp_path / "jrnl.json"
    source.write_text(
        json.dumps(
            {
                "tags": {"@work": 1, "#home": 1},
                "entries": [
                    {
                        "date": "2024-03-05",
                        "time": "07:30",
                        "title": "Standup.",
                        "body": "Talked to @work people.",
                        "tags": ["@work"],
                        "starred": True,
                    },
                    {
                        "date": "2024-03-06",
                        "time": "21:00",
                        "title": "Evening.",
                        "body": "Quiet at #home tonight.",
                        "tags": ["#home", "@Road Trip"],
                        "starred": False,
                    },
                    {"date": "2024-03-07", "title": "Plain.", "body": "No tags.", "tags": {}},
                ],
            }
        )
    )
    summary = run_import(api.backend, "jrnl", source)
    assert summary.added == 3 and not summary.rejected
    assert _by_text(api) == {
        "Talked to @work people.": (("work",), True),
        "Quiet at #home tonight.": (("home", "road-trip"), False),
        "No tags.": ((), False),
    }
    # An edit keeps the tags the import gave beside the text.
    entry = next(e for e in all_entries(api) if e.starred)
    assert api.journal().entries.edit(entry.id, body="Rewritten.").tags == ("work",)


def test_dayone_tags_and_stars_are_kept(api: Charlie, tmp_path: Path) -> None:
    source = tmp_path / "Journal.json"
    source.write_text(
        json.dumps(
            {
                "metadata": {"version": "1.0"},
                "entries": [
                    {
                        "uuid": "A1",
                        "creationDate": "2024-03-05T07:30:00Z",
                        "timeZone": "Europe/Lisbon",
                        "text": "Swam in the lake #summer",
                        "tags": ["Holiday", "Road Trip"],
                        "starred": True,
                    },
                    {
                        "uuid": "B2",
                        "creationDate": "2024-03-06T07:30:00Z",
                        "text": "Nothing special",
                        "starred": "yes",  # Not a boolean: not starred.
                        "tags": "not a list",
                    },
                ],
            }
        )
    )
    summary = run_import(api.backend, "dayone", source)
    assert summary.added == 2 and not summary.rejected
    assert _by_text(api) == {
        "Swam in the lake #summer": (("holiday", "road-trip", "summer"), True),
        "Nothing special": ((), False),
    }


def _seed(api: Charlie) -> None:
    entries = api.journal().entries
    entries.add("Met Ana #work", title="Monday", tags=["Given One"], starred=True)
    entries.add("Nothing tagged")
    entries.add("Trip #travel/2024", tags=["photos"])


def test_markdown_export_round_trip(api: Charlie, tmp_path: Path) -> None:
    _seed(api)
    before = _by_text(api)
    export_markdown(api.backend, tmp_path / "md")
    texts = [p.read_text() for p in (tmp_path / "md").iterdir()]
    assert any('tags: ["given-one", "work"]\nstarred: true\n' in t for t in texts)
    assert any("tags: []\nstarred: false\n" in t for t in texts)
    run_import(api.backend, "files", tmp_path / "md", journal="Copy")
    assert _by_text(api, "Copy") == before


def test_files_front_matter_tag_forms(api: Charlie, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2024-03-05 a.md").write_text("---\ntags: work, Home\nstarred: yes\n---\nA\n")
    (notes / "2024-03-06 b.md").write_text(
        '---\ntitle: B\ntags:\n  - one\n  - "Two Words"\n---\nB\n'
    )
    (notes / "2024-03-07 c.md").write_text('---\ntags: [x, "y"]\n---\nC\n')
    run_import(api.backend, "files", notes)
    assert _by_text(api) == {
        "A\n": (("home", "work"), True),
        "B\n": (("one", "two-words"), False),
        "C\n": (("x", "y"), False),
    }


def test_json_export_round_trip_and_older_exports(api: Charlie, tmp_path: Path) -> None:
    _seed(api)
    before = _by_text(api)
    path = tmp_path / "export.json"
    export_json(api.backend, path)
    document = json.loads(path.read_text())
    [journal] = document["journals"]
    assert sorted(tuple(e["tags"]) for e in journal["entries"]) == sorted(
        tags for tags, _ in before.values()
    )
    entries = api.journal().entries
    for entry in all_entries(api):
        entries.delete(entry.id)
    import_json_export(api.backend, path)
    assert _by_text(api) == before

    # An export written before tags (no tags, no starred) still imports; its text's
    # #tags are found on the way in.
    for entry in journal["entries"]:
        entry.pop("tags"), entry.pop("starred")
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document))
    for entry in all_entries(api):
        entries.delete(entry.id)
    import_json_export(api.backend, old)
    assert _by_text(api) == {
        "Met Ana #work": (("work",), False),
        "Nothing tagged": ((), False),
        "Trip #travel/2024": (("travel/2024",), False),
    }
