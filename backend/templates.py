"""Entry templates: named Markdown skeletons with ``{date}``-style fields.

A template comes from the ``[templates]`` table of the config file (name = text) or from
a file ``<config>/templates/NAME.md``. A file wins over a config entry of the same name:
the folder is where a template grows (edited in a real editor), the table is for short
ones, and a file added later is the newer intent. Names are matched without regard to
case.

Filling a template replaces ``{date}`` (YYYY-MM-DD), ``{time}`` (HH:MM), ``{weekday}``,
``{month}``, ``{year}`` and ``{journal}``; ``{{`` and ``}}`` give literal braces. A field
that is not one of these is left exactly as typed and reported, never an error: a typo
in a template must not stop anyone writing. The title is the front matter's ``title:``
or else a first line ``# Title``; both are filled too.

Pure functions on text and folders: no database, no UI.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

FIELDS = ("date", "time", "weekday", "month", "year", "journal")
"""The fields a template can use, in the order the README lists them."""
MAX_TEMPLATE_BYTES = 64 * 1024
"""A larger template file is skipped (with a word why): a skeleton is a few lines."""
SUFFIX = ".md"

_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FRONT_MATTER_END = re.compile(r"^---[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Template:
    """One named skeleton, as written (fields not yet filled)."""

    name: str
    """What ``charlie new --template`` and the picker call it."""
    text: str
    """The template's source text."""
    path: Path | None = None
    """The file it was read from; None for a config entry."""

    @property
    def source(self) -> str:
        """``file`` or ``config``."""
        return "config" if self.path is None else "file"


@dataclass(frozen=True)
class Filled:
    """A template with its fields filled in: what a new entry starts from."""

    title: str
    """The title the template sets ('' if none)."""
    body: str
    """The Markdown body."""
    unknown: tuple[str, ...] = ()
    """Fields left as typed because they are not known (``{mood}``), each once."""
    notes: tuple[str, ...] = ()
    """Other things worth saying (a front matter key templates do not use)."""


@dataclass(frozen=True)
class TemplateSet:
    """Every template found, by name, and what could not be read."""

    templates: tuple[Template, ...] = ()
    """Sorted by name, case-insensitively."""
    problems: tuple[str, ...] = ()
    """One line per file skipped, in words."""

    def find(self, name: str) -> Template | None:
        """The template called ``name`` (any case), or None."""
        wanted = name.strip().casefold()
        return next((t for t in self.templates if t.name.casefold() == wanted), None)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.templates]


def folder_for(config_file: Path) -> Path:
    """``<config>/templates``, beside the config file."""
    return config_file.parent / "templates"


def load_templates(configured: Mapping[str, str], folder: Path) -> TemplateSet:
    """The config's templates and the folder's ``*.md`` files (a file wins a name).

    Hidden files, folders and files that are not UTF-8 or too large are skipped; the
    last two are named in ``problems``. A missing folder is no templates, not an error.
    """
    found: dict[str, Template] = {
        name.strip().casefold(): Template(name.strip(), text)
        for name, text in configured.items()
        if name.strip()
    }
    problems: list[str] = []
    try:
        listed = sorted(os.scandir(folder), key=lambda item: item.name)
    except FileNotFoundError:
        listed = []
    except OSError as exc:
        listed = []
        problems.append(f"Cannot read the templates folder {folder}: {exc.strerror or exc}")
    for item in listed:
        if item.name.startswith(".") or not item.name.lower().endswith(SUFFIX):
            continue
        name = item.name[: -len(SUFFIX)].strip()
        path = Path(item.path)
        if not name or not item.is_file():
            continue
        text, problem = _read(path)
        if problem is not None:
            problems.append(problem)
            continue
        assert text is not None
        found[name.casefold()] = Template(name, text, path)
    ordered = tuple(sorted(found.values(), key=lambda t: t.name.casefold()))
    return TemplateSet(ordered, tuple(problems))


