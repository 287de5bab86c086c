"""`charlie doctor`: check everything Charlie depends on and say how to fix what is off.

Each check returns a :class:`Check` (a name, ✓ or ✗, one line of what was found, a fix
in words and a few details for ``--json``). The checks are grouped by what they look at:

- :mod:`backend.doctor.host`: Python, the data directory, the backups;
- :mod:`backend.doctor.owner`: the lock, the handoff and what a dead owner left;
- :mod:`backend.doctor.services`: the database, the worker and the queue;
- :mod:`backend.doctor.model`: the extractor, the llama.cpp build, the model file;
- :mod:`backend.doctor.report`: the :class:`Check` record and how a report reads.

:func:`run_checks` runs them in an order that matters:

1. The lock, the handoff and leftover servers are looked at *before* the database is
   opened. Opening it as owner (when nothing runs) recovers a dead owner's leftovers,
   which would hide exactly what the user asked about.
2. The database, the worker and the queue are read through an ordinary connection, the
   way every CLI command opens one; when doctor is the owner it closes that connection
   (stopping the server) before the slow extractor probe, so a Charlie started meanwhile
   is not left attached to a server that goes away with doctor.
3. The extractor is run on a sample sentence in a child process with a time limit
   (:mod:`backend.graph.extractor_probe`): a model that crashes kills the child, not doctor.

Nothing here imports llama.cpp: the build's CPU features are read by a child process
(``python -m backend.doctor llama-build``, see :mod:`backend.doctor.__main__`) so that
neither doctor nor the app loads it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from backend.doctor.host import check_backups, check_data_dir, check_python
from backend.doctor.model import (
    PROBE_TIMEOUT_SECONDS,
    check_extractor,
    check_llama_build,
    check_model_file,
)
from backend.doctor.owner import check_lock
from backend.doctor.report import Check, all_ok, check_lines, report_dict, tally
from backend.doctor.services import (
    HEARTBEAT_STALE_SECONDS,
    check_database,
    check_queue,
    check_worker,
    database_checks,
)
from backend.graph.extractor_probe import PROBE_TEXT
from backend.settings import Settings

if TYPE_CHECKING:
    from backend.root import Charlie

__all__ = [
    "HEARTBEAT_STALE_SECONDS",
    "PROBE_TIMEOUT_SECONDS",
    "Check",
    "all_ok",
    "check_backups",
    "check_data_dir",
    "check_database",
    "check_extractor",
    "check_lines",
    "check_llama_build",
    "check_lock",
    "check_model_file",
    "check_python",
    "check_queue",
    "check_worker",
    "report_dict",
    "run_checks",
    "tally",
]


def run_checks(
    settings: Settings,
    *,
    charlie: Charlie | None = None,
    probe_timeout: float = PROBE_TIMEOUT_SECONDS,
    probe_text: str = PROBE_TEXT,
    on_check: Callable[[Check], None] | None = None,
) -> list[Check]:
    """Run every check, in order, and return them; ``on_check`` sees each as it ends.

    With ``charlie`` (the app's own root object) the database is read through it; without,
    doctor opens one the way every CLI command does (owning the server if nothing runs)
    and closes it before the extractor probe.
    """
    checks: list[Check] = []

    def add(check: Check) -> None:
        checks.append(check)
        if on_check is not None:
            on_check(check)

    add(check_python())
    add(check_data_dir(settings))
    # Before anything opens the database: opening it as owner clears what we look for.
    lock_check, owner = check_lock(settings)
    if charlie is not None and owner.owner_pid is None and not settings.broker_url:
        owner.owner_pid = os.getpid()  # The app that handed us its connection is the owner.
    for check in database_checks(settings, charlie, owner, lock_check):
        add(check)
    add(check_backups(settings))
    add(check_extractor(settings, timeout=probe_timeout, text=probe_text))
    if settings.extractor == "llama_cpp":
        add(check_llama_build())
        add(check_model_file(settings))
    return checks
