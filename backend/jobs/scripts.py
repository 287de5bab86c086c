"""The Lua scripts of the job transitions (``backend/jobs/lua/*.lua``), ready to register.

Each transition is a plain Lua file. What a script needs from Python (the key names in
``backend.jobs.keys``, the history cap, the order offsets) it writes as ``${name}``, and
:func:`lua` fills those in with :class:`string.Template` when the script is loaded, once
per process. Placeholders rather than ARGV because these are constants of the code, not
of a call: every call site keeps passing only what varies (the ARGV each script
documents), and a script's text (so its SHA on the server) never changes within a
release. ``$`` rather than %-formatting or ``str.format`` because Lua tables are written
with braces and Lua has no ``$`` at all, so nothing in a script can be taken for a
placeholder by accident; a placeholder without a value raises ``KeyError`` on import
instead of reaching Redis.
"""

from __future__ import annotations

from importlib import resources
from string import Template

from backend.jobs import keys

KEY_NAMES = {
    "prefix": keys.PREFIX,
    "queued": keys.QUEUED,
    "running": keys.RUNNING,
    "retry": keys.RETRY,
    "dead": keys.DEAD,
    "done": keys.DONE,
    "paused": keys.PAUSED,
    "events": keys.EVENTS,
    "completed": keys.COMPLETED,
    "breaker": keys.BREAKER_KEY,
    "editing": keys.EDITING_KEY,
    "wake_queue": keys.WAKE_QUEUE,
    "wake_message": keys.WAKE_MESSAGE,
    "wake_seq": keys.WAKE_SEQ,
}
"""The key names every script may use, by placeholder."""


def lua(*names: str, **values: int | str) -> str:
    """The scripts ``lua/<name>.lua``, joined in order, with every ``${placeholder}``
    filled in from :data:`KEY_NAMES` and ``values``."""
    folder = resources.files("backend.jobs") / "lua"
    text = "".join((folder / f"{name}.lua").read_text(encoding="utf-8") for name in names)
    return Template(text).substitute(KEY_NAMES, **values)
