"""Writing help for the editor and ``charlie new``: templates and the daily prompt.

Both live in files beside the config (``<config>/templates/``, ``<config>/prompts.txt``)
and in the settings, not in the database, so this service needs only the settings: the
app's `n` and ``charlie templates`` read them without waiting for the journal. The logic
is in backend/templates.py and backend/prompts.py; this is the door the UI and the CLI
use (the types they need are named here too).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from backend import prompts
from backend.errors import CharlieError, NotFoundError
from backend.settings import Settings
from backend.templates import (
    FIELDS,
    Filled,
    Template,
    TemplateSet,
    fill,
    folder_for,
    load_templates,
    outline,
    unknown_template,
    with_text,
)

__all__ = ["FIELDS", "Filled", "Template", "TemplateSet", "Writing", "outline", "with_text"]

log = logging.getLogger(__name__)


class Writing:
    """Templates and the question of the day, for one set of settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def templates_folder(self) -> str:
        """Where template files go (``<config>/templates``)."""
        return str(folder_for(self.settings.config_file))

    @property
    def prompts_file(self) -> str:
        """Where the user's own questions go (``<config>/prompts.txt``)."""
        return str(prompts.user_file(self.settings.config_file))

    def templates(self) -> TemplateSet:
        """Every template, by name; files that could not be read are in ``problems``."""
        return load_templates(self.settings.templates, folder_for(self.settings.config_file))

    def fill(self, name: str, when: datetime, journal: str) -> Filled:
        """The template called ``name`` filled in for an entry at ``when`` in ``journal``.

        Raises NotFoundError naming the templates there are."""
        found = self.templates()
        template = found.find(name)
        if template is None:
            folder = folder_for(self.settings.config_file)
            raise NotFoundError(unknown_template(name, found, folder))
        return fill(template, when, journal)

    def prompt(self, day: date) -> str | None:
        """The question for ``day``, or None when prompts are off or hidden for that day."""
        if not self.settings.daily_prompt:
            return None
        if prompts.hidden_on(self.settings.data_dir) == day:
            return None
        questions, problem = prompts.all_prompts(self.settings.config_file)
        if problem is not None:
            log.warning("%s", problem)
        return prompts.pick(day, questions)

    def hide_prompt(self, day: date) -> None:
        """Hide the question until ``day`` is over (remembered across restarts)."""
        try:
            prompts.hide(self.settings.data_dir, day)
        except OSError as exc:
            raise CharlieError(
                f"Could not remember that the question is hidden: {exc.strerror or exc}"
            ) from None
