"""`charlie eval GOLD.json [--extractor NAME]`: precision, recall and F1 of an extractor."""

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
    p.add_argument("gold", type=Path, help="gold JSON file")
    p.add_argument("--extractor", "-x", help="extractor name (default: the configured one)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_eval, needs_api=False)


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from backend.errors import CharlieError
    from backend.evaluation import evaluate, load_gold
    from backend.extractor import ExtractorUnavailable, load_extractor

    gold = load_gold(args.gold)
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
    print(f"{report.extractor} on {report.entries} entries ({report.seconds:.2f} s)")
    print(f"{'type':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
    rows = [*report.per_type.items(), ("overall", report.overall)]
    for name, score in rows:
        print(
            f"{name:<10} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f} "
            f"{score.true_positive:>5} {score.false_positive:>5} {score.false_negative:>5}"
        )
    return 0
