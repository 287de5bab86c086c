"""Proper names: find the spans that name something, then decide what kind of thing.

A span is a run of capitalised words ("Mei Lin", "St. Mary's Basilica", "Hall of
Mosses"). A capitalised word opening a sentence only starts a span when it is known
to be a name: a first name, a kin name, a known place, a word seen capitalised
mid-sentence elsewhere in the entry, or a word that is not common English
("Xiaoyu"). Verbs and adverbs never are ("Called Mom" gives Mom). Book titles,
holidays and events are dropped.

Each mention is weighed (``evidence``); a name's weights are added up over its
mentions in the entry and the heaviest type wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plugins.rules import lexicon as lx
from plugins.rules.evidence import TYPES, Evidence, NeverEntity, NoEntity, plural, weigh
from plugins.rules.phrases import Found, taught_in_class
from plugins.rules.text import Token

# Particles inside names: "Vincent van Gogh", "Hall of Mosses", "Rio de Janeiro".
_PARTICLES = frozenset("de del della da das dos di du van von der den la le al bin ibn y &".split())
_OF_HEADS = (
    lx.PLACE_HEADS
    | lx.GROUP_HEADS
    | lx.word_set("bank university museum hall isle church city republic house department state")
)
# A span ending in one of these is an event (GUIDELINES: never entities).
_EVENTS = lx.word_set(
    "festival fest day eve week gala conference summit expo marathon parade fair"
    " derby cup championship championships olympics open"
)
# Words that only ever start a place name ("Mount Si"), unlike "Lake" ("Green Lake").
_STARTS_PLACE = frozenset("mount mt mt. fort ft. st. saint cape isle".split())


@dataclass
class Mention:
    first: int
    last: int
    """Index of the last token (inclusive)."""
    surface: str
    evidence: Evidence


def is_name_word(token: Token) -> bool:
    """A word that can be part of a proper name as written (asked again and again of
    the same words, so worked out once per token)."""
    known = token.name_word
    if known is None:
        known = token.name_word = _is_name_word(token)
    return known


def _is_name_word(token: Token) -> bool:
    if token.kind != "word" or not token.capitalised or token.has_digit:
        return False
    if len(token.base) == 1 and token.base != "U":
        return False  # "the F chord"; but "U Village".
    if token.key in lx.NEVER_NAMES and token.key not in lx.HONORIFICS:
        return False
    if _VERBED.match(token.base):
        return False  # "DJed", "FaceTimed": a verb made of a name.
    # "AGAIN", "OMG": shouting, not an acronym.
    return not (token.all_caps and lx.is_common(token.key))


def _inner_word(token: Token) -> bool:
    """A word that is no name alone but can open or sit inside one: "Nigerian Students
    Association", "Sunday Market"."""
    return (
        token.kind == "word"
        and token.capitalised
        and not token.has_digit
        and not token.possessive
        and token.key in lx.NEVER_NAMES
        and token.key not in lx.FUNCTION_WORDS
        and token.key not in _ALONE
    )


_VERBED = re.compile(r"^[A-Z]{2,}[a-z]{1,3}$")
# Never part of a longer name either.
_ALONE = lx.word_set("i i'm i've i'd i'll today tonight tomorrow yesterday ok tv am pm")


def seen_mid_sentence(tokens: list[Token]) -> set[str]:
    """Words written capitalised somewhere other than at a sentence start."""
    return {t.key for t in tokens if not t.initial and is_name_word(t)}


def lowercase_style(tokens: list[Token]) -> bool:
    """Texting style: no word capitalised but "I" and shouting."""
    return not any(is_name_word(t) and not t.all_caps and t.key not in lx.KIN_NAMES for t in tokens)


