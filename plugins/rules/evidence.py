"""What kind of thing a proper name is: weights for Person, Place and Group.

Evidence comes from inside the span (honorifics, kin titles, head words like "Lake"
or "Club", a first name, the gazetteer, a plural ending) and is counted once per
name; and from around it ("in" or "at" before it, "with" before it, "said" after it,
"'s apartment" after it, "the … game" around it), counted once per mention. The
weights are small whole numbers chosen so that a head word beats a preposition, a
preposition beats the bare default, and an honorific beats everything.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from plugins.rules import lexicon as lx
from plugins.rules.text import Token

TYPES = ("Person", "Place", "Group")

_BUMPED = frozenset("ran run running runs bumped bump bumping".split())
_OTHERS = frozenset("her his their its your whose".split())
_PERSON_NOUNS = lx.KIN_ROLES | lx.word_set(
    "named friend friends guy girl woman man kid boy dude lady gentleman person"
)
_PERFORMANCES = frozenset("concert album show tour gig".split())
_AGAINST = frozenset("against versus vs vs.".split())


@dataclass(frozen=True)
class Evidence:
    inside: dict[str, float]
    """From the words of the name: the same at every mention."""
    around: dict[str, float]
    """From the words around this mention."""


class NoEntity(Exception):
    """The span names nothing to keep here ("her Mom", a product)."""


class NeverEntity(NoEntity):
    """The name is no entity anywhere in the entry (a pet: "named it Gerald")."""


def plural(key: str) -> bool:
    """Whether a capitalised word looks like a plural noun ("Sounders", "Foxes"), as
    teams and bands are named, rather than a name ending in s ("Thomas", "Lewis")."""
    return len(key) > 3 and key.endswith("s") and not key.endswith(("ss", "us", "is", "os", "as"))


def employer(tokens: list[Token], first: int) -> bool:
    """Whether the name at ``first`` is said as an employer: "joined X", "works at X",
    "a job at X", "works for X", "leaving X"."""
    words = [t for t in tokens[max(0, first - 3) : first] if t.kind == "word"]
    if not words:
        return False
    if words[-1].key in lx.EMPLOYER_BEFORE or words[-1].key in lx.LEAVING:
        return True
    if len(words) > 1 and words[-1].key == "at":
        return words[-2].key in lx.WORK_WORDS
    if len(words) > 1 and words[-1].key == "for":
        return words[-2].key in lx.FOR_GROUP_WORDS
    return False


def weigh(tokens: list[Token], first: int, last: int, surface: str) -> Evidence:
    """The evidence for the span ``tokens[first:last + 1]``, written ``surface``.
    Raises NoEntity when the span is no entity here."""
    span = tokens[first : last + 1]
    return Evidence(_inside(tokens, span, first, lx.fold(surface)), _around(tokens, span, first))


def _word(tokens: list[Token], i: int) -> Token | None:
    return tokens[i] if 0 <= i < len(tokens) and tokens[i].kind == "word" else None


def _inside(tokens: list[Token], span: list[Token], first: int, surface: str) -> dict[str, float]:
    keys = [t.key for t in span]
    before = _word(tokens, first - 1)
    e: dict[str, float] = defaultdict(float)
    e["Person"] += 0.5  # With nothing else to go on, a name is a person's.
    if keys[0] in lx.HONORIFICS or (keys[0] in lx.KIN_TITLES and len(span) > 1):
        e["Person"] += 10  # "Dr. Mensah", "Aunt Rosa"
    if len(span) == 1 and keys[0] in lx.KIN_NAMES:
        if before is not None and (before.key in _OTHERS or before.possessive):
            raise NoEntity  # "her Mom": someone else's (GUIDELINES).
        e["Person"] += 10
    if surface in lx.COMPANIES:
        e["Group"] += 3
    elif len(span) == 1 and keys[0] in lx.PRODUCTS and not employer(tokens, first):
        raise NoEntity  # "WhatsApp all day"; but "works at Google".
    first_name = keys[0] in lx.first_names()
    if first_name:
        e["Person"] += 1.5 if lx.is_common(keys[0]) else 3
        if len(span) == 2:
            e["Person"] += 1  # First name and surname.
    # The head word is the last one, or the one before "of" ("Hall of Mosses").
    head = keys[keys.index("of") - 1] if "of" in keys[1:] else keys[-1]
    group_head = any(k in lx.GROUP_HEADS for k in keys[1:]) or (
        head != keys[-1] and head in lx.GROUP_HEADS
    )
    place_head = head in lx.PLACE_HEADS or keys[0] in lx.PLACE_HEADS_FIRST
    if len(span) == 1 and keys[0] not in lx.PLACE_HEADS_FIRST:
        place_head = False  # "Park" alone is a surname or a word.
    if group_head:
        if keys[-1] in ("co", "co.", "company") and any(k in lx.VENUE_WORDS for k in keys):
            e["Place"] += 6  # "Fremont Brewing Co.": a business you go to.
        else:
            e["Group"] += 5
    if place_head:
        if keys[-1] in lx.SURNAME_HEADS and first_name and len(span) == 2:
            # "Hye-jin Park", "Owen Field": a person, unless "at Kerry Park".
            e["Place"] += 1
            if before is not None and before.key in lx.PLACE_PREPOSITIONS:
                e["Place"] += 3
        else:
            e["Place"] += 5
    if any(t.possessive for t in span[:-1]):
        e["Place"] += 4  # "Hattie's Hat", "Ray's Boathouse": a business named for someone.
    if surface in lx.known_places():
        e["Place"] += 4
    elif len(span) > 1 and keys[0] in lx.known_places() and not first_name:
        e["Place"] += 1  # "Seattle Pottery Supply"
    if (
        not first_name
        and not place_head
        and not span[-1].possessive
        and plural(head)
        and head not in lx.first_names()
        and surface not in lx.known_places()
    ):
        e["Group"] += 2.25  # "Sounders", "Fleet Foxes", "the Rain City Ramblers"
    if len(span) == 1 and span[0].all_caps:
        e["Group"] += 1  # An acronym: "NSF"; "at UW" still makes a place.
        e["Person"] -= 1
    if len(span) == 1 and keys[0].endswith(("ville", "burg", "burgh", "borough", "polis")):
        e["Place"] += 1
    return e


def _around(tokens: list[Token], span: list[Token], first: int) -> dict[str, float]:
    last = first + len(span) - 1
    keys = [t.key for t in span]
    first_name = keys[0] in lx.first_names()
    context: dict[str, float] = defaultdict(float)
    before = _word(tokens, first - 1)
    k = first - 2
    if before is not None and before.key == "the":
        context["Person"] -= 3  # Names of people do not take "the".
        context["Place"] += 1
        context["Group"] += 1
        if plural(keys[-1]) and not first_name:
            context["Group"] += 1.25  # "the Seahawks"
        before = _word(tokens, first - 2)
        k = first - 3
        if before is not None and before.key in lx.FAN_WORDS and not first_name:
            context["Group"] += 2  # "watched the Kraken"
        if before is not None and before.key in _PERSON_NOUNS | lx.PERSON_BEFORE:
            before = None  # "with the Ramblers" says nothing of a person.
    before2 = _word(tokens, k)
    if before is not None:
        bkey = before.key
        if bkey == "it" or bkey in lx.ANIMALS:
            raise NeverEntity  # "named it Gerald", "a starfish called Gerald"
        if bkey in ("named", "called") and before2 is not None and before2.key in lx.ANIMALS:
            raise NeverEntity  # "a dog named Bodhi"
        if bkey in lx.PLACE_PREPOSITIONS:
            if bkey == "to" and before2 is not None and before2.key in lx.TO_PERSON_VERBS:
                context["Person"] += 1.5  # "talked to Sam", "listened to Wilco"
            elif bkey == "at" and before2 is not None and before2.key in lx.WORK_WORDS:
                context["Group"] += 3  # "a job at Northwind"
            elif bkey == "into" and before2 is not None and before2.key in _BUMPED:
                context["Person"] += 3  # "ran into Beth"
            elif bkey == "in" and not span[-1].possessive:
                context["Place"] += 5  # "in Santiago Matatlán": rarely a person.
            else:
                context["Place"] += 2 if bkey == "from" else 2.5
        elif bkey == "on":
            context["Place"] += 1
        elif bkey in ("up", "down") and before2 is not None and before2.key in lx.MOTION_VERBS:
            context["Place"] += 2.5  # "walked down Pike", "hiked up Tiger Mountain"
        elif bkey in lx.EMPLOYER_BEFORE:
            context["Group"] += 3
        elif bkey in lx.LEAVING:
            context["Group"] += 1.5
        elif bkey == "for" and before2 is not None and before2.key in lx.FOR_GROUP_WORDS:
            context["Group"] += 3  # "works for Acme", "rooting for Arsenal"
        elif bkey in _AGAINST:
            context["Group"] += 2.5
        elif bkey in _PERSON_NOUNS:
            context["Person"] += 5  # "his sister Noor", "a guy named Harold"
        elif bkey in lx.PERSON_BEFORE:
            context["Person"] += 0.5 if bkey == "and" else 3

    after = tokens[last + 1] if last + 1 < len(tokens) else None
    after_word = after if after is not None and after.kind == "word" else None
    if span[-1].possessive:
        if after_word is not None and after_word.key in lx.PERSON_POSSESSIONS:
            context["Person"] += 3  # "Lena Park's apartment"
        elif after_word is not None and after_word.key in lx.PLACE_POSSESSIONS:
            context["Place"] += 2  # "Lisbon's trams"
        elif after_word is not None and after_word.key in lx.GROUP_MODIFIED:
            context["Group"] += 2
        elif after_word is None or after_word.key in lx.FUNCTION_WORDS:
            # A bare possessive: someone's home ("at Renée's") or a business
            # ("Powell's", "McDonald's"), told apart by the first name.
            if first_name or keys[0] in lx.KIN_NAMES:
                context["Person"] += 1.5
            else:
                context["Place"] += 2
    elif after_word is not None and not after_word.capitalised:
        akey = after_word.key
        if akey in lx.GROUP_MODIFIED:
            if first_name and akey in _PERFORMANCES:
                context["Person"] += 3  # "a Taylor Swift concert"
            else:
                context["Group"] += 3  # "the Seahawks game", "the Northwind reorg"
        elif akey in lx.PLACE_MODIFIED:
            context["Place"] += 3  # "the Bainbridge ferry"
        elif akey in lx.PERSON_AFTER:
            context["Person"] += 2  # "Camila said"
        elif akey in lx.GROUP_AFTER:
            context["Group"] += 1.5  # "Wilco played"
        elif akey in lx.EMPLOYER_AFTER:
            context["Group"] += 3
    elif after is not None and after.text == ",":
        role = _word(tokens, last + 2)
        if role is not None and role.key in ("my", "our", "his", "her", "their"):
            context["Person"] += 2  # "Mr. Kowalczyk, my old piano teacher"
    return context
