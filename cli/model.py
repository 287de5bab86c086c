"""`charlie model …`: list, pull, choose, try and tune the model the extractor uses.

None of these needs the database: they read and write settings, model files and
compiled programs only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from backend.errors import CharlieError
from backend.settings import Settings, save_settings
from plugins import tuning

DEFAULT_GOLD = Path(__file__).resolve().parent.parent / "bench" / "gold"


def register(sub: Any) -> None:
    """Add ``charlie model`` and its subcommands."""
    model = sub.add_parser("model", help="list, pull, choose and try extraction models")
    commands = model.add_subparsers(dest="model_command", metavar="COMMAND")
    model.set_defaults(func=cmd_list, needs_api=False, json=False)

    p = commands.add_parser("list", help="known models, which are here and which is in use")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list, needs_api=False)

    p = commands.add_parser("pull", help="download (or assemble) a known model; resumable")
    p.add_argument("name", help="a name from `charlie model list`")
    p.set_defaults(func=cmd_pull, needs_api=False)

    p = commands.add_parser(
        "use", help="extract with this model (a name, or a path to a .gguf file); `rules` for none"
    )
    p.add_argument("model", help="a name from `charlie model list`, a .gguf path, or `rules`")
    p.set_defaults(func=cmd_use, needs_api=False)

    p = commands.add_parser("test", help="run the configured extractor on some text, here")
    p.add_argument("text", nargs="?", help="the text to read (default: a sample entry)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_test, needs_api=False)

    p = commands.add_parser(
        "tune",
        help="compile the extraction program for the model in use, on a gold folder (slow)",
        description=(
            "Try candidate programs (the hand-written one with a few demos drawn from the "
            "train split, DSPy LabeledFewShot, seeded) and judge each by the entity F1 "
            "`charlie eval` computes on the dev split. The best is saved for this model "
            "(beside its .gguf file, or for a server in the data folder) only if it beats "
            "the hand-written program measured in the same run; the extractor then loads "
            "it. The test split is never read. Every candidate reads every dev entry: "
            f"(candidates + 1) x --dev model calls, e.g. {tuning.DEFAULT_CANDIDATES + 1} x "
            f"{tuning.DEFAULT_DEV} = {(tuning.DEFAULT_CANDIDATES + 1) * tuning.DEFAULT_DEV} "
            "with the defaults, about an hour for gemma3-270m on a busy 2-core CPU."
        ),
    )
    p.add_argument(
        "--extractor", "-x", help="llama_cpp or openai_compat (default: the configured one)"
    )
    p.add_argument(
        "--train",
        type=int,
        default=0,
        metavar="N",
        help="draw demos from the first N train entries only (default: all of them)",
    )
    p.add_argument(
        "--dev",
        type=int,
        default=tuning.DEFAULT_DEV,
        metavar="N",
        help=f"judge on the first N dev entries (default {tuning.DEFAULT_DEV}, to finish "
        "in reasonable time on a CPU; 0: the whole split)",
    )
    p.add_argument(
        "--candidates",
        type=int,
        default=tuning.DEFAULT_CANDIDATES,
        metavar="N",
        help=f"candidate programs to try (default {tuning.DEFAULT_CANDIDATES})",
    )
    p.add_argument(
        "--demos",
        type=int,
        default=tuning.DEFAULT_DEMOS,
        metavar="K",
        help=f"train demos in each candidate (default {tuning.DEFAULT_DEMOS})",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the demo draws (default 0)")
    p.add_argument(
        "--gold",
        type=Path,
        default=DEFAULT_GOLD,
        metavar="DIR",
        help="gold folder with train.json and dev.json (default: Charlie's bench/gold)",
    )
    p.add_argument(
        "--reset",
        action="store_true",
        help="remove the tuned program of the model in use (back to the hand-written one)",
    )
    p.set_defaults(func=cmd_tune, needs_api=False)


def _active_path(settings: Settings) -> Path | None:
    from plugins import model_sources

    if not settings.model or model_sources.is_known(settings.model):
        return None
    return Path(settings.model).expanduser()


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    """Print the known models: size, whether downloaded, which one is active."""
    from plugins import model_sources

    active = settings.model.strip().lower() if settings.extractor == "llama_cpp" else ""
    rows = []
    for model in model_sources.KNOWN_MODELS.values():
        here = model_sources.local_copy(model, settings)
        rows.append(
            {
                "name": model.name,
                "size": model.size,
                "present": here is not None,
                "active": model.name == active,
                "path": str(here) if here else None,
                "description": model.description,
                **_tuned(here),
            }
        )
    custom = _active_path(settings) if settings.extractor == "llama_cpp" else None
    if custom is not None:
        rows.append(
            {
                "name": str(custom),
                "size": _size(custom),
                "present": custom.is_file(),
                "active": True,
                "path": str(custom),
                "description": "a .gguf file of your own",
                **_tuned(custom if custom.is_file() else None),
            }
        )
    server = _server_row(settings) if settings.extractor == "openai_compat" else None
    if args.json:
        data: dict[str, Any] = {"extractor": settings.extractor, "models": rows}
        if server is not None:
            data["server"] = server
        print(json.dumps(data, indent=2))
        return 0
    print(f"extractor: {settings.extractor}")
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        mark = "*" if r["active"] else " "
        state = (
            "on disk" if r["present"] else ("missing" if r["path"] == r["name"] else "not pulled")
        )
        print(f"{mark} {r['name']:<{width}}  {r['size']:>8}  {state:<10}  {r['description']}")
        _print_tuned(r)
    if server is not None:
        print(f"* {server['name']}  (a model on an OpenAI-compatible server)")
        _print_tuned(server)
    elif not any(r["active"] for r in rows):
        print(
            "(* marks the model in use; none is, so entries are read by the "
            f"{settings.extractor} extractor)"
        )
    return 0


def _tuned(model_path: Path | None) -> dict[str, Any]:
    """Whether a model has a program tuned for it, and how it scored."""
    from plugins.llm_program import compiled_path_for_model

    return _tuning_fields(compiled_path_for_model(model_path) if model_path else None)


def _tuning_fields(path: Path | None) -> dict[str, Any]:
    from plugins.llm_program import inspect_compiled

    if path is None:
        return {"tuned": None, "tuned_problem": ""}
    record, problem = inspect_compiled(path)
    tuned: dict[str, Any] | None = None
    if record is not None:
        tuned = {
            "path": str(path),
            "dev_f1": record.dev_f1,
            "baseline_dev_f1": record.baseline_dev_f1,
            "dev_entries": record.dev_entries,
            "train_entries": record.train_entries,
            "tuned_at": record.tuned_at,
        }
    elif not problem and path.exists():
        tuned = {"path": str(path), "dev_f1": None}  # Usable, but not made by `model tune`.
    return {"tuned": tuned, "tuned_problem": problem}


def _server_row(settings: Settings) -> dict[str, Any]:
    from plugins.llm_program import compiled_path_for_server

    model = settings.openai_model.strip()
    url = settings.openai_base_url.strip().rstrip("/")
    path = compiled_path_for_server(settings.data_dir, url, model) if model else None
    return {"name": f"{model or '(openai_model not set)'} @ {url}", **_tuning_fields(path)}


def _print_tuned(row: dict[str, Any]) -> None:
    tuned = row.get("tuned")
    if tuned is not None and tuned["dev_f1"] is None:
        print(f"    tuned program (no scores recorded): {tuned['path']}")
    elif tuned is not None:
        print(
            f"    tuned program: dev F1 {tuned['dev_f1']:.3f} (hand-written "
            f"{tuned['baseline_dev_f1']:.3f}, on {tuned['dev_entries']} dev entries)"
        )
    elif row.get("tuned_problem"):
        print(f"    tuned program refused, the hand-written one is used: {row['tuned_problem']}")


def _size(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError:
        return "?"
    return f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


def cmd_pull(settings: Settings, args: argparse.Namespace) -> int:
    """Download or assemble a known model, with a progress bar."""
    from plugins import model_sources

    path = model_sources.pull(args.name, settings)
    print(f"{args.name.strip().lower()} is ready: {path}")
    return 0


def cmd_use(settings: Settings, args: argparse.Namespace) -> int:
    """Make the llama_cpp extractor use this model (pulling it if need be), or go back to rules."""
    from plugins import model_sources

    choice = args.model.strip()
    if choice.lower() == "rules":
        save_settings(settings, extractor="rules")
        print("Entries are now read by the rules extractor (no model).")
        return 0
    if model_sources.is_known(choice):
        name = choice.lower()
        path = model_sources.pull(name, settings)
        value = name
    else:
        path = model_sources.resolve(choice, settings).resolve()
        value = str(path)
    save_settings(settings, model=value, extractor="llama_cpp")
    print(f"Entries are now read by {value} ({path}) through llama.cpp.")
    print("A running Charlie switches its worker over within a few seconds.")
    return 0


def cmd_test(settings: Settings, args: argparse.Namespace) -> int:
    """Load the configured extractor and show what it finds in some text.

    It runs in a child process, so a model that crashes in native code is reported in
    one line (with the signal's name and what to do) instead of killing this command.
    """
    from backend.graph.extractor_probe import PROBE_TEXT, probe_extractor

    text = args.text if args.text is not None else PROBE_TEXT
    probe = probe_extractor(settings, text)
    if probe.outcome == "unavailable":
        raise CharlieError(f"The {settings.extractor} extractor cannot work: {probe.error}")
    if probe.outcome == "crashed":
        raise CharlieError(f"The {settings.extractor} extractor {probe.error}")
    if not probe.ok:
        raise CharlieError(f"The {settings.extractor} extractor failed: {probe.error}")
    result = {
        "extractor": probe.extractor,
        "model": probe.model,
        "load_seconds": probe.load_seconds,
        "extract_seconds": probe.extract_seconds,
        "entities": probe.entities,
        "relationships": probe.relationships,
        "runtime": probe.runtime,
    }
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    what = settings.extractor + (f" ({settings.model})" if result["model"] else "")
    print(f"extractor: {what}")
    features = probe.runtime.get("build_features")
    if isinstance(features, list):
        print(f"llama.cpp built for: {' '.join(features) or 'no CPU extensions'}")
    if isinstance(probe.runtime.get("program"), str):
        print(f"program: {probe.runtime['program']}")
    print(f"load {probe.load_seconds:.2f} s, extract {probe.extract_seconds:.2f} s")
    print(f"entities ({len(probe.entities)}):")
    for e in probe.entities:
        print(f"  {e['type']:<9} {e['name']}")
    print(f"relationships ({len(probe.relationships)}):")
    for r in probe.relationships:
        print(
            f"  {r['source']} {r['kind']} {r['target']}"
            + (f"  ({r['evidence']})" if r["evidence"] else "")
        )
    return 0


def cmd_tune(settings: Settings, args: argparse.Namespace) -> int:
    """Tune the program for the model in use; print each candidate's dev F1 and the
    before/after figures."""
    name = args.extractor or settings.extractor
    if args.reset:
        removed = tuning.reset(settings, name)
        print(
            f"Removed {removed}: the hand-written program is used again."
            if removed
            else "There was no tuned program for the model in use."
        )
        return 0
    result = tuning.tune(
        settings,
        extractor_name=name,
        gold=args.gold,
        train=args.train,
        dev=args.dev,
        candidates=args.candidates,
        demos=args.demos,
        seed=args.seed,
        say=lambda line: print(line, flush=True),
        tick=_progress if sys.stderr.isatty() else None,
    )
    before = result.baseline.f1
    which = f"{result.dev_entries} dev entries"
    if result.best is not None:
        print(
            f"dev F1 on {which}: hand-written {before:.3f} -> tuned {result.best.f1:.3f} "
            f"(candidate {result.best.number}), in {result.seconds / 60:.1f} min."
        )
        print(f"Saved {result.path}; the extractor uses it from the model's next load.")
        return 0
    best = max((c.f1 for c in result.candidates), default=-1.0)
    print(
        f"dev F1 on {which}: hand-written {before:.3f}; no candidate beat it "
        f"(best {max(best, 0.0):.3f}), so nothing was saved ({result.seconds / 60:.1f} min)."
    )
    if result.path.exists():
        print(
            f"A program tuned earlier is still used: {result.path} "
            "(`charlie model tune --reset` removes it)."
        )
    return 0


def _progress(done: int, total: int) -> None:
    end = "\n" if done == total else ""
    print(f"\r  entry {done}/{total}", end=end, file=sys.stderr, flush=True)
