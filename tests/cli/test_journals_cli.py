"""`charlie journals` and `charlie journals delete`, in this process and as real processes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from backend.root import Charlie
from backend.settings import Settings
from charlie import main
from tests.helpers.procs import charlie


class _Terminal(io.StringIO):
    """Standard input as a terminal where the user types ``text``."""

    def isatty(self) -> bool:
        return True


def _two_journals(api: Charlie) -> None:
    api.journal().entries.add("Home one.")
    api.journals.create("Work")
    api.journal("Work").entries.add("Work one.")
    api.journal("Work").entries.add("Work two.")


def test_journals_lists_names_counts_and_the_default(
    api: Charlie, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_journals(api)

    assert main(["journals"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Journal       1 entry  (default)",
        "Work        2 entries",
    ]
    assert main(["journals", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["entries"], r["default"]) for r in rows] == [
        ("Journal", 1, True),
        ("Work", 2, False),
    ]
    assert set(rows[0]) == {"name", "entries", "default", "id", "created_at"}


def test_delete_on_a_terminal_asks_for_the_name(
    api: Charlie, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_journals(api)
    monkeypatch.setattr("sys.stdin", _Terminal("yes\n"))
    assert main(["journals", "delete", "Work"]) == 1
    out = capsys.readouterr().out
    assert "Delete the journal 'Work' and its 2 entries" in out
    assert "Nothing was deleted." in out
    assert api.journal("Work").entries.count() == 2

    monkeypatch.setattr("sys.stdin", _Terminal("work\n"))
    assert main(["journals", "delete", "Work"]) == 0
    out = capsys.readouterr().out
    assert "Deleted the journal 'Work' and its 2 entries." in out
    backup = Path(out.split("A backup taken just before is in ")[1].split(" (charlie")[0])
    assert backup.is_file() and backup.parent == api.settings.data_dir / "backups"
    assert [j.name for j in api.journals.list()] == ["Journal"]


def test_delete_the_default_says_which_is_the_default_now(
    api: Charlie, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_journals(api)
    assert main(["journals", "delete", "journal", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Deleted the journal 'Journal' and its 1 entry." in out
    assert "The default journal is now 'Work'." in out
    assert main(["journals", "delete", "Work", "--yes"]) == 1
    assert "only journal" in capsys.readouterr().err
    assert main(["journals", "delete", "Nope", "--yes"]) == 1
    assert "There is no journal called 'Nope'." in capsys.readouterr().err


@pytest.mark.slow
def test_delete_from_a_script_needs_yes(settings: Settings) -> None:
    with Charlie.open(settings) as api:
        api.journal().entries.add("At home.")
        api.journals.create("Work")
        api.journal("Work").entries.add("At work.")

    refused = charlie("journals", "delete", "Work", stdin="Work\n")
    assert refused.returncode == 1
    assert "add --yes" in refused.stderr
    listed = json.loads(charlie("journals", "--json").stdout)
    assert [(r["name"], r["entries"]) for r in listed] == [("Journal", 1), ("Work", 1)]

    done = charlie("journals", "delete", "Work", "--yes")
    assert done.returncode == 0, done.stderr
    assert "A backup taken just before is in" in done.stdout
    listed = json.loads(charlie("journals", "--json").stdout)
    assert [(r["name"], r["entries"], r["default"]) for r in listed] == [("Journal", 1, True)]
