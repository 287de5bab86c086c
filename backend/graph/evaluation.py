"""`charlie eval`: how well an extractor finds the entities a person marked by hand.

A gold file is JSON: ``{"entries": [{"title": "...", "text": "...", "entities": [{"name":
"Sarah", "type": "Person"}, ...]}, ...]}`` (the title is optional; the extractor reads it
as the worker gives it, see ``entry_text``). An extracted entity counts as correct when
its normalised name (case, possessive, leading article ignored) and its type both match a
gold one in the same entry. Precision, recall and F1 are micro-averaged per type and
overall; a name found with the wrong type is also counted in the confusion table
("Place taken as Person"), which says what to fix.

A gold folder holds one file per split (``train.json``, ``dev.json``, ``test.json``):
tune on train, check on dev, and report test, which nobody tunes on.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.errors import ValidationError
from backend.graph.cypher import Graph
from backend.graph.enrich import SEP, split_list
from backend.graph.extractor import ENTITY_TYPES, Extractor, entry_text
from backend.graph.resolution import SELF_ID, normalise

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class GoldEntry:
    text: str
    entities: frozenset[tuple[str, str]]
    """(normalised name, type)."""
    title: str = ""


@dataclass
class Score:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 0.0

    @property
    def recall(self) -> float:
        wanted = self.true_positive + self.false_negative
        return self.true_positive / wanted if wanted else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    extractor: str
    entries: int
    seconds: float
    per_type: dict[str, Score] = field(default_factory=dict)
    overall: Score = field(default_factory=Score)
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)
    """(gold type, extracted type) -> how many names were found with the wrong type."""

    @property
    def entries_per_second(self) -> float:
        return self.entries / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        def row(score: Score) -> dict[str, Any]:
            return {
                "precision": round(score.precision, 4),
                "recall": round(score.recall, 4),
                "f1": round(score.f1, 4),
                "tp": score.true_positive,
                "fp": score.false_positive,
                "fn": score.false_negative,
            }

        return {
            "extractor": self.extractor,
            "entries": self.entries,
            "seconds": round(self.seconds, 3),
            "entries_per_second": round(self.entries_per_second, 1),
            "per_type": {t: row(s) for t, s in self.per_type.items()},
            "overall": row(self.overall),
            "confusion": [
                {"gold": gold, "found": found, "count": n}
                for (gold, found), n in sorted(self.confusion.items(), key=lambda kv: -kv[1])
            ],
        }


def gold_path(path: Path, split: str | None) -> Path:
    """The gold file to read: ``path`` itself, or its split's file when it is a folder."""
    if split is not None:
        if split not in SPLITS:
            raise ValidationError(f"{split!r} is not a split; use one of {', '.join(SPLITS)}.")
        if not path.is_dir():
            raise ValidationError(f"--split needs a gold folder ({path} is not one).")
        return path / f"{split}.json"
    if path.is_dir():
        found = [s for s in SPLITS if (path / f"{s}.json").exists()]
        raise ValidationError(
            f"{path} is a gold folder; choose a split with --split ({', '.join(found) or 'none'})."
        )
    return path


def load_gold(path: Path) -> list[GoldEntry]:
    """Read and check a gold file; errors say which entry is wrong and how."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"There is no gold file at {path}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path} is not valid JSON: {exc}") from None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValidationError(f'{path} needs a non-empty "entries" list.')
    gold = []
    for number, item in enumerate(entries, 1):
        where = f"{path}, entry {number}"
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValidationError(f'{where}: each entry needs a "text" string.')
        if not isinstance(item.get("title", ""), str):
            raise ValidationError(f'{where}: "title" must be a string.')
        marked = item.get("entities", [])
        if not isinstance(marked, list):
            raise ValidationError(f'{where}: "entities" must be a list.')
        found = set()
        for entity in marked:
            if not isinstance(entity, dict) or not isinstance(entity.get("name"), str):
                raise ValidationError(f'{where}: each entity needs a "name" string.')
            if entity.get("type") not in ENTITY_TYPES:
                raise ValidationError(
                    f"{where}: type {entity.get('type')!r} is not one of {', '.join(ENTITY_TYPES)}."
                )
            found.add((normalise(entity["name"]), entity["type"]))
        gold.append(GoldEntry(item["text"], frozenset(found), item.get("title", "")))
    return gold


def evaluate(extractor: Extractor, gold: list[GoldEntry]) -> Report:
    """Run ``extractor`` over every gold entry and score what it found."""
    extractor.load()
    per_type = {t: Score() for t in ENTITY_TYPES}
    started = time.perf_counter()
    confusion: dict[tuple[str, str], int] = {}
    for entry in gold:
        found = {
            (normalise(e.name), e.type)
            for e in extractor.extract(entry_text(entry.title, entry.text)).entities
            if e.type in ENTITY_TYPES and normalise(e.name)
        }
        for name_type in found & entry.entities:
            per_type[name_type[1]].true_positive += 1
        for name_type in found - entry.entities:
            per_type[name_type[1]].false_positive += 1
        for name_type in entry.entities - found:
            per_type[name_type[1]].false_negative += 1
        gold_types: dict[str, set[str]] = {}
        for name, type_ in entry.entities:
            gold_types.setdefault(name, set()).add(type_)
        for name, type_ in found - entry.entities:
            for wanted in gold_types.get(name, set()) - {t for n, t in found if n == name}:
                confusion[(wanted, type_)] = confusion.get((wanted, type_), 0) + 1
    seconds = time.perf_counter() - started
    overall = Score(
        sum(s.true_positive for s in per_type.values()),
        sum(s.false_positive for s in per_type.values()),
        sum(s.false_negative for s in per_type.values()),
    )
    return Report(extractor.name, len(gold), seconds, per_type, overall, confusion)


# Entries the user corrected by hand, or that mention an entity they corrected (renamed,
# retyped, merged into, split into): what the graph says about them is what the user
# checked. Each with its current mentions, as written in the entry.
_CORRECTED = (
    "MATCH (e:Episode) OPTIONAL MATCH (e)-[:MENTIONS]->(c:Entity {corrected: true}) "
    "WITH e, count(c) AS fixed WHERE e.corrected = true OR fixed > 0 "
    "OPTIONAL MATCH (e)-[m:MENTIONS]->(n:Entity) WHERE n.id <> $self "
    "RETURN e.id, e.title, e.body, n.name, n.type, "
    "reduce(s = '', w IN coalesce(m.names, []) | s + w + $sep) ORDER BY e.entry_at, e.id"
)


def gold_from_journal(graph: Graph) -> dict[str, Any]:
    """A gold file (as ``load_gold`` reads) made of the entries the user corrected:
    names they removed are not in it (the extractor's false positives), names they
    linked are (its misses), retyped ones carry the type they gave. The author ("I") is
    left out, as in the project's gold data."""
    entries: dict[str, dict[str, Any]] = {}
    marked: dict[str, dict[tuple[str, str], dict[str, str]]] = {}
    for entry_id, title, body, name, type_, words in graph.read(
        _CORRECTED, {"self": SELF_ID, "sep": SEP}
    ):
        entries.setdefault(entry_id, {"title": title or "", "text": body or "", "entities": []})
        if name is None or type_ not in ENTITY_TYPES:
            continue  # An entry whose every mention the user removed.
        written = next(iter(split_list(words)), name)  # As the entry spells it.
        marked.setdefault(entry_id, {}).setdefault(
            (normalise(written), type_), {"name": written, "type": type_}
        )
    for entry_id, entry in entries.items():
        entry["entities"] = list(marked.get(entry_id, {}).values())
    return {"entries": list(entries.values())}
