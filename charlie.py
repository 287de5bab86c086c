"""Charlie's entry point: the TUI by default, subcommands for scripts.

Every subcommand opens the data directory the same way the app does: if a Charlie is
already running it attaches as a client through the handoff; if not, it owns the broker
for its own lifetime. Either way there is never a second database server. The commands
live in cli/; this module builds the parser and dispatches.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import threading
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from backend.broker.private import PRIVATE_UMASK
from backend.errors import CharlieError
from backend.settings import load_settings

if TYPE_CHECKING:
    from backend.root import Charlie

# The heavy modules (redis-py, Huey, Textual) are imported where they are needed, so the
# app can start its database server first and import them while the server loads.


def defer_redis_asyncio() -> None:
    """Load redis-py's asyncio client only if something uses it.

    ``import redis`` imports ``redis.asyncio`` first thing (its client, cluster and
    connection modules: about 50 ms, a tenth of a short command), although Charlie
    never uses it. Before redis-py is first imported, ``redis.asyncio`` is put in
    ``sys.modules`` as an empty module of the real package's spec. Its submodules
    import through its path as usual (redis-py's sync client imports one at import
    time); a submodule asked of it by name (``from redis.asyncio import
    _himport_exec``) is imported; any other name asked of it runs the real package
    into it once, whose own imports then find the submodules already loaded. Nothing
    changes if redis-py is already imported (a test calling ``main`` in-process).
    """
    if "redis" in sys.modules or "redis.asyncio" in sys.modules:
        return
    package = importlib.util.find_spec("redis")
    if package is None or not package.submodule_search_locations:
        return
    spec = importlib.machinery.PathFinder.find_spec(
        "redis.asyncio", list(package.submodule_search_locations)
    )
    if spec is None or spec.loader is None or not spec.submodule_search_locations:
        return
    loader, path = spec.loader, list(spec.submodule_search_locations)
    module = importlib.util.module_from_spec(spec)
    loading = threading.Lock()

    class Deferred(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            finder = importlib.machinery.PathFinder
            if not name.startswith("__") and finder.find_spec(f"redis.asyncio.{name}", path):
                return importlib.import_module(f"redis.asyncio.{name}")
            with loading:
                if type(self) is Deferred:
                    self.__class__ = types.ModuleType
                    try:
                        loader.exec_module(self)
                    except BaseException:
                        # The next import of redis.asyncio starts afresh (and fails
                        # the same way, where it is used).
                        sys.modules.pop("redis.asyncio", None)
                        raise
            return getattr(self, name)

    module.__class__ = Deferred
    sys.modules["redis.asyncio"] = module


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; each cli/ module adds its own.

    Given the word naming the command about to run, only the module adding that command
    is imported: importing them all (the model and doctor commands bring plugins along)
    costs every short command tens of milliseconds. Any other word, or none, gets every
    parser, so help and "invalid choice" list every command.
    """
    from cli import REGISTRARS

    chosen = [entry for entry in REGISTRARS if command in entry[2]]
    parser = argparse.ArgumentParser(
        prog="charlie", description="Charlie: a journal for the terminal. No command: the app."
    )
    sub = parser.add_subparsers(dest="command")
    for module, function, _commands in chosen or REGISTRARS:
        getattr(importlib.import_module(module), function)(sub)
    if chosen and command not in sub.choices:
        return build_parser()  # REGISTRARS named the wrong module: build them all.
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Everything Charlie writes (entries, logs, config, exports, models) is its user's
    # alone on a shared machine.
    os.umask(PRIVATE_UMASK)
    # At exit, after the atexit handlers and thread joins, the interpreter's garbage
    # collection walks every object redis-py and the backend made: about 50 ms of a
    # 500 ms command. It skips frozen objects, and nothing waits on it: the server,
    # files and connections are closed explicitly and the standard streams are flushed
    # regardless. (Once per process, however often main() runs in a test.)
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(words[0] if words else None).parse_args(words)
    try:
        settings = load_settings()
        if args.command is None:
            from cli.tui import run_tui

            return run_tui(settings)
        if not getattr(args, "needs_api", True):
            return int(args.func(settings, args))
        from backend.runtime import OwnerRuntime

        # A short command, one thread importing: the one kind of process where
        # deferring part of redis-py (see defer_redis_asyncio) is worth its care.
        defer_redis_asyncio()
        func: Callable[[Charlie, argparse.Namespace], int] = args.func
        runtime = OwnerRuntime(settings)
        # If nobody owns the data directory, the server starts loading the journal now,
        # while this process imports what the command needs (open() imports it).
        runtime.begin()
        with runtime:
            return func(runtime.charlie, args)
    except CharlieError as exc:
        print(f"charlie: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
