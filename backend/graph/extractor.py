"""The extractor plugin contract: entry text in, typed entities out.

Implementations live in ``plugins/`` and register under the entry-point group
``charlie.extractors``; the ``extractor`` setting picks one by name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from backend.errors import CharlieError
from backend.settings import Settings

ENTITY_TYPES = ("Person", "Place", "Group", "Activity")
GROUP = "charlie.extractors"
# Relationship kinds the graph keeps; anything else a model says becomes RELATED_TO.
RELATION_KINDS = (
    "KNOWS",
    "FAMILY_OF",
    "WORKS_WITH",
    "MEMBER_OF",
    "VISITED",
    "LIVES_IN",
    "DOES",
    "RELATED_TO",
)


@dataclass(frozen=True)
class Entity:
    """One thing an entry mentions."""

    name: str
    """The name as written in the entry."""
    type: str
    """One of ENTITY_TYPES."""


@dataclass(frozen=True)
class Relationship:
    """A link between two entities the entry states, e.g. Sarah VISITED Lisbon."""

    source: Entity
    kind: str
    """One of RELATION_KINDS (others are kept as RELATED_TO)."""
    target: Entity
    evidence: str = ""
    """The sentence that supports it."""


@dataclass(frozen=True)
class Extraction:
    """What an extractor found in one entry."""

    entities: list[Entity] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)


class ExtractorUnavailable(Exception):
    """The extractor cannot work at all (model missing, fails to load, endpoint down).

    Raising this charges no attempt: the queue pauses with ``reason`` on screen and
    probes again later.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Extractor(ABC):
    """Finds entities in entry text. One instance lives in the worker process."""

    name: str = ""
    uses_model: bool = False
    """True when load() brings a model into this process's memory (the UI shows whether
    it is loaded); False for extractors that need none or call a remote server."""
    quick: bool = False
    """True when an entry takes it about a millisecond of this process's time (no model,
    no server): the worker then holds its next job too, and extracts that one while the
    server writes the last (backend/jobs/enricher.py)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings if settings is not None else Settings()

    def load(self) -> None:  # noqa: B027 - optional hook, most extractors need nothing
        """Get ready (load a model). May raise ExtractorUnavailable."""

    def unload(self) -> None:  # noqa: B027 - optional hook
        """Free what load() took (the model's memory)."""

    @property
    def loaded(self) -> bool:
        return True

    def runtime_info(self) -> dict[str, object]:
        """Facts about what runs the extractor, for `charlie doctor` (e.g. a native
        library's build); empty when there is nothing to tell."""
        return {}

    @abstractmethod
    def extract(self, text: str) -> Extraction:
        """The entities in ``text``. Raise ExtractorUnavailable if it cannot work at all;
        any other exception fails this attempt (it is retried with backoff)."""


def entry_text(title: str, body: str) -> str:
    """What an extractor reads for an entry: the title as its own paragraph, then the
    body (a blank line between, so no sentence runs from one into the other)."""
    return f"{title}\n\n{body}" if title else body


class UnknownExtractorError(CharlieError):
    """The configured extractor name is not installed."""


def installed_extractors() -> dict[str, str]:
    """Installed extractor names and where they come from."""
    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


def load_extractor(name: str, settings: Settings | None = None) -> Extractor:
    """An instance of the extractor registered as ``name``, configured by ``settings``."""
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            cls = ep.load()
            instance = cls(settings)
            if not isinstance(instance, Extractor):
                raise UnknownExtractorError(f"{ep.value} is not an Extractor.")
            return instance
    names = ", ".join(sorted(installed_extractors())) or "none"
    raise UnknownExtractorError(f"No extractor called {name!r} is installed. Installed: {names}.")
