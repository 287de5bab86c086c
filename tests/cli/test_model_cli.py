"""`charlie model list | pull | use | test`, run in-process through ``charlie.main``.

Settings are read from the test's config file, so ``model use`` is seen by the next
command; the conftest's CHARLIE_EXTRACTOR is removed for that. Nothing touches the
network: Hugging Face downloads are switched off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from backend.settings import Settings
from tests.helpers import ROOT
from tests.helpers.cli import run_model


@pytest.fixture(autouse=True)
def _settings_from_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.delenv("CHARLIE_EXTRACTOR")
    monkeypatch.setenv("CHARLIE_MODEL_THREADS", "1")  # Two shared cores: see test_llama_cpp.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def config(settings: Settings) -> dict[str, object]:
    if not settings.config_file.exists():
        return {}
    return tomllib.loads(settings.config_file.read_text())


def listed(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, out, _ = run_model(capsys, "list", "--json")
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


def test_list_shows_known_models_and_none_in_use(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_model(capsys, "list")
    assert code == 0
    assert out.splitlines()[0] == "extractor: rules"
    for name in ("gemma3-270m", "llama3.2-1b", "qwen2.5-3b", "llama3.2-3b"):
        assert any(line.split()[0] == name for line in out.splitlines()[1:-1]), out
    assert "not pulled" in out
    assert not any(line.startswith("*") for line in out.splitlines())
    data = listed(capsys)
    assert data["extractor"] == "rules"
    models = data["models"]
    assert isinstance(models, list)
    assert not any(m["present"] or m["active"] for m in models)
    assert run_model(capsys)[1] == out  # `charlie model` alone lists too.


def test_use_the_shipped_model_then_test_it_then_go_back_to_rules(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run_model(capsys, "use", "gemma3-270m")
    assert code == 0, err
    assert "gemma3-270m" in out
    assert config(settings) == {"extractor": "llama_cpp", "model": "gemma3-270m"}
    [gemma] = [m for m in listed(capsys)["models"] if m["name"] == "gemma3-270m"]  # type: ignore[union-attr]
    assert gemma["present"] and gemma["active"]
    assert Path(gemma["path"]).read_bytes()[:4] == b"GGUF"

    monkeypatch.setenv("CHARLIE_MAX_ENTITIES", "2")
    code, out, err = run_model(capsys, "test", "--json", "Tea with Nadia in Cairo.")
    assert code == 0, err
    result = json.loads(out)
    assert result["extractor"] == "llama_cpp" and result["model"] == "gemma3-270m"
    assert result["load_seconds"] > 0 and result["extract_seconds"] > 0
    assert len(result["entities"]) <= 2
    assert {e["type"] for e in result["entities"]} <= {"Person", "Place", "Group", "Activity"}

    code, out, _ = run_model(capsys, "use", "rules")
    assert code == 0 and "rules" in out
    assert config(settings)["extractor"] == "rules"


def test_use_a_gguf_path(
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine = tmp_path / "my-model.gguf"
    mine.write_bytes(b"GGUF\x03\x00\x00\x00")
    monkeypatch.chdir(tmp_path)  # A relative path is saved as an absolute one.
    code, out, err = run_model(capsys, "use", "my-model.gguf")
    assert code == 0, err
    assert config(settings) == {"extractor": "llama_cpp", "model": str(mine)}
    rows = listed(capsys)["models"]
    assert isinstance(rows, list)
    assert rows[-1]["name"] == str(mine) and rows[-1]["active"]


def test_bad_names_are_refused_and_nothing_is_saved(
    settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run_model(capsys, "use", "gpt-9")
    assert code == 1 and "neither a model Charlie knows" in err
    code, _, err = run_model(capsys, "use", str(tmp_path / "gone.gguf"))
    assert code == 1 and "There is no model file" in err
    code, _, err = run_model(capsys, "pull", "gpt-9")
    assert code == 1 and "No model called 'gpt-9'" in err
    # A hub model cannot be pulled offline; `use` pulls first, so it saves nothing either.
    code, _, err = run_model(capsys, "use", "qwen2.5-3b")
    assert code == 1 and "HF_HUB_OFFLINE" in err
    assert config(settings) == {}


@pytest.mark.slow
def test_pull_offline_from_a_real_process_says_what_to_do(settings: Settings) -> None:
    done = subprocess.run(
        [sys.executable, "charlie.py", "model", "pull", "llama3.2-1b"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 1
    assert done.stderr.startswith("charlie: Cannot download llama3.2-1b")
    assert "charlie model use PATH" in done.stderr
    assert done.stdout == ""


def test_test_runs_the_configured_extractor(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_model(capsys, "test", "Went hiking with Sarah at Mount Tam.")
    assert code == 0, err
    assert out.splitlines()[0] == "extractor: rules"
    assert "Person    Sarah" in out and "Place     Mount Tam" in out
    code, out, _ = run_model(capsys, "test", "--json")
    assert code == 0 and json.loads(out)["entities"]  # The sample entry.


def test_test_explains_an_extractor_that_cannot_work(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARLIE_EXTRACTOR", "llama_cpp")
    code, out, err = run_model(capsys, "test", "Anything.")
    assert code == 1 and out == ""
    assert err.startswith("charlie: The llama_cpp extractor cannot work: No model is set")


@pytest.mark.slow
def test_test_reports_a_crashing_extractor_in_one_line(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real process, as a user runs it: the extractor dies by SIGSEGV in its child.
    switch = tmp_path / "segv"
    switch.touch()
    env = {**os.environ, "CHARLIE_EXTRACTOR": "scripted", "CHARLIE_SCRIPTED_SEGV": str(switch)}
    done = subprocess.run(
        [sys.executable, "charlie.py", "model", "test", "Lunch with Maria in Lisbon."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 1 and done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("charlie: The scripted extractor crashed the process that ran it")
    assert "killed by SIGSEGV (segmentation fault)" in line
    assert "charlie doctor" in line and "charlie model use rules" in line
