"""`charlie serve` (the owner without the app) and `charlie worker` (a worker process)."""

from __future__ import annotations

import argparse
import signal
from typing import Any

from backend.runtime import OwnerRuntime
from backend.settings import Settings


def register(sub: Any) -> None:
    """Add ``charlie worker`` and ``charlie serve``."""
    p = sub.add_parser("worker", help="run a background worker (the app starts one itself)")
    p.set_defaults(func=cmd_worker, needs_api=False)
    p = sub.add_parser("serve", help="run the database and worker without the app")
    p.set_defaults(func=cmd_serve, needs_api=False)


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """A worker: it attaches through the handoff (or to ``broker_url``) and runs jobs."""
    from backend.jobs.worker import run_worker

    return run_worker(settings)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """The owner without a TUI (broker + supervised worker) until SIGTERM or SIGINT; with
    a ``broker_url``, a supervised worker for that external server."""
    runtime = OwnerRuntime(settings, supervise=True, startup_backup=True)
    runtime.stop_on(signal.SIGTERM, signal.SIGINT)
    broker = runtime.open()
    if broker.role == "client":
        # Another Charlie owns the data directory (often a short CLI command): wait for
        # it to leave and take over, rather than refusing.
        owner = broker.handoff.owner_pid if broker.handoff else "?"
        print(f"charlie: waiting for the Charlie that owns it now (pid {owner})", flush=True)
        if not runtime.wait_to_own():
            return 0
    with runtime:
        print(f"charlie serving {settings.data_dir}", flush=True)
        runtime.stopping.wait()
    return 0
