"""The guard that refuses a llama.cpp build which would crash on this machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.graph.extractor import ExtractorUnavailable
from plugins import llama_runtime

NATIVE_ON_AMX_XEON = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX_VNNI = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | "
    "BMI2 = 1 | AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | "
    "AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 |"
)
PORTABLE = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | "
    "LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 |"
)
HASWELL_FLAGS = {"pni", "ssse3", "avx", "avx2", "f16c", "fma", "bmi2"}


def test_a_build_with_amx_is_refused_with_the_rebuild_command() -> None:
    problem = llama_runtime.build_problem(
        llama_runtime.build_features(NATIVE_ON_AMX_XEON), HASWELL_FLAGS | {"amx_int8"}
    )
    assert problem is not None
    assert "AMX_INT8" in problem and llama_runtime.REBUILD in problem


def test_a_build_needing_what_this_cpu_lacks_is_refused() -> None:
    features = llama_runtime.build_features(PORTABLE)
    problem = llama_runtime.build_problem(features, HASWELL_FLAGS - {"avx2", "fma"})
    assert problem is not None and "AVX2, FMA" in problem and "illegal instruction" in problem
    assert llama_runtime.build_problem(features, HASWELL_FLAGS) is None
    assert llama_runtime.build_problem(features, None) is None  # Cannot tell: let it run.


def test_cpu_flags_come_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 fma\n\nprocessor\t: 1\n")
    assert llama_runtime.cpu_flags(cpuinfo) == {"fpu", "avx2", "fma"}
    assert llama_runtime.cpu_flags(tmp_path / "missing") is None


def test_the_installed_build_is_the_portable_one_and_passes_the_guard() -> None:
    # The project's own build (pyproject.toml's CMAKE_ARGS): no AVX-512, no AMX.
    facts = llama_runtime.check_build()
    features = facts["build_features"]
    assert isinstance(features, list)
    assert {"AVX2", "FMA", "F16C"} <= set(features)
    assert not [f for f in features if f.startswith(("AMX", "AVX512"))], features
    assert facts["amx"] is False


def test_check_build_raises_unavailable_for_an_amx_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(llama_runtime, "system_info", lambda: NATIVE_ON_AMX_XEON)
    with pytest.raises(ExtractorUnavailable, match="AMX"):
        llama_runtime.check_build()
