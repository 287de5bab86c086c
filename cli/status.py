"""`charlie status`: where the data is, how this command reaches it, the workers and the
queue at a glance."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.root import Charlie


def register(sub: Any) -> None:
    """Add ``charlie status``."""
    p = sub.add_parser("status", help="broker, worker, model and job counts")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_status)


def cmd_status(charlie: Charlie, args: argparse.Namespace) -> int:
    """Print the broker, the workers, the supervisor's last word, inference, pauses and
    job counts per state (or all of it as JSON)."""
    status = {
        "broker": charlie.status(),
        "workers": charlie.queue.workers(),
        "jobs": charlie.queue.job_counts(),
        "paused": charlie.queue.paused_reasons(),
        "inference": "on" if charlie.queue.inference_enabled() else "off",
        "supervisor": charlie.queue.supervisor(),
    }
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    broker = status["broker"]
    print(f"data:      {broker['data_dir']}")
    print(f"broker:    {broker['url']} (this command is {broker['role']})")
    workers = status["workers"]
    if not workers:
        print("workers:   none running")
    for w in workers:
        print(f"worker:    {worker_line(w)}")
    supervisor = status["supervisor"]
    if supervisor and supervisor["gave_up"]:
        print(f"worker:    {supervisor['gave_up']}")
    elif supervisor and supervisor["restarts"]:
        last = supervisor["last_exit"] or "unknown"
        print(f"worker:    restarted {supervisor['restarts']} time(s); last exit: {last}")
    print(f"inference: {status['inference']}")
    for cause, reason in status["paused"].items():
        print(f"paused:    {reason} ({cause})")
    print("jobs:      " + ", ".join(f"{n} {state}" for state, n in status["jobs"].items()))
    return 0


def worker_line(worker: dict[str, Any]) -> str:
    """One worker, as `charlie status` shows it: an extractor without a model (rules)
    says nothing about a model."""
    model = ""
    if worker.get("uses_model", True):
        model = ", model loaded" if worker["model_loaded"] else ", model not loaded"
    doing = f", running {worker['job']}" if worker["job"] else ", idle"
    return f"{worker['id']} ({worker['extractor']}{model}{doing})"
