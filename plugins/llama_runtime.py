"""What the installed llama.cpp was built for, and a guard against builds that crash here.

``pyproject.toml`` fixes the llama-cpp-python build to a portable x86-64 baseline with
AMX compiled out (llama.cpp's AMX matrix multiply segfaults on Q4_K models on CPUs that
have AMX; issue 9). A wheel built some other way can still be installed — an older uv
cache, a hand-made ``pip install`` — so before a model is loaded the build is checked:
a build with AMX, or one that needs an instruction this CPU lacks (which would die by
SIGILL), is refused with the reason and the fix, and the queue pauses instead of the
worker crashing on every entry.
"""

from __future__ import annotations

import re
from pathlib import Path

REBUILD = "uv sync --reinstall-package llama-cpp-python"
"""The command that rebuilds llama-cpp-python with the project's build settings."""

# llama.cpp's feature names and the /proc/cpuinfo flag each needs.
_CPU_FLAG = {
    "SSE3": "pni",
    "SSSE3": "ssse3",
    "AVX": "avx",
    "AVX2": "avx2",
    "AVX_VNNI": "avx_vnni",
    "F16C": "f16c",
    "FMA": "fma",
    "BMI2": "bmi2",
    "AVX512": "avx512f",
    "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_INT8": "amx_int8",
}
_FEATURE = re.compile(r"([A-Z][A-Z0-9_]*) = 1")


def system_info() -> str:
    """``llama_print_system_info()``: the CPU features the loaded llama.cpp was built with."""
    import llama_cpp

    raw = llama_cpp.llama_print_system_info()
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)).strip()


def build_features(info: str | None = None) -> list[str]:
    """The features switched on in the build (``AVX2``, ``FMA``, ``AMX_INT8`` …)."""
    return _FEATURE.findall(system_info() if info is None else info)


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    """This CPU's flags, or None where /proc/cpuinfo cannot tell (not Linux on x86)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return None


def build_problem(features: list[str], flags: set[str] | None) -> str | None:
    """Why this build must not run on this CPU, in words, or None if it may."""
    amx = [f for f in features if f.startswith("AMX")]
    if amx:
        return (
            f"The installed llama-cpp-python was built with llama.cpp's AMX code "
            f"({', '.join(amx)}), which crashes with a segmentation fault on this kind of "
            f"model. Rebuild it with the project's settings: {REBUILD}"
        )
    if flags is None:
        return None
    missing = [f for f in features if f in _CPU_FLAG and _CPU_FLAG[f] not in flags]
    if missing:
        return (
            f"The installed llama-cpp-python needs {', '.join(missing)}, which this CPU does "
            f"not have, so it would die with an illegal instruction. Rebuild it here: {REBUILD}"
        )
    return None


def check_build() -> dict[str, object]:
    """The build's facts; raises ``ExtractorUnavailable`` if it must not run here."""
    from backend.graph.extractor import ExtractorUnavailable

    info = system_info()
    features = build_features(info)
    problem = build_problem(features, cpu_flags())
    facts: dict[str, object] = {
        "llama_cpp_system_info": info,
        "build_features": features,
        "amx": any(f.startswith("AMX") for f in features),
    }
    if problem:
        raise ExtractorUnavailable(problem)
    return facts
