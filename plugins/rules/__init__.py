"""An offline, deterministic extractor: no model, only linguistic rules. The default.

It reads an entry the way a careful annotator would (bench/gold/GUIDELINES.md):
- sentences, so a title never runs into its body and a capitalised word opening a
  sentence is only a name when it is known to be one (``text``);
- kin and roles ("Mom", "my sister"; "his sister Noor" gives Noor), unnamed groups
  ("the book club") and activities ("bouldering", "a slow run", "swim practice")
  (``phrases``);
- proper names (``names``), typed as Person, Place or Group from head words, a
  first-name list, a small gazetteer and the words around them (``evidence``);
all from word lists in ``lexicon`` and ``data/``. Useful with no model at all, and
predictable: the same text always gives the same entities.
"""

from __future__ import annotations

from backend.graph.extractor import Entity, Extraction, Extractor
from plugins.rules import lexicon, names, phrases
from plugins.rules.text import tokenize

MAX_ENTITIES = 200

__all__ = ["MAX_ENTITIES", "RulesExtractor"]


class RulesExtractor(Extractor):
    name = "rules"
    quick = True

    def load(self) -> None:
        """Read the word lists now, so the first entry is as quick as the rest."""
        lexicon.english_words()
        lexicon.first_names()
        lexicon.known_places()

    def extract(self, text: str) -> Extraction:
        tokens = tokenize(text)
        claimed: set[int] = set()
        found = phrases.groups(text, tokens, claimed)
        found += phrases.kin(text, tokens, claimed)
        finder = names.NameFinder(text, tokens, claimed)
        found += finder.run()
        found += phrases.activities(tokens, claimed | finder.used)
        entities: dict[tuple[str, str], Entity] = {}
        for item in sorted(found, key=lambda f: f.at):
            name = item.name.strip()
            key = (" ".join(name.casefold().split()), item.type)
            if name and key not in entities and len(entities) < MAX_ENTITIES:
                entities[key] = Entity(name=name, type=item.type)
        return Extraction(entities=list(entities.values()))
