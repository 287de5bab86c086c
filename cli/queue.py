"""`charlie jobs`, `retry`, `discard` and `inference`: the background work from a shell."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from backend.errors import CharlieError

if TYPE_CHECKING:
    from backend.root import Charlie


def register(sub: Any) -> None:
    """Add ``charlie jobs``, ``retry``, ``discard`` and ``inference``."""
    p = sub.add_parser("jobs", help="list background jobs")
    p.add_argument("--state", choices=["queued", "running", "retry_wait", "dead", "done"])
    p.add_argument("--limit", "-n", type=int, default=200, help="per state (default 200)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_jobs)

    p = sub.add_parser("retry", help="retry a dead job (or all of them)")
    p.add_argument("id", nargs="?", help="job id, as `charlie jobs` prints it")
    p.add_argument("--all-dead", action="store_true", help="retry every dead job")
    p.set_defaults(func=cmd_retry)

    p = sub.add_parser("discard", help="drop a dead job")
    p.add_argument("id", help="job id")
    p.set_defaults(func=cmd_discard)

    p = sub.add_parser("inference", help="show or switch background inference")
    p.add_argument("switch", nargs="?", choices=["on", "off"])
    p.set_defaults(func=cmd_inference)


def cmd_jobs(charlie: Charlie, args: argparse.Namespace) -> int:
    """Print the jobs in one state, or in every state that is not done, a line each."""
    states = [args.state] if args.state else ["running", "queued", "retry_wait", "dead"]
    records = [r for state in states for r in charlie.queue.list_jobs(state, args.limit)]
    if args.json:
        print(json.dumps([r.__dict__ for r in records], indent=2, default=str))
        return 0
    if not records:
        print(f"No {args.state} jobs." if args.state else "No jobs waiting, running or dead.")
    for r in records:
        error = f"  {r.last_error}" if r.last_error else ""
        print(f"{r.state:<10} {r.id}  attempts {r.attempts}/{r.max_attempts}{error}")
    return 0


def cmd_retry(charlie: Charlie, args: argparse.Namespace) -> int:
    """Give one dead job (or every one) fresh attempts."""
    if args.all_dead:
        print(f"Retrying {charlie.queue.retry_all_dead()} dead job(s).")
    elif args.id:
        charlie.queue.retry_job(args.id)
        print(f"Retrying {args.id}.")
    else:
        raise CharlieError("Give a job id or --all-dead.")
    return 0


def cmd_discard(charlie: Charlie, args: argparse.Namespace) -> int:
    """Drop a dead job."""
    charlie.queue.discard_job(args.id)
    print(f"Discarded {args.id}.")
    return 0


def cmd_inference(charlie: Charlie, args: argparse.Namespace) -> int:
    """Switch background inference on or off, then say which it is."""
    if args.switch:
        charlie.queue.set_inference(args.switch == "on")
    print(f"Inference is {'on' if charlie.queue.inference_enabled() else 'off'}.")
    return 0
