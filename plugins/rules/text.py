"""Tokens and sentences: the entry cut into words that know where they stand.

A word knows its text, whether it is capitalised, whether it carries a possessive
("Mom's"), and whether it opens a sentence. Sentences end at . ! ? (but not at the
period of "Dr.", "St." or "e.g."), and at every line break, so a title never runs into
its body ("Sunday at Mom's" + "Drove up…" is two sentences).
"""

from __future__ import annotations

import re

from plugins.rules.lexicon import fold

# Abbreviations whose period belongs to the word. "Title" ones come before a name and
# never end a sentence; the others end one when a capitalised word follows.
TITLE_ABBREVIATIONS = frozenset(
    "dr mr mrs ms mx prof mt ft st fr rev sgt capt gen gov sen rep hon sr sra srta e.g i.e"
    " vs approx no".split()
)
SUFFIX_ABBREVIATIONS = frozenset(
    "co inc ltd corp jr sr ave rd blvd st hwy apt dept univ bros etc est mtn pl ln ct"
    " cres sq".split()
)
_ABBREVIATIONS = TITLE_ABBREVIATIONS | SUFFIX_ABBREVIATIONS

_TOKEN = re.compile(
    r"(?P<link>(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.]+|[@#]\w+)"  # never names
    r"|(?P<dots>(?:[^\W\d_]\.){2,})"  # e.g. i.e. U.S.
    r"|(?P<with>\b[wW]/)"  # texting "w/" for "with"
    r"|(?P<word>[^\W\d_][\w'’&-]*[\w]|[^\W\d_])"
    r"|(?P<num>\d(?:[\w:.,/-]*\w)?)"
    r"|(?P<newline>\n)"
    r"|(?P<punct>[^\w\s])"
)
_POSSESSIVE = re.compile(r"(?:['’]s|s['’])$", re.IGNORECASE)
_SENTENCE_END = frozenset(".!?…")
_OPEN_QUOTES = frozenset('"“‘«(')
# Line starts that are list markers, not words: "- Call Grandma", "* Sat: climbing".
_BULLETS = frozenset("-*•–—>+")


class Token:
    """One word, number, punctuation mark or line break, and what the rules ask of it.

    What a word is (its possessive, base, key, capitals, digits) is worked out once, when
    the token is made: every rule asks it of nearly every word, and plain attributes
    answer far faster than properties."""

    __slots__ = (
        "text",
        "start",
        "kind",
        "index",
        "sentence",
        "initial",
        "possessive",
        "base",
        "key",
        "capitalised",
        "has_digit",
        "_all_caps",
        "name_word",
    )

    def __init__(self, text: str, start: int, kind: str) -> None:
        self.text = text
        self.start = start
        # word, num, punct, link (a URL, address, @mention or #tag) or newline.
        self.kind = kind
        self.index = 0
        self.sentence = 0
        # The first word of a sentence, a list item, a quotation or a clause after ":".
        self.initial = False
        word = kind == "word"
        self.possessive = word and len(text) > 2 and _POSSESSIVE.search(text) is not None
        base = text
        if self.possessive and fold(text) not in _CONTRACTIONS:
            # The word without its possessive: "Mom's" -> "Mom".
            base = text[:-2] if text[-2] in "'’" else text[:-1]
        self.base = base
        self.key = fold(base)
        self.capitalised = word and text[0].isupper()
        self.has_digit = not text.isalpha() and any(map(str.isdigit, text))
        self._all_caps: bool | None = None
        # Whether it can be part of a proper name (names.is_name_word keeps it here).
        self.name_word: bool | None = None

    @property
    def all_caps(self) -> bool:
        """Two letters or more, all capitals (asked of few words, so worked out once asked)."""
        if self._all_caps is None:
            letters = [c for c in self.base if c.isalpha()]
            self._all_caps = len(letters) > 1 and all(c.isupper() for c in letters)
        return self._all_caps

    def __repr__(self) -> str:
        return f"Token({self.text!r}, {self.start}, {self.kind!r})"


# Words ending in 's that are not possessives.
_CONTRACTIONS = frozenset(
    "it's he's she's that's there's here's what's who's let's where's how's".split()
)


def tokenize(text: str) -> list[Token]:
    """The words, numbers, punctuation and line breaks of ``text``, with sentences marked."""
    merged: list[Token] = []
    last: Token | None = None
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        value = match.group()
        start = match.start()
        if kind == "word":
            # Keep a possessive's closing apostrophe ("the Joneses'") off the word.
            value = value.rstrip("'’-")
            end = start + len(value)
            if text[end : end + 1] == "." and fold(value) in _ABBREVIATIONS:
                value += "."
        elif kind == "dots":
            kind = "word"
        elif kind == "with":
            kind, value = "word", "w/"
        elif (
            value == "."
            and last is not None
            and last.kind == "word"
            and last.text.endswith(".")
            and last.start + len(last.text) - 1 == start
        ):
            continue  # The regex matched "Dr" and the "." separately; "Dr." owns it.
        last = Token(value, start, kind)
        last.index = len(merged)
        merged.append(last)
    _mark_sentences(merged)
    return merged


def _ends_sentence(tokens: list[Token], i: int) -> bool:
    token = tokens[i]
    if token.kind == "newline":
        return True
    if token.kind == "punct":
        return token.text in _SENTENCE_END
    if token.kind != "word" or not token.text.endswith(".") or len(token.text) < 2:
        return False
    word = fold(token.text[:-1])
    nxt = next((t for t in tokens[i + 1 :] if t.kind != "punct" or t.text in _OPEN_QUOTES), None)
    if nxt is None or nxt.kind == "newline":
        return True
    if not nxt.capitalised:
        return False
    previous = tokens[i - 1] if i > 0 else None
    if word == "st" and previous is not None and previous.capitalised:
        return True  # "Pike St. Then …"; "St. Mary's" has no capitalised word before.
    return word not in TITLE_ABBREVIATIONS


def _mark_sentences(tokens: list[Token]) -> None:
    sentence = 0
    expect_initial = True
    line_start = True
    for i, token in enumerate(tokens):
        token.sentence = sentence
        if token.kind == "word":
            if expect_initial:
                token.initial = True
                expect_initial = False
            line_start = False
        elif token.kind == "punct":
            if token.text in _OPEN_QUOTES and _opens(tokens, i):
                expect_initial = True
            elif token.text == ":":
                expect_initial = True
            elif line_start and token.text in _BULLETS:
                expect_initial = True
        elif token.kind == "num" and line_start:
            expect_initial = True  # "1. Call Grandma"
        if _ends_sentence(tokens, i):
            sentence += 1
            expect_initial = True
            if token.kind == "newline":
                line_start = True


def _opens(tokens: list[Token], i: int) -> bool:
    """A quote opens a quotation when a word follows it and nothing touches it from
    before ("She said: "Go."" opens at the first quote, closes at the second)."""
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    if after is None or after.kind not in ("word", "num"):
        return False
    if tokens[i].text in "“‘«(":
        return True
    before = tokens[i - 1] if i > 0 else None
    return (
        before is None
        or before.kind == "newline"
        or before.start + len(before.text) < tokens[i].start
    )
