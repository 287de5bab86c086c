"""`charlie model tune` end to end against a stub OpenAI-compatible server, the compiled
program it saves, how the extractors load (or refuse) one, and one real-model run.

The stub plays a model that learns from one demo: when the prompt holds the train entry
about Wojtek it answers every dev entry exactly as the gold marks it, otherwise it finds
only the first marked entity. So candidates with that demo score F1 1.0 and the others
(and the hand-written program) less, and the tuner has something real to choose.
"""

from __future__ import annotations

import json
import logging
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.graph.extractor import load_extractor
from backend.settings import Settings, load_settings
from plugins import llm_program, tuning
from plugins.openai_compat import OpenAICompatExtractor
from tests.helpers.cli import run_model
from tests.helpers.models import model_settings
from tests.helpers.openai_stub import StubServer

TRAIN = [
    ("Tea with Ana at her flat.", [("Ana", "Person")]),
    ("Choir with the Harbor Singers tonight.", [("Harbor Singers", "Group")]),
    ("Climbing with Wojtek at the Crag.", [("Wojtek", "Person"), ("the Crag", "Place")]),
    ("Lunch in Porto with Rui.", [("Porto", "Place"), ("Rui", "Person")]),
    ("Yoga before work, then a call with Dad.", [("Yoga", "Activity"), ("Dad", "Person")]),
]
DEV = [
    ("Dinner with Maria in Lisbon.", [("Maria", "Person"), ("Lisbon", "Place")]),
    ("Swimming with Tom at the lido.", [("Swimming", "Activity"), ("Tom", "Person")]),
]
MAGIC = "Wojtek"


def gold_file(entries: list[tuple[str, list[tuple[str, str]]]]) -> dict[str, Any]:
    return {
        "entries": [
            {"text": text, "entities": [{"name": n, "type": t} for n, t in marked]}
            for text, marked in entries
        ]
    }


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    folder = tmp_path / "gold"
    folder.mkdir()
    (folder / "train.json").write_text(json.dumps(gold_file(TRAIN)))
    (folder / "dev.json").write_text(json.dumps(gold_file(DEV)))
    (folder / "test.json").write_text(json.dumps(gold_file(DEV)))
    return folder


def learner(request: dict[str, Any]) -> tuple[int, str]:
    """Full answers when the Wojtek demo is in the prompt, else the first entity only."""
    messages = request["messages"]
    entry = messages[-1]["content"]
    everything = " ".join(m["content"] for m in messages[:-1])
    for text, marked in DEV + TRAIN:
        if text in entry:
            found = marked if MAGIC in everything else marked[:1]
            break
    else:
        found = []
    entities = [{"name": n, "type": t} for n, t in found]
    return 200, json.dumps({"entities": entities, "relationships": []})


@pytest.fixture
def server() -> Iterator[StubServer]:
    stub = StubServer(learner)
    try:
        yield stub
    finally:
        stub.stop()


