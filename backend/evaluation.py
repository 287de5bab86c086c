"""`charlie eval`: how well an extractor finds the entities a person marked by hand.

A gold file is JSON: ``{"entries": [{"text": "...", "entities": [{"name": "Sarah",
"type": "Person"}, ...]}, ...]}``. An extracted entity counts as correct when its
normalised name (case, possessive, leading article ignored) and its type both match a
gold one in the same entry. Precision, recall and F1 are micro-averaged per type and
overall.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.errors import ValidationError
from backend.extractor import ENTITY_TYPES, Extractor
from backend.resolution import normalise


@dataclass(frozen=True)
class GoldEntry:
    text: str
    entities: frozenset[tuple[str, str]]
    """(normalised name, type)."""


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
            "per_type": {t: row(s) for t, s in self.per_type.items()},
            "overall": row(self.overall),
        }


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
        gold.append(GoldEntry(item["text"], frozenset(found)))
    return gold


def evaluate(extractor: Extractor, gold: list[GoldEntry]) -> Report:
    """Run ``extractor`` over every gold entry and score what it found."""
    extractor.load()
    per_type = {t: Score() for t in ENTITY_TYPES}
    started = time.perf_counter()
    for entry in gold:
        found = {
            (normalise(e.name), e.type)
            for e in extractor.extract(entry.text).entities
            if e.type in ENTITY_TYPES and normalise(e.name)
        }
        for name_type in found & entry.entities:
            per_type[name_type[1]].true_positive += 1
        for name_type in found - entry.entities:
            per_type[name_type[1]].false_positive += 1
        for name_type in entry.entities - found:
            per_type[name_type[1]].false_negative += 1
    seconds = time.perf_counter() - started
    overall = Score(
        sum(s.true_positive for s in per_type.values()),
        sum(s.false_positive for s in per_type.values()),
        sum(s.false_negative for s in per_type.values()),
    )
    return Report(extractor.name, len(gold), seconds, per_type, overall)
