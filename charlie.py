"""Charlie's entry point: the TUI by default, subcommands for scripts.

Every subcommand opens the data directory the same way the app does: if a Charlie is
already running it attaches as a client through the handoff; if not, it owns the broker
for its own lifetime. Either way there is never a second database server. The commands
live in cli/; this module builds the parser and dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from backend.broker.private import PRIVATE_UMASK
from backend.errors import CharlieError
from backend.settings import load_settings

if TYPE_CHECKING:
    from backend.root import Charlie

# The heavy modules (redis-py, Huey, Textual) are imported where they are needed, so the
# app can start its database server first and import them while the server loads.


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each cli/ module adds its own."""
    from cli import REGISTRARS

    parser = argparse.ArgumentParser(
        prog="charlie", description="Charlie: a journal for the terminal. No command: the app."
    )
    sub = parser.add_subparsers(dest="command")
    for module, function in REGISTRARS:
        getattr(importlib.import_module(module), function)(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Everything Charlie writes (entries, logs, config, exports, models) is its user's
    # alone on a shared machine.
    os.umask(PRIVATE_UMASK)
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command is None:
            from cli.tui import run_tui

            return run_tui(settings)
        if not getattr(args, "needs_api", True):
            return int(args.func(settings, args))
        from backend.runtime import OwnerRuntime

        func: Callable[[Charlie, argparse.Namespace], int] = args.func
        with OwnerRuntime(settings) as runtime:
            return func(runtime.charlie, args)
    except CharlieError as exc:
        print(f"charlie: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
