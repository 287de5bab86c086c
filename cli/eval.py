"""`charlie eval GOLD [--split S] [--extractor NAME]`: precision, recall and F1 of an
extractor; `charlie eval --from-journal [NAME] -o FILE`: a gold file from the corrections
made in a journal."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from backend.settings import Settings


def register(sub: Any) -> None:
    p = sub.add_parser(
        "eval", help="score an extractor against hand-marked entries (see README for the format)"
    )
    p.add_argument("gold", type=Path, nargs="?", help="gold JSON file, or a folder of splits")
    p.add_argument("--split", "-s", help="with a gold folder: train, dev or test")
    p.add_argument("--extractor", "-x", help="extractor name (default: the configured one)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--from-journal",
        nargs="?",
        const="",
        metavar="NAME",
        help="write a gold file from your corrections in a journal (default journal if no NAME)",
    )
    p.add_argument("--output", "-o", type=Path, help="with --from-journal: the file to write")
    p.set_defaults(func=cmd_eval, needs_api=False)


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from backend.errors import CharlieError
    from backend.graph.evaluation import evaluate, gold_path, load_gold
    from backend.graph.extractor import ExtractorUnavailable, load_extractor

    if args.from_journal is not None:
        return _from_journal(settings, args)
    if args.gold is None:
        raise CharlieError("Give a gold file (or folder with --split), or --from-journal.")
    gold = load_gold(gold_path(args.gold, args.split))
    extractor = load_extractor(args.extractor or settings.extractor, settings)
    try:
        report = evaluate(extractor, gold)
    except ExtractorUnavailable as exc:
        raise CharlieError(f"The {extractor.name} extractor cannot run: {exc.reason}") from None
    finally:
        extractor.unload()
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    print(
        f"{report.extractor} on {report.entries} entries ({report.seconds:.2f} s, "
        f"{report.entries_per_second:.0f} entries/s)"
    )
    print(f"{'type':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    rows = [*report.per_type.items(), ("overall", report.overall)]
    for name, score in rows:
        print(
            f"{name:<10} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f} "
            f"{score.true_positive:>5} {score.false_positive:>5} {score.false_negative:>5}"
        )
    if report.confusion:
        print("found with the wrong type:")
        for (wanted, found), count in sorted(report.confusion.items(), key=lambda kv: -kv[1]):
            print(f"  {wanted} taken as {found}: {count}")
    return 0


def _from_journal(settings: Settings, args: argparse.Namespace) -> int:
    from backend.broker.atomic import atomic_file
    from backend.errors import CharlieError
    from backend.runtime import OwnerRuntime

    if args.output is None:
        raise CharlieError("Say where to write the gold file: --output FILE.")
    with OwnerRuntime(settings) as runtime:
        journal = runtime.charlie.journal(args.from_journal or None)
        gold = journal.graph.corrections_gold()
    try:
        with atomic_file(args.output) as out:  # 0600: the journal's own words.
            out.write(json.dumps(gold, ensure_ascii=False, indent=1).encode() + b"\n")
    except OSError as exc:
        raise CharlieError(f"Cannot write {args.output}: {exc}") from exc
    entities = sum(len(e["entities"]) for e in gold["entries"])
    print(
        f"Wrote {len(gold['entries'])} corrected entries ({entities} entities) from "
        f"{journal.name} to {args.output}. Score an extractor on them with: "
        f"charlie eval {args.output}"
    )
    return 0