@pytest.fixture
def on_server(server: StubServer, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings (and the environment `charlie` reads) for the stub server."""
    monkeypatch.setenv("CHARLIE_EXTRACTOR", "openai_compat")
    monkeypatch.setenv("CHARLIE_OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("CHARLIE_OPENAI_MODEL", "tiny")
    return load_settings()


def opened_files() -> list[str]:
    """Every file this process opens from now on (an audit hook cannot be removed, so it
    records into a list the test reads)."""
    opened: list[str] = []

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and isinstance(args[0], str | Path):
            opened.append(str(args[0]))

    sys.addaudithook(hook)
    return opened


def compiled_for(settings: Settings) -> Path:
    return llm_program.compiled_path_for_server(
        settings.data_dir, settings.openai_base_url, settings.openai_model
    )


def test_tune_saves_the_best_program_privately_and_the_extractor_loads_it(
    on_server: Settings,
    server: StubServer,
    gold: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    opened = opened_files()
    # Seed 2 draws four distinct pairs of train demos, two of them with the Wojtek entry.
    code, out, err = run_model(
        capsys, "tune", "--gold", str(gold), "--candidates", "4", "--demos", "2", "--seed", "2"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert "hand-written program: dev F1 0.667" in out  # One of two found, every time.
    scores = [line.split("dev F1 ")[1][:5] for line in lines if line.startswith("candidate ")]
    assert scores == ["1.000", "1.000", "0.667", "0.667"], out
    assert "hand-written 0.667 -> tuned 1.000 (candidate 1)" in out

    # Only train and dev were read; test never.
    assert not [p for p in opened if p.endswith("test.json")]
    assert str(gold / "dev.json") in opened and str(gold / "train.json") in opened

    path = compiled_for(on_server)
    assert f"Saved {path}" in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    saved = json.loads(path.read_text())
    assert saved["charlie"]["dev_f1"] == 1.0 and saved["charlie"]["baseline_dev_f1"] == 0.6667
    assert saved["charlie"]["dev_entries"] == 2 and saved["charlie"]["model"].startswith("tiny @ ")
    demos = saved["extract"]["demos"]
    assert any(MAGIC in d["entry"] for d in demos)
    assert len(demos) == 2 + len(llm_program.load_program().extract.demos)

    # The extractor now runs the compiled program: the Wojtek demo reaches the server.
    extractor = load_extractor("openai_compat", on_server)
    assert isinstance(extractor, OpenAICompatExtractor)
    extractor.load()
    assert extractor.program_choice is not None and extractor.program_choice.path == path
    assert "dev F1 1.000" in extractor.runtime_info()["program"]  # type: ignore[operator]
    server.requests.clear()
    found = extractor.extract(DEV[0][0]).entities
    assert [(e.name, e.type) for e in found] == DEV[0][1]
    assert any(MAGIC in m["content"] for m in server.requests[0]["messages"])

    # `model list` shows the tuned program and its scores.
    code, out, _ = run_model(capsys, "list", "--json")
    assert code == 0
    row = json.loads(out)["server"]
    assert row["tuned"]["dev_f1"] == 1.0 and row["tuned"]["path"] == str(path)
    code, out, _ = run_model(capsys, "list")
    assert "tuned program: dev F1 1.000 (hand-written 0.667, on 2 dev entries)" in out

    # A second server (or model) has a program of its own.
    other = on_server.with_changes(openai_model="other")
    assert compiled_for(other) != path and not compiled_for(other).exists()

    # --reset goes back to the hand-written program.
    code, out, _ = run_model(capsys, "tune", "--reset")
    assert code == 0 and f"Removed {path}" in out and not path.exists()


def test_nothing_is_saved_when_no_candidate_beats_the_hand_written_program(
    on_server: Settings,
    server: StubServer,
    gold: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Without the one demo that helps, every candidate ties with the hand-written program.
    (gold / "train.json").write_text(json.dumps(gold_file([t for t in TRAIN if MAGIC not in t[0]])))
    code, out, err = run_model(capsys, "tune", "--gold", str(gold), "--candidates", "3")
    assert code == 0, err
    assert out.count("dev F1 0.667") == 4  # The hand-written program and 3 candidates.
    assert "no candidate beat it (best 0.667), so nothing was saved" in out
    assert not compiled_for(on_server).exists()
    assert not compiled_for(on_server).parent.exists()


def test_a_compiled_program_that_cannot_be_read_falls_back_with_a_message(
    on_server: Settings,
    server: StubServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = compiled_for(on_server)
    path.parent.mkdir(parents=True)
    hand_written = llm_program.load_program().extract.demos
    bad = {
        '{"extract": {"demos": [': "not valid JSON",
        json.dumps({"extract": {"demos": "many"}}): "no instructions",
        json.dumps(
            {
                "extract": {
                    "signature": json.loads(llm_program.PROGRAM_STATE.read_text())["extract"][
                        "signature"
                    ],
                    "demos": [{"entry": "x", "entities": [{"name": "X", "type": "Robot"}]}],
                }
            }
        ): "demo 1 needs",
    }
    for content, reason in bad.items():
        path.write_text(content)
        caplog.clear()
        extractor = load_extractor("openai_compat", on_server)
        assert isinstance(extractor, OpenAICompatExtractor)
        with caplog.at_level(logging.WARNING, logger="charlie.llm_program"):
            extractor.load()
        choice = extractor.program_choice
        assert choice is not None and not choice.compiled
        assert reason in choice.problem and str(path) in choice.problem
        assert choice.program.extract.demos == hand_written
        assert any("hand-written program is used instead" in r.message for r in caplog.records)
        # It still reads entries, with the hand-written program.
        assert extractor.extract(DEV[0][0]).entities[0].name == "Maria"

    code, out, _ = run_model(capsys, "list")
    assert code == 0 and "tuned program refused, the hand-written one is used" in out
    # `model test` (a child process, as the worker is) says which program it ran and why.
    code, out, err = run_model(capsys, "test", DEV[0][0])
    assert code == 0, err
    assert "program: hand-written, because the tuned one was refused" in out


def test_a_program_file_cannot_set_attributes_or_bring_an_lm(tmp_path: Path) -> None:
    state = json.loads(llm_program.PROGRAM_STATE.read_text())
    state["extract"]["lm"] = {"model": "openai/gpt-4", "api_base": "http://evil.example"}
    state["extract"]["forward"] = "replaced"
    state["extract"]["demos"][0]["extra"] = "kept out"
    path = tmp_path / "x.program.json"
    path.write_text(json.dumps(state))
    program = llm_program.load_program(path)
    assert program.extract.lm is None
    assert callable(program.extract.forward)
    assert "extra" not in program.extract.demos[0]


def test_only_model_extractors_can_be_tuned(
    settings: Settings, gold: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_model(capsys, "tune", "-x", "rules", "--gold", str(gold))
    assert code == 1 and "nothing to tune" in err
    code, _, err = run_model(
        capsys, "tune", "-x", "openai_compat", "--gold", str(gold / "dev.json")
    )
    assert code == 1 and "not a gold folder" in err


@pytest.mark.slow
@pytest.mark.real_model
def test_tune_runs_on_the_real_model(
    gemma_model: Path,
    gold: Path,
    tmp_path: Path,
) -> None:
    """The llama.cpp path end to end, on the smallest splits: 2 train entries, 1 dev
    entry, 1 candidate (two model calls). A 270M base model's scores mean nothing here."""
    from plugins.llama_cpp import LlamaCppExtractor

    # A link of this test's own, so the compiled program lands here and not beside the
    # session's model, which other tests load with the hand-written program.
    model = tmp_path / "gemma.gguf"
    model.symlink_to(gemma_model)
    settings = model_settings(model)
    lines: list[str] = []
    result = tuning.tune(
        settings,
        extractor_name="llama_cpp",
        gold=gold,
        train=2,
        dev=1,
        candidates=1,
        demos=1,
        say=lines.append,
    )
    assert result.path == tmp_path / "gemma.gguf.program.json"
    assert result.baseline.report is not None and len(result.candidates) == 1
    assert result.candidates[0].report is not None, lines
    assert lines[1].startswith("hand-written program: dev F1 ")
    assert lines[2].startswith("candidate 1/1: dev F1 ")
    assert result.path.exists() == result.saved
    if not result.saved:  # Save it anyway, to see the llama.cpp extractor load it.
        record = llm_program.Tuning(0.5, 0.0, 1, 2, model.name, "now")
        tuning.save_program(
            result.path, llm_program.program_state(result.candidates[0].program, record)
        )
    extractor = LlamaCppExtractor(settings)
    extractor.load()
    try:
        assert extractor.program_choice is not None
        assert extractor.program_choice.path == result.path
        assert extractor.program is not None and len(extractor.program.extract.demos) == 3
    finally:
        extractor.unload()
