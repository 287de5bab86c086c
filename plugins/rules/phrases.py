"""Entities said with common words: kin and roles ("my sister"), unnamed groups ("the
book club"), and activities ("bouldering", "a slow run", "swim practice").

Each finder returns ``Found`` items and the token indices it used, so the name finder
does not read "Fremont" in "the Fremont crew" a second time (GUIDELINES: nesting).
"""

from __future__ import annotations

from dataclasses import dataclass

from plugins.rules import lexicon as lx
from plugins.rules.text import Token

_MY = frozenset({"my", "our"})
# Determiners that make a group or kin phrase someone else's or indefinite.
_NOT_OURS = frozenset(
    "a an another some any his her their its your one no every each several".split()
)
_BE = frozenset("am is are was were be been being i'm we're they're you're he's she's".split())
_GOING = frozenset("went go goes going gone".split())
# After "went"/"go", -ing words that are errands (GUIDELINES: not activities) or no
# pastime at all ("went looking for", "going crazy").
_NOT_PASTIMES = frozenset(
    """
    shopping grocery home back out missing looking getting making going doing having
    being saying trying talking thinking taking coming seeing wanting working sleeping
    eating drinking waiting asking telling giving nothing something everything
    anything morning evening interesting amazing boring during according including
    """.split()
)
# Gerunds that, with an object, are a chore or a job rather than the pastime.
_TRANSITIVE = frozenset("running walking riding painting drawing lifting".split())
_OBJECT_DETERMINERS = frozenset("a an this that the his her my your their our its".split())
# Kin names that stand for one person even written in lower case ("called dad").
_LOWER_KIN = frozenset(
    "mom mum dad mommy mummy daddy mama papa grandma grandpa granny nana abuela abuelo"
    " amma appa".split()
)
# Nouns that "mom"/"dad" modify ("dad jokes"), so they are not a person there.
_KIN_MODIFIED = frozenset("jeans jokes joke bod energy life vibes friends groups".split())


@dataclass(frozen=True)
class Found:
    name: str
    type: str
    at: int
    """Index of the first token, to order entities as written."""


def _word(tokens: list[Token], i: int) -> Token | None:
    return tokens[i] if 0 <= i < len(tokens) and tokens[i].kind == "word" else None


def _surface(text: str, tokens: list[Token], first: int, last: int) -> str:
    """The text from token ``first`` to token ``last`` as written, without a final 's."""
    end = tokens[last].start + len(tokens[last].base)
    return text[tokens[first].start : end]


def kin(text: str, tokens: list[Token], claimed: set[int]) -> list[Found]:
    """ "my sister", "Our boss", lower-case "mom"; not "her mom", and not "my brother
    Daniel" (the name is the person; the name finder takes it)."""
    found: list[Found] = []
    for i, token in enumerate(tokens):
        if token.kind != "word" or i in claimed:
            continue
        key = token.key
        before = _word(tokens, i - 1)
        first = i - 1
        if before is not None and before.key in lx.KIN_ADJECTIVES:
            if (two := _word(tokens, i - 2)) is not None and two.key in _MY:
                first = i - 2
        mine = first >= 0 and tokens[first].key in _MY and tokens[first].sentence == token.sentence
        if key in lx.KIN_ROLES and mine:
            claimed.update(range(first, i + 1))
            if _apposition(tokens, first, i):
                continue  # "my brother Daniel", "Our director, Mr. Okafor-Reyes"
            found.append(Found(_surface(text, tokens, first, i), "Person", first))
        elif key in _LOWER_KIN and not token.capitalised:
            # Lower-case "mom" with no determiner: texting style ("call mom").
            after = _word(tokens, i + 1)
            if before is not None and (
                before.key in _NOT_OURS or before.key in _MY or before.key == "the"
            ):
                continue
            if before is not None and before.possessive:
                continue
            if after is not None and after.key in _KIN_MODIFIED:
                continue
            claimed.add(i)
            found.append(Found(token.base, "Person", i))
    return found


