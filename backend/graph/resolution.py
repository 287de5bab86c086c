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
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

SELF_ID = "self"
SELF_KEY = "i"
SELF_NAMES = frozenset({"i", "me", "myself"})

_POSSESSIVE = re.compile(r"'s?$")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+")
_EDGE_PUNCT = ' \t\n.,;:!?"“”‘’()[]{}<>*_`#'


@lru_cache(maxsize=65536)
def normalise(name: str) -> str:
    """The matching key of a name: "The Sarah's " -> "sarah". (Kept: an entry's names
    are normalised several times, and a journal's names recur.)"""
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


class KnownIndex:
    """One journal's entities indexed for resolution: every key and alias by type (exact
    matches) and each type's names (similar ones). When two entities share a key, the
    one with the smaller id wins, whatever order they were added in, so an index grown
    entity by entity answers as one built at once from the same entities (a worker keeps
    one between entries: backend/graph/known.py)."""

    def __init__(self, known: Iterable[Known] = ()) -> None:
        self._by_id: dict[str, Known] = {}
        self._exact: dict[tuple[str, str], Known] = {}
        self._names: dict[str, dict[str, Known]] = {}
        self._choices: dict[str, list[str]] = {}
        for entity in known:
            self.add(entity)

    def add(self, entity: Known) -> None:
        """Index an entity."""
        self._by_id[entity.id] = entity
        for key in (entity.key, *entity.aliases):
            _keep_smallest(self._exact, (entity.type, key), entity)
        names = self._names.setdefault(entity.type, {})
        if entity.key not in names:
            self._choices.pop(entity.type, None)
        _keep_smallest(names, entity.key, entity)

    def add_aliases(self, entity_id: str, keys: Iterable[str]) -> None:
        """Give an indexed entity more aliases (appended, as the graph appends them)."""
        old = self._by_id[entity_id]
        new = self._by_id[entity_id] = replace(old, aliases=(*old.aliases, *keys))
        for key in (old.key, *old.aliases):
            if self._exact.get((old.type, key)) is old:
                self._exact[(old.type, key)] = new
        names = self._names[old.type]
        if names.get(old.key) is old:
            names[old.key] = new
        for key in new.aliases[len(old.aliases) :]:
            _keep_smallest(self._exact, (new.type, key), new)

    def exact(self, type_: str, key: str) -> Known | None:
        return self._exact.get((type_, key))

    def named(self, type_: str, key: str) -> Known | None:
        return self._names.get(type_, {}).get(key)

    def choices(self, type_: str) -> list[str]:
        """The names (keys) of a type, for similarity search (kept between calls)."""
        listed = self._choices.get(type_)
        if listed is None:
            listed = self._choices[type_] = list(self._names.get(type_, {}))
        return listed


def _keep_smallest(index: dict[Any, Known], key: Any, entity: Known) -> None:
    held = index.get(key)
    if held is None or entity.id < held.id:
        index[key] = entity


class Resolver:
    """Resolves the names of one entry against a journal's entities (``index``, which it
    never changes) and the entities this entry creates (``remember``)."""

    def __init__(self, index: KnownIndex, threshold: float = 90.0) -> None:
        self.index = index
        self.threshold = threshold
        # The entry's own new entities; the journal's entities come first for a key.
        self._new = KnownIndex()

    def resolve(self, name: str, type_: str) -> Known | None:
        """The existing entity ``name`` of type ``type_`` refers to, or None if new."""
        key = normalise(name)
        if not key:
            return None
        if type_ == "Person" and key in SELF_NAMES:
            key = SELF_KEY
        exact = self.index.exact(type_, key) or self._new.exact(type_, key)
        if exact is not None:
            return exact
        if len(key) < 3:
            return None
        # ratio, not WRatio: WRatio scores "sam" inside "samantha" as a near match.
        # Every name above the threshold is scored, so the choice (best score, then
        # smallest id) does not depend on the order the names are held in.
        scored: list[tuple[float, str, Known]] = []
        for source in (self.index, self._new):
            found = process.extract(
                key,
                source.choices(type_),
                scorer=fuzz.ratio,
                score_cutoff=self.threshold,
                limit=None,
            )
            for candidate, score, _ in found:
                entity = source.named(type_, candidate)
                if entity is not None:
                    scored.append((score, entity.id, entity))
        if not scored:
            return None
        scored.sort(key=lambda s: (-s[0], s[1]))
        return scored[0][2]

    def remember(self, entity: Known) -> None:
        """Make a just-created entity findable by later names in the same entry."""
        self._new.add(entity)
