"""An offline, deterministic extractor: no model, only patterns. The default.

It finds:
- people: title-cased names (one to three words), names after honorifics ("Dr. Lee"),
  kinship words ("Mom", "my sister");
- places: title-cased names after a place cue ("at", "in", "to", "from", "near");
- groups: "the book club", "the Tuesday choir", "Harbor team" and the like;
- activities: "went hiking", "go swimming", and gerunds after "love/enjoy/started".
It is meant to be useful with no model at all, and predictable, not clever.
"""

from __future__ import annotations

import re

from backend.extractor import Entity, Extraction, Extractor

_HONORIFIC = r"(?:Dr|Mr|Mrs|Ms|Mx|Prof|Aunt|Uncle|Grandma|Grandpa|Cousin)\.?"
_NAME_WORD = r"[A-Z][a-zA-Z'’-]+"
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"

_KINSHIP = {
    "mom": "Mom",
    "mum": "Mum",
    "dad": "Dad",
    "mother": "Mother",
    "father": "Father",
    "grandma": "Grandma",
    "grandpa": "Grandpa",
    "sister": "my sister",
    "brother": "my brother",
    "wife": "my wife",
    "husband": "my husband",
    "partner": "my partner",
    "son": "my son",
    "daughter": "my daughter",
    "aunt": "my aunt",
    "uncle": "my uncle",
    "cousin": "my cousin",
    "boss": "my boss",
}
_GROUP_NOUNS = (
    "club|team|band|choir|group|class|crew|circle|society|league|committee|squad|orchestra"
)
_PLACE_CUE = re.compile(rf"\b(?:at|in|to|from|near|visited|visiting)\s+(?:the\s+)?({_NAME})")
_HONORIFIC_NAME = re.compile(rf"\b({_HONORIFIC}\s+{_NAME_WORD})")
_KIN = re.compile(r"\b(?:my\s+)?(" + "|".join(_KINSHIP) + r")\b", re.IGNORECASE)
# Only "the" and the group nouns ignore case: a name before "team" must be capitalised,
# or "about the book club" would read as one group's name.
_GROUP = re.compile(
    rf"\b(?i:the)\s+((?:[A-Za-z]+\s+){{0,2}}(?i:{_GROUP_NOUNS}))\b"
    rf"|\b({_NAME}\s+(?i:{_GROUP_NOUNS}))\b"
)
_ACTIVITY = re.compile(
    r"\b(?i:went|go|goes|going|love|loves|enjoy|enjoyed|enjoys|started|start|tried)\s+"
    r"([a-z]+ing)\b"
)
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n\s*)([A-Z])")
_CAPITALISED = re.compile(rf"\b{_NAME}\b")

# Title-cased words that are not names: sentence openers, days, months, pronouns.
_NOT_NAMES = set(
    """
    I I'm I've I'd I'll A An The This That These Those It It's We We're They He She You
    My Our Your His Her Their Its Me Us Them Today Tonight Yesterday Tomorrow Morning Evening
    Afternoon Night Later Then After Before When While If But And Or So Also Still Just Maybe
    Finally Anyway Again Later Now Here There What Why How Who Where Which Some Many Most
    All Every Each No Not Yes Ok Okay Oh Well Went Got Had Was Were Did Do Does Is Are Be
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    May June July August September October November December Mom Mum Dad Mother Father
    Grandma Grandpa Dr Mr Mrs Ms Mx Prof Aunt Uncle Cousin Lots Great Good Bad Long
    """.split()
)
MAX_ENTITIES = 200


def _clean(name: str) -> str:
    return re.sub(r"[’']s$", "", name.strip(' .,;:!?"()[]'))


def _strip_leading_non_names(name: str) -> str:
    words = name.split()
    while words and words[0].strip(".") in _NOT_NAMES:
        words.pop(0)
    return " ".join(words)


class RulesExtractor(Extractor):
    name = "rules"

    def extract(self, text: str) -> Extraction:
        found: dict[tuple[str, str], Entity] = {}

        def add(name: str, kind: str) -> None:
            name = _clean(name)
            if name and (name.casefold(), kind) not in found and len(found) < MAX_ENTITIES:
                found[(name.casefold(), kind)] = Entity(name=name, type=kind)

        taken: set[str] = set()
        for match in _GROUP.finditer(text):
            group = (match.group(1) or match.group(2)).strip()
            add(group[0].upper() + group[1:] if match.group(1) else group, "Group")
            taken.update(w.casefold() for w in group.split())
        for match in _PLACE_CUE.finditer(text):
            place = _clean(_strip_leading_non_names(match.group(1)))
            if place and place.casefold() not in taken:
                add(place, "Place")
                taken.update(w.casefold() for w in place.split())
        for match in _HONORIFIC_NAME.finditer(text):
            add(match.group(1).replace(".", ""), "Person")
            taken.update(w.casefold() for w in match.group(1).replace(".", "").split())
        for match in _KIN.finditer(text):
            word = match.group(1).lower()
            if word in ("aunt", "uncle", "cousin") and not match.group(0).lower().startswith("my"):
                continue  # "Aunt May" is handled as an honorific.
            add(_KINSHIP[word], "Person")
        for match in _ACTIVITY.finditer(text):
            add(match.group(1), "Activity")
        starts = {m.start(1) for m in _SENTENCE_START.finditer(text)}
        candidates = []
        for match in _CAPITALISED.finditer(text):
            cleaned = _clean(match.group(0))
            name = _strip_leading_non_names(cleaned)
            # Opening a sentence only if no leading word was stripped ("Later Sarah").
            candidates.append((name, match.start() in starts and name == cleaned))
        mid_sentence = {name for name, at_start in candidates if not at_start}
        for name, at_start in candidates:
            if not name or any(w.casefold() in taken for w in name.split()):
                continue
            # A lone capitalised word opening a sentence ("Dinner was late") is only a
            # name if it also appears capitalised mid-sentence.
            if at_start and " " not in name and name not in mid_sentence:
                continue
            add(name, "Person")
        return Extraction(entities=list(found.values()))