def _apposition(tokens: list[Token], first: int, last: int) -> bool:
    after = tokens[last + 1] if last + 1 < len(tokens) else None
    if after is not None and after.capitalised and after.key not in lx.NEVER_NAMES:
        return True
    if after is not None and after.text == ",":
        named = _word(tokens, last + 2)
        if named is not None and named.capitalised and named.key not in lx.NEVER_NAMES:
            return True
    comma = tokens[first - 1] if first > 0 else None
    named = _word(tokens, first - 2)
    return bool(comma is not None and comma.text == "," and named is not None and named.capitalised)


def groups(text: str, tokens: list[Token], claimed: set[int]) -> list[Found]:
    """ "the book club", "Knitting circle", "the Fremont crew", "the PTA"; not "a brass
    band" or "Tunde's band" (GUIDELINES: generic or someone else's)."""
    found: list[Found] = []
    for i, token in enumerate(tokens):
        if token.kind != "word" or i in claimed:
            continue
        if token.base in lx.GROUP_ACRONYMS:
            claimed.add(i)
            found.append(Found(token.base, "Group", i))
            continue
        if token.capitalised and not token.initial or token.key not in lx.GROUP_NOUNS:
            continue
        after = _word(tokens, i + 1)
        if token.key == "board" and after is not None and after.key.startswith("game"):
            continue  # "board games" is an activity.
        first = i
        k = i - 1
        while k >= 0 and i - k <= 3:
            word = _word(tokens, k)
            if (
                word is None
                or k in claimed
                or word.sentence != token.sentence
                or word.possessive
                or word.has_digit
                or word.key in lx.FUNCTION_WORDS
                or word.key in lx.GROUP_ADJECTIVES
                or (word.key in lx.NEVER_NAMES and not word.capitalised)
                or word.key in ("i", "i'm", "i've", "i'd", "i'll")
                or word.key in lx.PAST_VERBS
                or word.key.endswith("ed")
            ):
                break
            first = k
            if word.initial:
                break
            k -= 1
        if first == i:
            continue
        k = first - 1
        while (word := _word(tokens, k)) is not None and word.key in lx.GROUP_ADJECTIVES:
            k -= 1
        det = _word(tokens, k)
        if det is not None and det.sentence == token.sentence:
            if det.key in _NOT_OURS or det.possessive:
                continue
        if _named_group(tokens, i, k):
            continue  # "our softball team, the Ballard Bashers": the name is the group.
        claimed.update(range(first, i + 1))
        found.append(Found(_surface(text, tokens, first, i), "Group", first))
    return found


def _named_group(tokens: list[Token], head: int, before: int) -> bool:
    """Whether a group phrase is in apposition with a capitalised name, before or
    after it: "the softball team, the Ballard Bashers"; "Rain City Ramblers, my
    hiking group"."""
    k = head + 1
    if k < len(tokens) and tokens[k].text == ",":
        k += 1
        if k < len(tokens) and tokens[k].key == "the":
            k += 1
        if k < len(tokens) and tokens[k].capitalised and tokens[k].key not in lx.NEVER_NAMES:
            return True
    if before >= 1 and tokens[before].key in _MY | {"the"}:
        before -= 1
    comma = tokens[before] if before >= 0 else None
    named = tokens[before - 1] if before >= 1 else None
    return bool(comma is not None and comma.text == "," and named is not None and named.capitalised)


