"""Charlie's entry point: the TUI by default, subcommands for scripts.

Every subcommand opens the data directory the same way the app does: if a Charlie is
already running it attaches as a client through the handoff; if not, it owns the broker
for its own lifetime. Either way there is never a second database server.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from backend.broker.connection import begin_broker
from backend.broker.private import PRIVATE_UMASK
from backend.errors import CharlieError
from backend.settings import Settings, load_settings
from backend.validation import parse_entry_date

if TYPE_CHECKING:
    from backend.api import CharlieAPI
    from backend.jobs.supervisor import Supervisor
    from backend.models import Entry

# The heavy modules (redis-py, Huey, Textual) are imported where they are needed, so the
# app can start its database server first and import them while the server loads.


def _entry_json(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "journal": entry.journal,
        "title": entry.title,
        "body": entry.body,
        "date": entry.entry_at.isoformat(),
        "created_at": entry.created_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
        "source": entry.source,
        "content_hash": entry.content_hash,
    }


def read_stdin() -> str:
    """Standard input as text; bytes that are not UTF-8 stay visible (as surrogates) so
    validation names the problem in one line instead of a traceback."""
    return sys.stdin.buffer.read().decode("utf-8", "surrogateescape")


def _when(text: str | None) -> datetime | None:
    return parse_entry_date(text) if text else None


def cmd_new(api: CharlieAPI, args: argparse.Namespace) -> int:
    if args.text is not None:
        body = args.text
    elif not sys.stdin.isatty():
        body = read_stdin()
    else:
        raise CharlieError("Give the entry text as an argument or on standard input.")
    entry = api.add_entry(
        body,
        title=args.title or "",
        entry_at=_when(args.date),
        journal=args.journal,
        source="cli",
        id_key=args.id_key,
    )
    print(entry.id)
    return 0


def cmd_list(api: CharlieAPI, args: argparse.Namespace) -> int:
    rows = []
    cursor = None
    while len(rows) < args.limit:
        page = api.list_entries(
            journal=args.journal, limit=min(500, args.limit - len(rows)), before=cursor
        )
        rows.extend(page.entries)
        cursor = page.next_cursor
        if cursor is None:
            break
    if args.json:
        out = [
            {
                "id": e.id,
                "title": e.title,
                "preview": e.preview,
                "date": e.entry_at.isoformat(),
            }
            for e in rows
        ]
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for e in rows:
            print(f"{e.id}  {e.entry_at:%Y-%m-%d %H:%M}  {e.display_title}")
    return 0


def cmd_show(api: CharlieAPI, args: argparse.Namespace) -> int:
    entry = api.get_entry(api.resolve_entry_id(args.id, journal=args.journal), journal=args.journal)
    if args.json:
        print(json.dumps(_entry_json(entry), ensure_ascii=False, indent=2))
    else:
        print(f"# {entry.display_title}" if entry.title else "", end="\n" if entry.title else "")
        print(f"{entry.entry_at:%A %d %B %Y, %H:%M %z}  ({entry.journal}, {entry.id})\n")
        print(entry.body)
    return 0


def cmd_delete(api: CharlieAPI, args: argparse.Namespace) -> int:
    entry_id = api.resolve_entry_id(args.id, journal=args.journal)
    api.delete_entry(entry_id, journal=args.journal)
    print(f"Deleted {entry_id}")
    return 0


def _startup_backup(api: CharlieAPI) -> threading.Thread | None:
    """The owner's start-up backup, in the background so the app opens at once."""
    from backend.transfer.backup import startup_snapshot

    if not api.broker.is_owner:
        return None
    thread = threading.Thread(target=startup_snapshot, args=(api,), name="startup-backup")
    thread.start()
    return thread


def _supervise(api: CharlieAPI) -> Supervisor | None:
    """The owner runs the worker; a second instance (a client) leaves that to the owner."""
    from backend.jobs.supervisor import Supervisor

    if not api.broker.is_owner and api.broker.role != "external":
        return None
    return Supervisor(api.settings, api.broker).start()


