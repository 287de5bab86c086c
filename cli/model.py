"""`charlie model …`: list, pull, choose and try the model the extractor uses.

None of these needs the database: they read and write settings and model files only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from backend.errors import CharlieError
from backend.settings import Settings, save_settings


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
            }
        )
    if args.json:
        print(json.dumps({"extractor": settings.extractor, "models": rows}, indent=2))
        return 0
    print(f"extractor: {settings.extractor}")
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        mark = "*" if r["active"] else " "
        here = (
            "on disk" if r["present"] else ("missing" if r["path"] == r["name"] else "not pulled")
        )
        print(f"{mark} {r['name']:<{width}}  {r['size']:>8}  {here:<10}  {r['description']}")
    if not any(r["active"] for r in rows):
        print(
            "(* marks the model in use; none is, so entries are read by the "
            f"{settings.extractor} extractor)"
        )
    return 0


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
    from backend.extractor_probe import PROBE_TEXT, probe_extractor

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
