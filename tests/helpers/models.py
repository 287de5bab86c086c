"""Settings for tests that run the shipped gemma model through the llama_cpp extractor."""

from __future__ import annotations

from pathlib import Path

from backend.settings import Settings, load_settings

MAX_ENTITIES = 3


def model_settings(model: Path | str, **changes: object) -> Settings:
    """Settings that run ``model`` with the llama_cpp extractor on one thread."""
    # One thread: on a shared two-core machine, llama.cpp's threads wait on each other
    # for cores that other processes hold, and generation gets many times slower.
    return load_settings().with_changes(
        extractor="llama_cpp",
        model=str(model),
        max_entities=MAX_ENTITIES,
        model_threads=1,
        **changes,
    )
