"""Every entity's stored mention count (``schema.MENTION_COUNT``, what the graph views
rank by) equals its real number of MENTIONS edges after any sequence of the writes that
add or remove them: enrichment, edits, deletes, corrections, curation and imports.

Jobs run through the worker's own Runner in this process with the scripted extractor
(``[[Place:Kew]]`` is an entity, ``[[Person:A -KNOWS-> Person:B]]`` a relationship).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from backend.errors import NotFoundError, ValidationError
from backend.graph.schema import MENTION_COUNT, TALLY, TALLY_OF_N
from backend.root import Charlie
from tests.helpers.graph import enrich_all

NAMES = [
    ("Person", "Ada"),
    ("Person", "Bea"),
    ("Person", "Cy Rune"),
    ("Place", "Kew"),
    ("Place", "Oslo"),
    ("Group", "Band"),
    ("Activity", "Chess"),
]


def _text(rng: random.Random) -> str:
    """An entry naming a few entities, sometimes with a relationship and a repeat."""
    chosen = rng.sample(NAMES, rng.randint(0, 4))
    parts = [f"[[{type_}:{name}]]" for type_, name in chosen]
    if len(chosen) >= 2 and rng.random() < 0.5:
        (a_type, a), (b_type, b) = chosen[:2]
        parts.append(f"[[{a_type}:{a} -KNOWS-> {b_type}:{b}]]")
    if chosen and rng.random() < 0.3:
        parts.append(f"again [[{chosen[0][0]}:{chosen[0][1].lower()}]]")
    return "met " + " and ".join(parts or ["nobody"]) + "."


def _counts(api: Charlie) -> list[list[object]]:
    """id, stored count, real in-degree of every entity (one count at most each)."""
    graph = api.backend.store.graph(api.journals.get())
    assert graph.read(f"MATCH (n:Entity) WHERE outdegree(n, '{TALLY}') > 1 RETURN n.id") == []
    return graph.read(
        f"MATCH (n:Entity) {TALLY_OF_N} "
        f"RETURN n.id, {MENTION_COUNT}, indegree(n, 'MENTIONS') ORDER BY n.id"
    )


def _entities(api: Charlie) -> list[str]:
    return [str(row[0]) for row in _counts(api)]


def _entries(api: Charlie) -> list[str]:
    return [e.id for e in api.journal().entries.list(limit=1000).entries]


def _mentions(api: Charlie) -> list[tuple[str, str]]:
    graph = api.backend.store.graph(api.journals.get())
    return [
        (str(r[0]), str(r[1]))
        for r in graph.read("MATCH (e:Episode)-[:MENTIONS]->(n:Entity) RETURN e.id, n.id")
    ]


def _step(api: Charlie, rng: random.Random, tmp_path: Path, exports: list[Path]) -> str:
    """One random write; returns what it was (for the failure message)."""
    journal, curation = api.journal(), api.journal().curation
    entries, entities, mentions = _entries(api), _entities(api), _mentions(api)
    op = rng.choice(
        [
            "add",
            "add",
            "edit",
            "reenrich",
            "delete",
            "link",
            "split",
            "merge",
            "rename",
            "remove",
            "delete_entity",
            "block",
            "retype",
            "export",
            "import",
        ]  # fmt: skip
    )
    if op == "add" or not entries:
        journal.entries.add(_text(rng))
        enrich_all(api)
        return "add"
    entry = rng.choice(entries)
    if op == "edit":
        journal.entries.edit(entry, body=_text(rng))
        enrich_all(api)
    elif op == "reenrich":
        journal.entries.reenrich(entry)
        enrich_all(api)
    elif op == "delete":
        journal.entries.delete(entry)
    elif op == "link":
        type_, name = rng.choice(NAMES)
        curation.link(entry, name, type_)
    elif op == "split" and mentions:
        entry, entity = rng.choice(mentions)
        others = [e for e, n in mentions if n == entity and rng.random() < 0.5]
        curation.split(entity, list({entry, *others}), rng.choice(["Ada Two", "Kew Gardens"]))
    elif op == "merge" and len(entities) >= 2:
        keep, other = rng.sample(entities, 2)
        curation.merge(keep, other)
    elif op == "rename" and entities:
        curation.rename(rng.choice(entities), rng.choice(["Ada", "Ade", "Kew Two", "Bee"]))
    elif op == "remove" and mentions:
        entry, entity = rng.choice(mentions)
        curation.remove_from_entry(entry, entity)
    elif op == "delete_entity" and entities:
        curation.delete(rng.choice(entities))
    elif op == "block":
        name = rng.choice(NAMES)[1]
        curation.block(name)
        curation.unblock(name)  # re-reads the entries that contain it
        enrich_all(api)
    elif op == "retype" and entities:
        curation.retype(rng.choice(entities), rng.choice(["Person", "Place", "Group"]))
    elif op == "export":
        exports.append(tmp_path / f"export-{len(exports)}.json")
        api.transfer.export_json(exports[-1])
    elif op == "import" and exports:
        # An older export: deleted entries, entities and mentions come back, entities
        # still here get their old properties (and count) and are counted again.
        api.transfer.import_export(rng.choice(exports))
    return f"{op} {entry}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stored_counts_follow_every_write(api: Charlie, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    exports: list[Path] = []
    done = []
    most = 0
    for _ in range(70):
        try:
            done.append(_step(api, rng, tmp_path, exports))
        except (ValidationError, NotFoundError) as refused:  # a correction that does not apply
            done.append(f"refused: {refused}")
        wrong = [row for row in _counts(api) if row[1] != row[2]]
        assert wrong == [], f"after {done[-1]} (steps: {done})"
        most = max(most, len(wrong) + len(_entities(api)))
    assert most >= 2 and sum(not s.startswith("refused") for s in done) > 40, done


def test_entities_from_before_counts_are_counted_when_first_ranked(api: Charlie) -> None:
    """A journal written before counts were stored (or imported without them) ranks and
    counts exactly: the first view that meets an unknown count fills them all in."""
    for text in ("[[Person:Ada]] and [[Place:Kew]].", "[[Person:Ada]] again.", "[[Person:Bea]]"):
        api.journal().entries.add(text)
    enrich_all(api)
    graph = api.backend.store.graph(api.journals.get())
    graph.query(f"MATCH (n:Entity)-[tally:{TALLY}]->(n) DELETE tally")
    assert {row[1] for row in _counts(api)} == {None}
    # A write meeting an unknown count counts it whole, or leaves it unknown.
    api.journal().entries.add("[[Person:Ada]] once more.")
    enrich_all(api)
    assert sorted(row[1] for row in _counts(api) if row[1] is not None) == [3]
    top = api.journal().graph.entities(limit=2)
    assert [(e.name, e.count) for e in top] == [("Ada", 3), ("Bea", 1)]
    assert api.journal().graph.search("ke").entities[0].count == 1
    assert all(row[1] == row[2] for row in _counts(api))


def test_pages_of_someone_in_most_entries_match_the_sorted_ones(
    api: Charlie, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entity in most of the journal's entries has its page read through time
    windows (windows.windowed_mentions); the page is the one sorting every mention gives, also
    after entries older and newer than the windows are written or deleted."""
    from datetime import UTC, datetime, timedelta

    from backend.graph import views, windows

    start = datetime(2021, 3, 1, 9, tzinfo=UTC)
    written = []
    for n in range(360):
        # Several entries in one second, gaps of days, a few entries without Ada.
        at = start + timedelta(days=n // 3 * 2, seconds=n % 2)
        text = "[[Person:Ada]] and [[Place:Kew]]." if n % 31 else "[[Place:Kew]] alone."
        written.append(api.journal().entries.add(text, entry_at=at).id)
    enrich_all(api)
    ada = api.journal().graph.find_entity("Ada")
    assert ada is not None

    def both(limit: int) -> tuple[object, object]:
        windowed = api.journal().graph.entity(ada.id, limit=limit)
        monkeypatch.setattr(views, "WINDOWED_FROM", 10**12)  # sort every mention
        sorted_ = api.journal().graph.entity(ada.id, limit=limit)
        monkeypatch.setattr(views, "WINDOWED_FROM", views.APPEARS_WITH_RECENT)
        return windowed, sorted_

    for limit in (1, 100, 400):
        windowed, sorted_ = both(limit)
        assert windowed == sorted_
    assert windowed.mention_count == 348 and windowed.first_mention == start
    assert any(k[1] == ada.id for k in windows._BOUNDS)  # the windows were used
    for entry_id in written[-40:] + written[:5]:  # the newest and the oldest go
        api.journal().entries.delete(entry_id)
    newer = api.journal().entries.add(
        "[[Person:Ada]] last.", entry_at=datetime(2030, 1, 1, tzinfo=UTC)
    )
    enrich_all(api)
    windowed, sorted_ = both(100)
    assert windowed == sorted_ and windowed.mentions[0].entry_id == newer.id


def test_one_letter_finds_names_starting_with_it_most_mentioned_first(api: Charlie) -> None:
    for text in (
        "[[Person:Sam]] and [[Place:Seville]].",
        "[[Person:Sam]] again.",
        "[[Group:The Sisters]]",
    ):
        api.journal().entries.add(f"a long walk. {text}")
    api.journal().entries.add("[[Person:Ana]] stayed in.")
    enrich_all(api)
    results = api.journal().graph.search("s")
    assert results.entries == []  # every entry has a word starting with s
    assert [(e.name, e.count) for e in results.entities] == [
        ("Sam", 2), ("Seville", 1), ("The Sisters", 1),
    ]  # fmt: skip
    assert [e.name for e in api.journal().graph.search(" T ").entities] == ["The Sisters"]
    assert [e.name for e in api.journal().graph.search("a").entities] == ["Ana"]
    assert len(api.journal().graph.search("walk").entries) == 3  # two letters and more: text too
