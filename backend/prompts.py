"""The daily prompt: one question a day, shown in an empty new entry.

The questions are the built-in ones (``backend/prompts.txt``) followed by the user's own,
one a line in ``<config>/prompts.txt`` (blank lines and lines starting with ``#`` are
skipped). The day's question is picked by date, so it stays the same all day and the
next days walk through the whole list before one comes back.

Hiding the question is remembered for that day only, in ``<data>/cache/prompt.json``
(private like the rest of the data directory). It is a courtesy, not data: a file that
is missing or damaged means "not hidden".

Pure functions on files: no database, no UI.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from importlib import resources
from pathlib import Path

from backend.broker.atomic import atomic_file
from backend.broker.private import private_dir

log = logging.getLogger(__name__)

MAX_PROMPT_CHARS = 300
"""A longer line in the user's file is cut: it has to fit in an empty editor."""
MAX_USER_BYTES = 256 * 1024
"""Only this much of the user's file is read."""


def user_file(config_file: Path) -> Path:
    """``<config>/prompts.txt``, beside the config file."""
    return config_file.parent / "prompts.txt"


def hidden_file(data_dir: Path) -> Path:
    """Where the day the question was hidden is kept."""
    return data_dir / "cache" / "prompt.json"


def parse_lines(text: str) -> list[str]:
    """The questions in ``text``: one a line, without blanks, comments and repeats."""
    questions: list[str] = []
    for line in text.splitlines():
        question = line.strip()
        if question and not question.startswith("#") and question not in questions:
            questions.append(question[:MAX_PROMPT_CHARS])
    return questions


def builtin_prompts() -> list[str]:
    """The questions Charlie ships with."""
    return parse_lines((resources.files("backend") / "prompts.txt").read_text(encoding="utf-8"))


def user_prompts(path: Path) -> tuple[list[str], str | None]:
    """(the user's questions, None) or ([], why the file could not be read)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_USER_BYTES)
    except FileNotFoundError:
        return [], None
    except OSError as exc:
        return [], f"Cannot read {path}: {exc.strerror or exc}"
    return parse_lines(data.decode("utf-8-sig", "replace")), None


def all_prompts(config_file: Path) -> tuple[list[str], str | None]:
    """The built-in questions, then the user's (each once); and a problem, if any."""
    mine, problem = user_prompts(user_file(config_file))
    builtin = builtin_prompts()
    return builtin + [q for q in mine if q not in builtin], problem


def pick(day: date, questions: list[str]) -> str | None:
    """The question for ``day``: the same all day, a different one each day until the
    list has gone round."""
    if not questions:
        return None
    return questions[day.toordinal() % len(questions)]


def hidden_on(data_dir: Path) -> date | None:
    """The day the user last hid the question, if the file says so."""
    path = hidden_file(data_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return date.fromisoformat(raw["hidden_on"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # Only the question comes back: say so in the log, bother nobody.
        log.warning("Ignoring %s: %s", path, exc)
        return None


def hide(data_dir: Path, day: date) -> None:
    """Remember that the question is hidden for ``day``. Raises OSError if it cannot."""
    path = hidden_file(data_dir)
    private_dir(path.parent)
    with atomic_file(path, sync=False) as handle:
        handle.write(json.dumps({"hidden_on": day.isoformat()}).encode("utf-8"))
