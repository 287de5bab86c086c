"""Turning the ``model`` setting into a .gguf file: local paths, the shipped model, the hub.

Nothing here touches the network: the hub is a fake cache directory laid out the way
huggingface_hub lays out its own, and downloads are switched off (HF_HUB_OFFLINE).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.errors import CharlieError
from backend.settings import Settings
from plugins import model_sources
from plugins.model_sources import KNOWN_MODELS, ModelSourceError, pull, resolve


@pytest.fixture(autouse=True)
def _no_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep huggingface_hub off the network and out of the user's own cache."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    # huggingface_hub reads the variable once, when it is imported.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


def fake_hub_file(settings: Settings, name: str, data: bytes = b"GGUF fake weights") -> Path:
    """Put a model file in the hub cache as huggingface_hub would have downloaded it."""
    model = KNOWN_MODELS[name]
    repo = model_sources.hub_cache(settings) / ("models--" + model.repo_id.replace("/", "--"))
    revision = "0123456789abcdef0123456789abcdef01234567"
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    path = snapshot / model.filename
    path.write_bytes(data)
    return path


def test_the_shipped_model_is_assembled_once_from_its_package(settings: Settings) -> None:
    shipped = KNOWN_MODELS["gemma3-270m"]
    assert model_sources.local_copy(shipped, settings) is None
    # A leftover from an interrupted assembly is not taken for the model.
    models = model_sources.models_dir(settings)
    models.mkdir(parents=True)
    (models / (shipped.filename + ".partial")).write_bytes(b"half")

    path = resolve("gemma3-270m", settings)
    assert path == models / shipped.filename
    assert path.read_bytes()[:4] == b"GGUF" and path.stat().st_size > 200_000_000
    assert not (models / (shipped.filename + ".partial")).exists()
    assembled_at = path.stat().st_mtime_ns
    assert pull("GEMMA3-270M", settings) == path
    assert resolve(" gemma3-270m ", settings) == path
    assert path.stat().st_mtime_ns == assembled_at  # Not assembled twice.
    assert model_sources.local_copy(shipped, settings) == path


def test_a_pulled_hub_model_is_found_in_the_cache_without_the_network(
    settings: Settings,
) -> None:
    cached = fake_hub_file(settings, "llama3.2-1b")
    assert resolve("llama3.2-1b", settings) == cached
    assert pull("llama3.2-1b", settings) == cached
    assert model_sources.local_copy(KNOWN_MODELS["qwen2.5-3b"], settings) is None


def test_a_hub_model_never_pulled_says_how_to_pull_it(settings: Settings) -> None:
    with pytest.raises(
        ModelSourceError, match=r"not downloaded yet.*charlie model pull qwen2.5-3b"
    ):
        resolve("qwen2.5-3b", settings)


def test_offline_pull_says_so_and_how_to_use_a_local_file(settings: Settings) -> None:
    with pytest.raises(ModelSourceError) as caught:
        pull("qwen2.5-3b", settings)
    message = str(caught.value)
    assert "HF_HUB_OFFLINE" in message
    assert "charlie model use PATH" in message and "Qwen2.5-3B-Instruct-Q4_K_M.gguf" in message
    assert isinstance(caught.value, CharlieError)
    assert not list(model_sources.hub_cache(settings).rglob("*.gguf"))


def test_local_paths_are_checked(settings: Settings, tmp_path: Path) -> None:
    good = tmp_path / "mine.gguf"
    good.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert resolve(str(good), settings) == good
    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    problems = {
        str(tmp_path / "missing.gguf"): "There is no model file",
        str(tmp_path): "is a folder",
        str(text): "not a GGUF model file",
        "gpt-9": r"neither a model Charlie knows \(gemma3-270m, llama3.2-1b",
        "": "No model is set",
    }
    for value, message in problems.items():
        with pytest.raises(ModelSourceError, match=message):
            resolve(value, settings)


def test_a_home_relative_path_is_expanded(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    assert resolve("~/m.gguf", settings) == tmp_path / "m.gguf"


def test_pull_refuses_unknown_names(settings: Settings) -> None:
    with pytest.raises(ModelSourceError, match="No model called 'gpt-9'. Known models: gemma3"):
        pull("gpt-9", settings)
