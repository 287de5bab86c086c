"""Charlie's commands, one module per topic; charlie.py builds the parser from them.

Each module adds its parsers with ``register(sub)`` (argparse only: heavy imports happen
inside the command functions). A parser sets ``func`` and ``needs_api``: with
``needs_api`` True (the default) the function is called as ``func(charlie, args)`` with
the data directory open (backend/runtime.py) and ``charlie`` its root object
(backend/root.py), otherwise as ``func(settings, args)``.
No command at all runs the app (cli/tui.py).
"""

REGISTRARS = (
    ("cli.serve", "register"),  # worker, serve
    ("cli.entries", "register"),  # new, list, show
    ("cli.status", "register"),
    ("cli.queue", "register"),  # jobs, retry, discard, inference
    ("cli.entries", "register_delete"),
    ("cli.model", "register"),
    ("cli.imports", "register"),
    ("cli.export", "register"),  # export, import-export
    ("cli.backup", "register"),  # backup, restore
    ("cli.eval", "register"),
    ("cli.graph", "register"),  # entities, entity, me, search
    ("cli.curate", "register"),  # retype, link, split, merge
    ("cli.doctor", "register"),
    ("cli.entries", "register_edit"),
    ("cli.drafts", "register"),
)
"""(module, function) adding each group of parsers, in the order `charlie --help` lists
the commands."""