def spans(tokens: list[Token], claimed: set[int]) -> list[tuple[int, int]]:
    """(first, last) of every run of name words, with particles inside it."""
    found = []
    i = 0
    n = len(tokens)
    while i < n:
        token = tokens[i]
        if i in claimed or not (is_name_word(token) or _inner_word(token)):
            i += 1
            continue
        j = i
        while (
            j + 1 < n
            and _inner_word(tokens[j])
            and j + 1 not in claimed
            and tokens[j + 1].sentence == token.sentence
            and (is_name_word(tokens[j + 1]) or _inner_word(tokens[j + 1]))
        ):
            j += 1
        if not is_name_word(tokens[j]):
            i = j + 1
            continue
        at_place = i > 0 and tokens[i - 1].key in lx.PLACE_PREPOSITIONS
        while j + 1 < n and j - i < 6:
            current, nxt = tokens[j], tokens[j + 1]
            if current.possessive and not (
                is_name_word(nxt)
                and (nxt.key in lx.PLACE_HEADS or nxt.key in lx.GROUP_HEADS or at_place)
            ):
                # "Mary Oliver's Devotions" is two; "St. Mary's Basilica" and "drinks at
                # Hattie's Hat" are one.
                break
            if j + 1 in claimed or nxt.sentence != token.sentence:
                break
            if is_name_word(nxt) or (
                _inner_word(nxt)
                and j + 2 < n
                and is_name_word(tokens[j + 2])
                and tokens[j + 2].sentence == token.sentence
            ):
                j += 1
                continue
            if nxt.key in _PARTICLES or nxt.key == "of":
                k = j + 2
                if nxt.key == "of" and k < n and tokens[k].key == "the":
                    k += 1
                if (
                    k < n
                    and is_name_word(tokens[k])
                    and k not in claimed
                    and (nxt.key != "of" or current.key in _OF_HEADS)
                ):
                    j = k
                    continue
            break
        found.append((i, j))
        i = j + 1
    return found