def _read(path: Path) -> tuple[str | None, str | None]:
    """(text, None) or (None, why it was skipped)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TEMPLATE_BYTES + 1)
    except OSError as exc:
        return None, f"Skipped the template {path}: {exc.strerror or exc}"
    if len(data) > MAX_TEMPLATE_BYTES:
        return None, f"Skipped the template {path}: larger than {MAX_TEMPLATE_BYTES // 1024} KB"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, f"Skipped the template {path}: it is not UTF-8 text"
    return text.replace("\r\n", "\n"), None


def field_values(when: datetime, journal: str) -> dict[str, str]:
    """What each field stands for, for an entry written at ``when`` in ``journal``."""
    return {
        "date": when.strftime("%Y-%m-%d"),
        "time": when.strftime("%H:%M"),
        "weekday": when.strftime("%A"),
        "month": when.strftime("%B"),
        "year": f"{when.year:04d}",
        "journal": journal,
    }


def fill_text(text: str, values: Mapping[str, str]) -> tuple[str, list[str]]:
    """``text`` with its known fields replaced; the unknown ones, as typed, in order."""
    unknown: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        value = values.get(match.group(1).lower())
        if value is None:
            if token not in unknown:
                unknown.append(token)
            return token
        return value

    return _FIELD.sub(replace, text), unknown


def split_title(text: str) -> tuple[str, str, list[str]]:
    """(title, body, notes) of a template's source: front matter ``title:`` or a first
    ``# Title`` line; the body is what follows, without its leading blank lines."""
    notes: list[str] = []
    title = ""
    body = text
    if text.startswith("---\n"):
        end = _FRONT_MATTER_END.search(text, 4)
        if end is not None:
            header = text[4 : end.start()]
            body = text[end.end() :]
            for line in header.splitlines():
                key, sep, value = line.partition(":")
                if not sep or not key.strip():
                    continue
                if key.strip().lower() == "title":
                    title = value.strip().strip("\"'")
                else:
                    notes.append(f"front matter {key.strip()!r} is not used by templates")
    body = body.lstrip("\n")
    if not title:
        first, newline, rest = body.partition("\n")
        if first.startswith("# ") and first[2:].strip():
            title = first[2:].strip()
            body = rest.lstrip("\n") if newline else ""
    return title, body, notes


def fill(template: Template, when: datetime, journal: str) -> Filled:
    """The template for an entry written at ``when`` in ``journal``."""
    values = field_values(when, journal)
    raw_title, raw_body, notes = split_title(template.text)
    title, unknown = fill_text(raw_title, values)
    body, more = fill_text(raw_body, values)
    unknown += [token for token in more if token not in unknown]
    return Filled(title.strip(), body, tuple(unknown), tuple(notes))


def outline(template: Template) -> tuple[str, list[str], list[str]]:
    """(title as written, the known fields it uses, the unknown ones), for listings."""
    title, body, _notes = split_title(template.text)
    used: list[str] = []
    unknown: list[str] = []
    for match in _FIELD.finditer(f"{title}\n{body}"):
        name = match.group(1)
        if name is None:
            continue
        if name.lower() in FIELDS:
            if name.lower() not in used:
                used.append(name.lower())
        elif match.group(0) not in unknown:
            unknown.append(match.group(0))
    return title, used, unknown


def with_text(filled: Filled, text: str) -> str:
    """The template's body with ``text`` after it (a blank line between), for a body
    given on the command line; just the template when ``text`` is blank."""
    if not text.strip():
        return filled.body
    if not filled.body.strip():
        return text
    return f"{filled.body.rstrip()}\n\n{text}"


def unknown_template(name: str, found: TemplateSet, folder: Path) -> str:
    """The words for a template name that is not there, listing the known ones."""
    if not found.templates:
        return (
            f"No template named {name!r}: there are no templates yet. Put Markdown files "
            f"in {folder}, or add a [templates] table to the config file."
        )
    return f"No template named {name!r}. Known templates: {', '.join(found.names)}."
