"""Previews of entries with emoji and right-to-left text read back as text.

FalkorDB's substring() on a stored string shorter than the length asked for can cut
the last multi-byte character in half; found by tests/processes/test_drafts_process.py, whose
random texts made the entry list fail to decode.
"""

from __future__ import annotations

import random

from backend.root import Charlie

PIECES = [
    "🌧",
    "👩\u200d👩\u200d👧",
    "שלום עולם",
    "مرحبا بك",
    "e\u0301",
    "漢字",
    "—",
    "\t",
    "ß",
    "a",
]


def test_previews_of_multibyte_text_decode(api: Charlie) -> None:
    rng = random.Random(5)
    bodies = ["Lisbon\n👩\u200d👩\u200d👧"]
    bodies += ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 150))) for _ in range(60)]
    bodies = [b for b in bodies if b.strip()]
    for body in bodies:
        api.journal().entries.add(body)
    previews = [e.preview for e in api.journal().entries.list(limit=100).entries]
    assert sorted(previews) == sorted(body[:240] for body in bodies)
