"""`charlie doctor`: check the setup and say how to fix what is off.

It opens the database itself, after looking at the lock and the handoff (see
:mod:`backend.doctor` for why the order matters), so it does not need the API that
other commands get. The exit status is 0 only when every check passes.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from backend.settings import Settings


def register(sub: Any) -> None:
    """Add ``charlie doctor``."""
    from backend.doctor import PROBE_TIMEOUT_SECONDS

    p = sub.add_parser(
        "doctor",
        help="check Python, the data directory, the database, the worker, the model, the "
        "queue and backups; say how to fix what is off",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--timeout",
        type=float,
        default=PROBE_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"how long the extractor gets to read a sample sentence "
        f"(default {PROBE_TIMEOUT_SECONDS:g})",
    )
    p.set_defaults(func=cmd_doctor, needs_api=False)


def cmd_doctor(settings: Settings, args: argparse.Namespace) -> int:
    """Print one line per check (and a fix under each ✗), then the tally."""
    from backend import doctor

    def show(check: doctor.Check) -> None:
        # Printed as each check ends: the extractor probe can take a while.
        for line in doctor.check_lines(check):
            print(line, flush=True)

    checks = doctor.run_checks(
        settings, probe_timeout=args.timeout, on_check=None if args.json else show
    )
    if args.json:
        print(json.dumps(doctor.report_dict(checks), indent=2, ensure_ascii=False, default=str))
    else:
        print(doctor.tally(checks))
    return 0 if doctor.all_ok(checks) else 1
