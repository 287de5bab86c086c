"""The scriptable CLI, run as real processes beside (and without) a running owner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.settings import Settings
from charlie import main
from tests.helpers.procs import OwnerProc, charlie, servers_for


@pytest.mark.slow
def test_new_list_show_delete_without_a_running_app(settings: Settings) -> None:
    made = charlie("new", "--title", "Walk", "--date", "2024-03-05 07:30", "Went for a walk.")
    assert made.returncode == 0, made.stderr
    entry_id = made.stdout.strip()
    from_stdin = charlie("new", stdin="Line one\nLine two 🌱\n")
    assert from_stdin.returncode == 0, from_stdin.stderr

    listed = json.loads(charlie("list", "--json").stdout)
    assert [e["title"] for e in listed] == ["", "Walk"]

    shown = json.loads(charlie("show", entry_id[:8], "--json").stdout)
    assert shown["body"] == "Went for a walk."
    assert shown["date"] == "2024-03-05T07:30:00+00:00"
    assert (
        json.loads(charlie("show", from_stdin.stdout.strip(), "--json").stdout)["body"]
        == "Line one\nLine two 🌱\n"
    )

    deleted = charlie("delete", entry_id)
    assert deleted.returncode == 0 and entry_id in deleted.stdout
    assert len(json.loads(charlie("list", "--json").stdout)) == 1
    # Each command owned the broker for its own lifetime and left nothing running.
    assert servers_for(settings.data_dir) == []


@pytest.mark.slow
def test_commands_attach_to_a_running_owner(settings: Settings) -> None:
    owner = OwnerProc()
    try:
        owner.wait_ready()
        server = servers_for(settings.data_dir)
        made = charlie("new", "while the app runs")
        assert made.returncode == 0, made.stderr
        assert owner.call(op="count") == {"count": 1}
        assert servers_for(settings.data_dir) == server
        owner.quit()
    finally:
        if owner.proc.poll() is None:
            owner.kill()


@pytest.mark.slow
def test_errors_are_one_readable_line_and_exit_1(settings: Settings) -> None:
    empty = charlie("new", "   ")
    assert empty.returncode == 1
    assert empty.stderr.strip() == "charlie: The entry is empty: write something before saving."
    bad_date = charlie("new", "--date", "2024-13-45", "text")
    assert bad_date.returncode == 1
    assert "Could not read the date '2024-13-45'" in bad_date.stderr
    missing = charlie("show", "abcdef12")
    assert missing.returncode == 1 and "no entry with an id starting" in missing.stderr
    assert json.loads(charlie("list", "--json").stdout) == []


@pytest.mark.slow
def test_bad_config_is_reported_before_anything_starts(settings: Settings) -> None:
    settings.config_file.write_text("max_entry_chars = -3\n")
    result = charlie("list")
    assert result.returncode == 1
    assert "max_entry_chars must be a positive number" in result.stderr
    assert not settings.data_dir.exists()


def test_graph_commands(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    from backend.root import Charlie
    from tests.helpers.graph import enrich_all

    with Charlie.open(settings) as api:
        api.journal().entries.add(
            "walked with [[Person:Sarah -VISITED-> Place:Lisbon]] by the river."
        )
        enrich_all(api)
    assert main(["entities", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {(e["name"], e["type"]) for e in listed} == {("Sarah", "Person"), ("Lisbon", "Place")}
    assert main(["entity", "sarah"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("Sarah (Person) · 1 entry\n") and "VISITED Lisbon" in page
    # --type in any case; a type with nothing says so instead of printing nothing.
    assert main(["entities", "--type", "place"]) == 0
    assert "Lisbon" in capsys.readouterr().out
    assert main(["entities", "-t", "GROUP"]) == 0
    assert capsys.readouterr().out == "No Group entities yet.\n"
    with pytest.raises(SystemExit):
        main(["entities", "--type", "planet"])
    assert "'planet' is not a type" in capsys.readouterr().err
    assert main(["jobs", "--state", "dead"]) == 0
    assert capsys.readouterr().out == "No dead jobs.\n"
    assert main(["search", "riv", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["entries"]) == 1
    assert main(["entity", "nobody"]) == 1
    assert "No entity is called 'nobody'" in capsys.readouterr().err


@pytest.mark.slow
def test_text_that_is_not_utf8_is_a_one_line_error(tmp_path: Path) -> None:
    # Issue 10 D13: from a pipe and from argv, no traceback and nothing stored.
    root = Path(__file__).resolve().parents[2]
    for args, stdin in (([], b"caf\xe9 with Ana\n"), ([b"caf\xe9"], b"")):
        done = subprocess.run(
            [sys.executable.encode(), b"charlie.py", b"new", *args],
            cwd=root,
            input=stdin,
            capture_output=True,
            timeout=60,
            env=os.environ,
        )
        assert done.returncode == 1, done.stderr
        [line] = done.stderr.decode().strip().splitlines()
        assert line.startswith("charlie: The entry is not valid UTF-8 text"), line


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["db", "db/appendonly"])
def test_a_read_only_database_folder_is_a_one_line_error(settings: Settings, folder: str) -> None:
    # Issue 10 D13: a database folder that cannot be written (a read-only mount here, since
    # permissions do not stop root) is said in words, before or by the server, never a
    # traceback.
    assert charlie("new", "Before the disk turned read-only.").returncode == 0
    target = settings.data_dir / folder
    mounted = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(target), str(target)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here: {mounted.stderr.strip()}")
    try:
        done = charlie("list")
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "Read-only file system" in done.stderr.splitlines()[0], done.stderr
    assert servers_for(settings.data_dir) == []
    assert charlie("list").returncode == 0  # Writable again: it starts as usual.


def test_status_says_nothing_about_a_model_for_an_extractor_without_one() -> None:
    from cli.status import worker_line

    rules = {"id": "h:1", "extractor": "rules", "uses_model": False, "model_loaded": True}
    assert worker_line({**rules, "job": None}) == "h:1 (rules, idle)"
    llama = {**rules, "extractor": "llama_cpp", "uses_model": True, "model_loaded": False}
    assert worker_line({**llama, "job": "enrich:j:e"}) == (
        "h:1 (llama_cpp, model not loaded, running enrich:j:e)"
    )