def cmd_status(api: CharlieAPI, args: argparse.Namespace) -> int:
    status = {
        "broker": api.status(),
        "workers": api.workers(),
        "jobs": api.job_counts(),
        "paused": api.paused_reasons(),
        "inference": "on" if api.inference_enabled() else "off",
        "supervisor": api.supervisor(),
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
        model = "model loaded" if w["model_loaded"] else "model not loaded"
        doing = f", running {w['job']}" if w["job"] else ", idle"
        print(f"worker:    {w['id']} ({w['extractor']}, {model}{doing})")
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


def cmd_jobs(api: CharlieAPI, args: argparse.Namespace) -> int:
    states = [args.state] if args.state else ["running", "queued", "retry_wait", "dead"]
    records = [r for state in states for r in api.list_jobs(state, args.limit)]
    if args.json:
        print(json.dumps([r.__dict__ for r in records], indent=2, default=str))
        return 0
    for r in records:
        error = f"  {r.last_error}" if r.last_error else ""
        print(f"{r.state:<10} {r.id}  attempts {r.attempts}/{r.max_attempts}{error}")
    return 0


def cmd_retry(api: CharlieAPI, args: argparse.Namespace) -> int:
    if args.all_dead:
        print(f"Retrying {api.retry_all_dead()} dead job(s).")
    elif args.id:
        api.retry_job(args.id)
        print(f"Retrying {args.id}.")
    else:
        raise CharlieError("Give a job id or --all-dead.")
    return 0


def cmd_discard(api: CharlieAPI, args: argparse.Namespace) -> int:
    api.discard_job(args.id)
    print(f"Discarded {args.id}.")
    return 0


def cmd_inference(api: CharlieAPI, args: argparse.Namespace) -> int:
    if args.switch:
        api.set_inference(args.switch == "on")
    print(f"Inference is {'on' if api.inference_enabled() else 'off'}.")
    return 0


def run_tui(settings: Settings) -> int:
    try:
        pending = begin_broker(settings)
    except CharlieError as exc:
        return _startup_error(exc)
    # The server is loading the journal in its own process; import meanwhile.
    from backend.api import CharlieAPI
    from ui.app import CharlieApp

    try:
        api = CharlieAPI(settings, pending.finish())
    except CharlieError as exc:
        return _startup_error(exc)
    supervisors: list[Supervisor] = []
    backup = None

    def became_owner(_conn: object) -> None:
        # The owner this app attached to left and the app took over the data
        # directory: it runs the worker from now on too.
        started = _supervise(api)
        if started is not None:
            supervisors.append(started)

    api.broker.on_owner = became_owner
    closing, closed = threading.Lock(), threading.Event()

    def close_backend() -> None:
        with closing:  # Once, from the main thread or the hangup fallback.
            if closed.is_set():
                return
            if backup is not None:
                backup.join()  # It must not lose the server half-way.
            for supervisor in supervisors:
                supervisor.stop()
            api.close()
            closed.set()

    def after_hangup() -> None:
        close_backend()
        os._exit(0)  # Textual is stuck writing to a terminal that is gone.

    try:
        backup = _startup_backup(api)
        first = _supervise(api)
        if first is not None:
            supervisors.append(first)
        app = CharlieApp(api)
        # A closed terminal (SIGHUP) or a shutdown (SIGTERM) keeps the editor's text
        # as a draft and then goes through the same clean exit as Ctrl+Q.
        app.exit_signals = (signal.SIGHUP, signal.SIGTERM)
        app.after_hangup = after_hangup
        app.run()
    finally:
        close_backend()
    return 0


def _startup_error(exc: CharlieError) -> int:
    from ui.app import StartupErrorApp

    StartupErrorApp(str(exc)).run()
    return 1


def run_serve(settings: Settings) -> int:
    """`charlie serve`: the owner without a TUI (broker + supervised worker); with a
    ``broker_url``, a supervised worker for that external server."""
    from backend.api import CharlieAPI

    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    api = CharlieAPI.open(settings)
    if api.broker.role == "client":
        # Another Charlie owns the data directory (often a short CLI command): wait for
        # it to leave and take over, rather than refusing.
        owner = api.broker.handoff.owner_pid if api.broker.handoff else "?"
        print(f"charlie: waiting for the Charlie that owns it now (pid {owner})", flush=True)
        while api.broker.role == "client" and not stopping.wait(0.5):
            api.close()
            api = CharlieAPI.open(settings)
        if stopping.is_set():
            api.close()
            return 0
    backup = _startup_backup(api)
    supervisor = _supervise(api)
    print(f"charlie serving {settings.data_dir}", flush=True)
    try:
        stopping.wait()
    finally:
        if backup is not None:
            backup.join()  # It must not lose the server half-way.
        if supervisor is not None:
            supervisor.stop()
        api.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="charlie", description="Charlie: a journal for the terminal. No command: the app."
    )
    sub = parser.add_subparsers(dest="command")

    def journal_opt(p: argparse.ArgumentParser) -> None:
        p.add_argument("--journal", "-j", help="journal name (default: the default journal)")

    sub.add_parser("worker", help="run a background worker (the app starts one itself)")
    sub.add_parser("serve", help="run the database and worker without the app")

    p = sub.add_parser("new", help="write an entry (text as argument or on stdin)")
    p.add_argument("text", nargs="?", help="the entry text; read from stdin if absent")
    p.add_argument("--title", "-t", help="a one-line title")
    p.add_argument("--date", "-d", help="entry date: YYYY-MM-DD, 'YYYY-MM-DD HH:MM' or ISO 8601")
    p.add_argument(
        "--id-key",
        metavar="KEY",
        help="your name for this save: running the same command again adds nothing",
    )
    journal_opt(p)
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("list", help="list entries, newest first")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", "-n", type=int, default=50, help="how many (default 50)")
    journal_opt(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print one entry")
    p.add_argument("id", help="entry id (a unique prefix of at least 4 digits is enough)")
    p.add_argument("--json", action="store_true", help="print JSON")
    journal_opt(p)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("status", help="broker, worker, model and job counts")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_status)

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

    p = sub.add_parser("delete", help="delete one entry")
    p.add_argument("id", help="entry id (a unique prefix is enough)")
    journal_opt(p)
    p.set_defaults(func=cmd_delete)

    from cli import COMMAND_MODULES

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Everything Charlie writes (entries, logs, config, exports, models) is its user's
    # alone on a shared machine.
    os.umask(PRIVATE_UMASK)
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command is None:
            return run_tui(settings)
        if args.command == "worker":
            from backend.jobs.worker import run_worker

            return run_worker(settings)
        if args.command == "serve":
            return run_serve(settings)
        if not getattr(args, "needs_api", True):
            return int(args.func(settings, args))
        from backend.api import CharlieAPI

        func: Callable[[CharlieAPI, argparse.Namespace], int] = args.func
        with CharlieAPI.open(settings) as api:
            return func(api, args)
    except CharlieError as exc:
        print(f"charlie: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
