"""Subcommands beyond the journal basics, one module each.

Each module has ``register(sub)`` that adds its parsers (argparse only: heavy imports
happen inside the command functions). A parser sets ``func`` and ``needs_api``: with
``needs_api`` True the function is called as ``func(api, args)`` with an open
CharlieAPI, otherwise as ``func(settings, args)``.
"""

COMMAND_MODULES = (
    "cli.model",
    "cli.imports",
    "cli.export",
    "cli.backup",
    "cli.eval",
    "cli.graph",
    "cli.curate",
    "cli.doctor",
    "cli.drafts",
)