def activities(tokens: list[Token], skip: set[int]) -> list[Found]:
    """Activities as nouns or gerunds: "Bouldering at …", "a slow run", "swim practice",
    "went birdwatching"; not "climbing gym", "running late", "a ski run"."""
    found: list[Found] = []
    for i, token in enumerate(tokens):
        if token.kind != "word" or i in skip or token.has_digit:
            continue
        after = _word(tokens, i + 1)
        before = _word(tokens, i - 1)
        if after is not None and (token.key, after.key) in lx.ACTIVITY_COMPOUNDS:
            if i + 1 not in skip and _activity_context(tokens, i + 1, compound=True):
                found.append(Found(f"{token.text} {after.base}", "Activity", i))
            continue
        if before is not None and (before.key, token.key) in lx.ACTIVITY_COMPOUNDS:
            continue  # Taken with the word before.
        key = token.key
        if key in lx.ACTIVITIES:
            if _activity_context(tokens, i, compound=False):
                found.append(Found(token.base, "Activity", i))
        elif taught_in_class(tokens, i):
            found.append(Found(token.base, "Activity", i))
        elif (
            key.endswith("ing")
            and before is not None
            and before.key in _GOING
            and key not in _NOT_PASTIMES
            and key not in lx.FUNCTION_WORDS
        ):
            found.append(Found(token.base, "Activity", i))  # "went antiquing"
    return found


# Containers that make an activity of a word not in the lexicon ("kizomba class").
_CLASSES = frozenset("class classes lesson lessons course workshop".split())
# -ing words that are study, work or chores before "class" (GUIDELINES: not activities).
_NOT_HOBBIES = frozenset(
    """
    driving reading writing studying learning training listening parenting marketing
    accounting programming coding banking nursing teaching spelling speaking cleaning
    shopping sleeping meeting morning evening
    """.split()
)


def taught_in_class(tokens: list[Token], i: int) -> bool:
    """Whether the word at ``i`` names what a class or lesson teaches as a pastime:
    "Zumba class", "glassblowing workshop", "cooking class"; not "math class" or "my
    class"."""
    token = tokens[i]
    after = _word(tokens, i + 1)
    if after is None or after.capitalised or after.key not in _CLASSES or token.possessive:
        return False
    key = token.key
    if key in lx.ACTIVITIES:
        return True
    if key in lx.FUNCTION_WORDS or key in lx.NEVER_NAMES or key in lx.first_names():
        return False
    if key.endswith("ing"):
        return key not in _NOT_HOBBIES
    return key.isalpha() and not lx.is_common(key)


def _activity_context(tokens: list[Token], i: int, *, compound: bool) -> bool:
    token = tokens[i]
    key = token.key
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    after_word = after if after is not None and after.kind == "word" else None
    first = i - 1 if compound else i
    before = _word(tokens, first - 1)
    if after_word is not None and not after_word.capitalised:
        if after_word.key in lx.GROUP_NOUNS:
            return False  # "Rowing club" is a Group.
        if after_word.key in lx.NOT_ACTIVITY_AFTER and key not in ("swimming", "climbing"):
            return False  # "running late", "a walk to the bus"
    if before is not None and before.key in lx.NOT_ACTIVITY_BEFORE:
        return False  # "a ski run", "one black run"
    if before is not None and before.key in _BE and key.endswith("ing") and not compound:
        return False  # "the choir is singing": a verb (GUIDELINES: finite verbs).
    if key in _TRANSITIVE and after_word is not None and after_word.key in _OBJECT_DETERMINERS:
        return False  # "running a meeting", "walking the dog", "painting the fence"
    contained = after_word is not None and after_word.key in lx.CONTAINERS
    if key in lx.CONTAINER_ONLY_ACTIVITIES and not compound:
        return contained
    if contained:
        return True
    if (
        after_word is not None
        and not after_word.capitalised
        and after_word.key not in lx.FUNCTION_WORDS
        and not after_word.possessive
        and after_word.key not in lx.ACTIVITIES
    ):
        return False  # A modifier: "climbing gym", "yoga mat", "hiking boots".
    if compound:
        return True
    if key in lx.NOUN_ONLY_ACTIVITIES:
        if tokens[first].initial:
            return True  # "Swim at Colman Pool", "Run with Sam"
        return before is not None and (
            before.key in lx.ACTIVITY_DETERMINERS or before.key in _GOING
        )
    if key in ("painting", "drawing", "sculpture") and before is not None:
        return before.key not in _OBJECT_DETERMINERS  # "a painting" is a thing.
    return True
