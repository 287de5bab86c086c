"""Charlie's commands, one module per topic; charlie.py builds the parser from them.

Each module adds its parsers with ``register(sub)`` (argparse only: heavy imports happen
inside the command functions). A parser sets ``func`` and ``needs_api``: with
``needs_api`` True (the default) the function is called as ``func(charlie, args)`` with
the data directory open (backend/runtime.py) and ``charlie`` its root object
(backend/root.py), otherwise as ``func(settings, args)``.
No command at all runs the app (cli/tui.py).
"""

REGISTRARS = (
    ("cli.serve", "register", ("worker", "serve")),
    ("cli.entries", "register", ("new", "list", "show")),
    ("cli.status", "register", ("status",)),
    ("cli.queue", "register", ("jobs", "retry", "discard", "inference")),
    ("cli.entries", "register_delete", ("delete",)),
    ("cli.model", "register", ("model",)),
    ("cli.imports", "register", ("import",)),
    ("cli.export", "register", ("export", "import-export")),
    ("cli.backup", "register", ("backup", "restore")),
    ("cli.eval", "register", ("eval",)),
    ("cli.graph", "register", ("entities", "entity", "me", "search")),
    ("cli.stats", "register", ("stats", "onthisday")),
    ("cli.curate", "register", ("retype", "link", "split", "merge")),
    ("cli.doctor", "register", ("doctor",)),
    ("cli.entries", "register_edit", ("edit",)),
    ("cli.tags", "register", ("tags", "star", "unstar")),
    ("cli.drafts", "register", ("drafts",)),
    ("cli.journals", "register", ("journals",)),
    ("cli.templates", "register", ("templates",)),
)
"""(module, function, commands): the function adding each group of parsers and the
commands it adds, in the order `charlie --help` lists them. The names let a command
import only its own module; a name missing here only costs that saving (charlie.py then
builds every parser)."""
