"""Entity resolution: which existing entity (if any) an extracted name refers to.

Deterministic and type-aware, per journal. A name is first normalised (case, Unicode
form, possessives, leading articles, punctuation); an exact match on an entity's key or
one of its aliases wins; otherwise the most similar name of the same type (rapidfuzz)
above the threshold; otherwise it is a new entity. Types never mix: Person "Jordan" and
Place "Jordan" stay two entities. The author is one "I" per journal.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

SELF_ID = "self"
SELF_KEY = "i"
SELF_NAMES = frozenset({"i", "me", "myself"})

_POSSESSIVE = re.compile(r"'s?$")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+")
_EDGE_PUNCT = ' \t\n.,;:!?"“”‘’()[]{}<>*_`#'


def normalise(name: str) -> str:
    """The matching key of a name: "The Sarah's " -> "sarah"."""
    text = unicodedata.normalize("NFKC", name).replace("’", "'").casefold()
    text = " ".join(text.split()).strip(_EDGE_PUNCT)
    text = _POSSESSIVE.sub("", text)
    text = _ARTICLE.sub("", text)
    return text.strip(_EDGE_PUNCT)


def display_name(name: str) -> str:
    """A name as an entity is first shown: possessive dropped ("Sarah's" -> "Sarah")."""
    text = " ".join(name.replace("’", "'").split()).strip(_EDGE_PUNCT)
    return _POSSESSIVE.sub("", text) or text


def new_entity_id() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True)
class Known:
    """An entity already in the graph, as resolution sees it."""

    id: str
    type: str
    name: str
    key: str
    aliases: tuple[str, ...] = ()


@dataclass
class Resolver:
    """Resolves names against one journal's entities (loaded once per entry)."""

    known: list[Known]
    threshold: float = 90.0
    _exact: dict[tuple[str, str], Known] = field(init=False)
    _names: dict[str, dict[str, Known]] = field(init=False)

    def __post_init__(self) -> None:
        self._exact = {}
        self._names = {}
        # Sorted by id so that, if two entities claim the same key, the choice is stable.
        for entity in sorted(self.known, key=lambda k: k.id):
            for key in (entity.key, *entity.aliases):
                self._exact.setdefault((entity.type, key), entity)
            self._names.setdefault(entity.type, {}).setdefault(entity.key, entity)

    def resolve(self, name: str, type_: str) -> Known | None:
        """The existing entity ``name`` of type ``type_`` refers to, or None if new."""
        key = normalise(name)
        if not key:
            return None
        if type_ == "Person" and key in SELF_NAMES:
            key = SELF_KEY
        exact = self._exact.get((type_, key))
        if exact is not None:
            return exact
        candidates = self._names.get(type_)
        if not candidates or len(key) < 3:
            return None
        # ratio, not WRatio: WRatio scores "sam" inside "samantha" as a near match.
        best = process.extract(key, list(candidates), scorer=fuzz.ratio, limit=5)
        scored = [(score, candidates[k].id, candidates[k]) for k, score, _ in best]
        scored = [s for s in scored if s[0] >= self.threshold]
        if not scored:
            return None
        scored.sort(key=lambda s: (-s[0], s[1]))
        return scored[0][2]

    def remember(self, entity: Known) -> None:
        """Make a just-created entity findable by later names in the same entry."""
        self.known.append(entity)
        for key in (entity.key, *entity.aliases):
            self._exact.setdefault((entity.type, key), entity)
        self._names.setdefault(entity.type, {}).setdefault(entity.key, entity)