class NameFinder:
    """Finds and types the proper names of one entry."""

    def __init__(self, text: str, tokens: list[Token], claimed: set[int]) -> None:
        self.text = text
        self.tokens = tokens
        self.claimed = claimed
        self.seen = seen_mid_sentence(tokens)
        self.mentions: list[Mention] = []
        self.used: set[int] = set()
        """Tokens inside kept names (an activity word there is part of the name)."""
        self.blocked: set[str] = set()
        """Names that are no entity anywhere in the entry (a pet's)."""

    def run(self) -> list[Found]:
        if lowercase_style(self.tokens):
            self._lowercase_spans()
        for first, last in spans(self.tokens, self.claimed):
            self._consider(first, last)
        return self._decide()

    # Spans

    def _consider(self, first: int, last: int) -> None:
        tokens = self.tokens
        head = tokens[first]
        if first == last and tokens[first].key in lx.GENRES:
            return
        if first == last and taught_in_class(tokens, first):
            return  # "Salsa class": an activity (phrases.activities takes it).
        if head.initial and not self._known(first, last):
            if first == last and not self._team_result(first):
                return
            # Two capitalised words opening a sentence: the first is a verb or adverb
            # ("Hiked Mount Si", "Afterwards Marcus", "Call Grandma"), or part of the
            # name ("Green Lake", "Blue Bottle", "Rain City Ramblers").
            verbish = (
                head.key in lx.OPENER_WORDS
                or head.key in lx.PAST_VERBS
                or head.key.endswith(("ed", "ly", "ing"))
            )
            if verbish or self._starts_name(first + 1):
                first += 1
                if tokens[first].key in _PARTICLES or tokens[first].key == "of":
                    return
        if self._is_title(first, last):
            return
        last_key = tokens[last].key
        if last_key in _EVENTS and first < last or lx.fold(self._surface(first, last)) in _HOLIDAYS:
            return
        self._add(first, last)

    def _known(self, first: int, last: int) -> bool:
        """Whether a capitalised word opening a sentence is known to start a name."""
        token = self.tokens[first]
        key = token.key
        if key in lx.KIN_NAMES or key in lx.HONORIFICS or token.base in lx.GROUP_ACRONYMS:
            return True
        if key in lx.KIN_TITLES and first < last:
            return not lx.is_common(key) or not lx.is_common(self.tokens[first + 1].key)
        if key in lx.ACTIVITIES or key in lx.OPENER_WORDS:
            return False
        if key in self.seen:
            return True
        if lx.fold(self._surface(first, last)) in lx.known_places():
            return True
        if key in lx.first_names():
            # "Will" or "Rose" alone opening a sentence is a word, not a name, unless
            # a person's verb or another name follows ("Victor and Shreya waited").
            return not lx.is_common(key) or first < last or self._person_follows(last)
        return not lx.is_common(key)

    def _team_result(self, i: int) -> bool:
        """ "Sounders lost 2-1": a plural word then a result is a team, not a word."""
        after = self.tokens[i + 1] if i + 1 < len(self.tokens) else None
        return (
            plural(self.tokens[i].key)
            and after is not None
            and after.key in ("won", "lost", "beat", "scored", "tied", "drew")
        )

    def _person_follows(self, last: int) -> bool:
        tokens = self.tokens
        after = tokens[last + 1] if last + 1 < len(tokens) else None
        if after is None or after.kind != "word":
            return False
        if after.key in lx.PERSON_AFTER:
            return True
        other = tokens[last + 2] if last + 2 < len(tokens) else None
        return after.key == "and" and other is not None and self._starts_name(last + 2)

    def _starts_name(self, i: int) -> bool:
        """Whether the word at ``i`` is known to start a name on its own."""
        token = self.tokens[i]
        key = token.key
        return (
            key in lx.KIN_NAMES
            or key in lx.HONORIFICS
            or key in lx.KIN_TITLES
            or key in _STARTS_PLACE
            or (key in lx.first_names() and not lx.is_common(key))
            or key in lx.known_places()
        )

    def _is_title(self, first: int, last: int) -> bool:
        """A book or film: "Read Piranesi", "Mary Oliver's Devotions", "“Beloved”"."""
        tokens = self.tokens
        before = tokens[first - 1] if first > 0 else None
        after = tokens[last + 1] if last + 1 < len(tokens) else None
        if before is None:
            return False
        has_head = any(
            t.key in lx.PLACE_HEADS or t.key in lx.GROUP_HEADS for t in tokens[first : last + 1]
        )
        if has_head:
            return False
        if before.key in lx.TITLE_VERBS and not tokens[last].possessive:
            return tokens[first].key not in lx.KIN_NAMES
        if before.kind == "word" and before.possessive and before.capitalised:
            return True
        if after is None or before.text not in "\"“'‘" or after.text not in "\"”'’":
            return False
        return after.start == tokens[last].start + len(tokens[last].text)  # "“Beloved”"

    def _surface(self, first: int, last: int) -> str:
        end = self.tokens[last].start + len(self.tokens[last].base)
        return self.text[self.tokens[first].start : end]

    def _add(self, first: int, last: int) -> None:
        surface = self._surface(first, last)
        try:
            evidence = weigh(self.tokens, first, last, surface)
        except NeverEntity:
            self.blocked.add(_key(surface))
            return
        except NoEntity:
            return
        self.mentions.append(Mention(first, last, surface, evidence))
        self.used.update(range(first, last + 1))

    def _lowercase_spans(self) -> None:
        """Names in texting-style entries, where nothing is capitalised: only words that
        are not common English and are known names, or stand where a name stands."""
        tokens = self.tokens
        i = 0
        while i < len(tokens):
            token = tokens[i]
            key = token.key
            if token.kind != "word" or i in self.claimed or token.capitalised:
                i += 1
                continue
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if key in ("mt", "mt.", "mount", "lake") and nxt is not None and nxt.kind == "word":
                if nxt.key not in lx.FUNCTION_WORDS:
                    self._add(i, i + 1)
                    i += 2
                    continue
            unknown = (
                not lx.is_common(key)
                and key not in lx.NEVER_NAMES
                and key not in lx.ACTIVITIES
                and key not in lx.PRODUCTS
                and key not in lx.EXTRA_WORDS
                and len(key) > 2
                and key.isalpha()
            )
            if not unknown:
                i += 1
                continue
            last = i
            if nxt is not None and nxt.kind == "word" and nxt.key in lx.PLACE_HEADS:
                last = i + 1  # "colman pool"
            before = tokens[i - 1] if i > 0 else None
            after = tokens[last + 1] if last + 1 < len(tokens) else None
            context = (
                last > i
                or key in lx.first_names()
                or key in lx.known_places()
                or (before is not None and before.key in lx.PLACE_PREPOSITIONS)
                or (before is not None and before.key == "on")
                or (before is not None and before.key in ("with", "w/", "w"))
                or (after is not None and after.key in lx.PERSON_AFTER)
            )
            if context:
                self._add(i, last)
            i = last + 1

    # Decision

    def _decide(self) -> list[Found]:
        by_key: dict[str, list[Mention]] = {}
        for mention in self.mentions:
            by_key.setdefault(_key(mention.surface), []).append(mention)
        totals: dict[str, dict[str, float]] = {}
        for key, mentions in by_key.items():
            totals[key] = {
                kind: max(m.evidence.inside.get(kind, 0.0) for m in mentions)
                + sum(m.evidence.around.get(kind, 0.0) for m in mentions)
                for kind in TYPES
            }
        kinds = {key: _best(total) for key, total in totals.items()}
        # A one-word person said after a longer form of it ("Liang Wei … Liang").
        shorter: set[str] = set()
        for key, mentions in by_key.items():
            if kinds[key] == "Person" and " " in key:
                start = mentions[0].first
                for word in key.split():
                    if kinds.get(word) == "Person" and by_key[word][0].first > start:
                        shorter.add(word)
        found = []
        for key, mentions in by_key.items():
            if key in self.blocked or key in shorter or self._said_before(key, kinds, by_key):
                continue
            first = mentions[0]
            found.append(Found(first.surface, kinds[key], first.first))
        return found

    @staticmethod
    def _said_before(key: str, kinds: dict[str, str], by_key: dict[str, list[Mention]]) -> bool:
        """Whether a person is listed under another form that came first: "Liang Wei …
        Liang" is Liang Wei, "Liang … Liang Wei" is Liang (GUIDELINES: first form)."""
        if kinds[key] != "Person":
            return False
        start = by_key[key][0].first
        words = key.split()
        if len(words) > 1:
            # A one-word form of this name said earlier ("Liang … Liang Wei").
            return any(
                kinds.get(word) == "Person" and by_key[word][0].first < start for word in words
            )
        return False


def _best(total: dict[str, float]) -> str:
    """The heaviest type; on a tie the earlier of Person, Place, Group."""
    return max(TYPES, key=lambda kind: (total.get(kind, 0.0), -TYPES.index(kind)))


def _key(surface: str) -> str:
    return " ".join(lx.fold(surface).replace("'s", "").split())


_HOLIDAYS = frozenset(
    lx.fold(h.strip())
    for h in """
    Lunar New Year|New Year|New Year's|New Year's Eve|New Year's Day|Independence Day|
    Memorial Day|Labor Day|Labour Day|Mother's Day|Father's Day|Valentine's Day|
    St. Patrick's Day|Boxing Day|Christmas Eve|Christmas Day|Day of the Dead|
    Chinese New Year|Good Friday|Black Friday|Earth Day|Veterans Day|Presidents Day|
    MLK Day|Groundhog Day|Election Day|Canada Day|Bastille Day|Bonfire Night|
    Mid-Autumn Festival|Golden Week|Eid al-Fitr|Eid al-Adha|Rosh Hashanah|Yom Kippur|
    Mardi Gras|Day of the Dead|Dia de los Muertos|Día de los Muertos
    """.replace("\n", "").split("|")
)
