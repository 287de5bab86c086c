"""A journal with every kind of data an export must carry, and a way to compare journals.

``build_journal`` writes entries (several time zones, unicode, Windows line ends) into
the default journal and a second one, and a graph straight to the schema with Cypher
(entities, mentions, relationships, removed and blocked names, type corrections), so
the tests that use it do not depend on how enrichment builds a graph. ``journal_state``
reads one journal back in comparable form.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from backend.graph.schema import blocked_key, types_key
from backend.root import Charlie
from backend.transfer.export_reading import read_values


def zone(hours: int, minutes: int = 0) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes))


# (title, body, when): several offsets (half-hour ones too), unicode, text that looks
# like front matter, Windows line ends and trailing white space.
ENTRIES = [
    ("Lake ✓", "Met Sam at the lake. It was cold.\n", datetime(2024, 3, 5, 7, 30, tzinfo=zone(2))),
    ("", "Late call with Ana from Kathmandu.", datetime(2024, 3, 5, 23, 45, tzinfo=zone(5, 45))),
    (
        'Quotes "and": colons # hash',
        "---\nnot: front matter\n---\n\nÜmlaut, 漢字, emoji 🌱 and a tab\t.  \n\n",
        datetime(2023, 12, 31, 23, 59, 59, tzinfo=zone(-3, -30)),
    ),
    ("Windows", "line one\r\nline two\r\n", datetime(2022, 1, 1, 0, 0, tzinfo=zone(0))),
    ("Same day", "Second entry that day.", datetime(2024, 3, 5, 7, 30, tzinfo=zone(2))),
]


def build_journal(api: Charlie) -> dict[str, Any]:
    """Entries in the default journal and a second one, plus a graph per the schema."""
    ids = [
        api.journal().entries.add(body, title=title, entry_at=when).id
        for title, body, when in ENTRIES
    ]
    api.journals.create("Work")
    work = api.journal("Work").entries.add("Stand-up with Priya.", title="Stand-up")
    journal = api.journals.get()
    graph = api.backend.store.graph(journal)
    graph.query(
        "UNWIND $rows AS p CREATE (n:Entity) SET n = p",
        {
            "rows": [
                {
                    "id": "self",
                    "name": "I",
                    "key": "i",
                    "type": "Person",
                    "aliases": [],
                    "created_at": 1,
                    "is_self": True,
                },
                {
                    "id": "a1b2c3d4e5f60718",
                    "name": "Sam",
                    "key": "sam",
                    "type": "Person",
                    "aliases": ["samuel", "sammy"],
                    "created_at": 2,
                },
                {
                    "id": "0f0e0d0c0b0a0908",
                    "name": "the lake",
                    "key": "lake",
                    "type": "Place",
                    "aliases": [],
                    "created_at": 3,
                },
                {
                    "id": "1111222233334444",
                    "name": "Kathmandu",
                    "key": "kathmandu",
                    "type": "Place",
                    "aliases": [],
                    "created_at": 4,
                },
                {
                    "id": "5555666677778888",
                    "name": "Book club",
                    "key": "book club",
                    "type": "Group",
                    "aliases": [],
                    "created_at": 5,
                },
            ]
        },
    )
    # The type is also a real label.
    for label in ("Person", "Place", "Group"):
        graph.query(f"MATCH (n:Entity {{type: '{label}'}}) SET n:{label}")
    mentions = [
        (ids[0], "self", "Met Sam at the lake.", ["I"]),
        (ids[0], "a1b2c3d4e5f60718", "Met Sam at the lake.", ["Sam", "Sammy"]),
        (ids[0], "0f0e0d0c0b0a0908", "Met Sam at the lake.", ["the lake"]),
        (ids[1], "1111222233334444", "Late call with Ana from Kathmandu.", ["Kathmandu"]),
        (ids[2], "5555666677778888", 'Ümlaut, 漢字 "quoted" 🌱', ["Book club"]),
    ]
    graph.query(
        "UNWIND $rows AS r MATCH (e:Episode {id: r.entry}), (n:Entity {id: r.entity}) "
        "CREATE (e)-[:MENTIONS {quote: r.quote, names: r.names}]->(n)",
        {"rows": [{"entry": e, "entity": n, "quote": q, "names": ns} for e, n, q, ns in mentions]},
    )
    graph.query(
        "UNWIND $rows AS r MATCH (a:Entity {id: r.source}), (b:Entity {id: r.target}) "
        "CREATE (a)-[:RELATES {kind: r.kind, episode: r.episode, evidence: r.evidence}]->(b)",
        {
            "rows": [
                {
                    "source": "a1b2c3d4e5f60718",
                    "target": "0f0e0d0c0b0a0908",
                    "kind": "VISITED",
                    "episode": ids[0],
                    "evidence": "Met Sam at the lake.",
                },
                {
                    "source": "self",
                    "target": "a1b2c3d4e5f60718",
                    "kind": "KNOWS",
                    "episode": ids[0],
                    "evidence": "Met Sam at the lake.",
                },
            ]
        },
    )
    # The user removed "bob" from the third entry and blocked two names.
    graph.query("MATCH (e:Episode {id: $id}) SET e.excluded = ['bob']", {"id": ids[2]})
    api.backend.broker.client.hset(
        blocked_key(journal.id), mapping={"bob": "Bob", "the cat": "The Cat"}
    )
    api.backend.broker.client.hset(types_key(journal.id), mapping={"lake merritt": "Place"})
    return {"ids": ids, "work": work.id, "mentioned": {ids[0], ids[1], ids[2]}}


def journal_state(api: Charlie, name: str) -> dict[str, Any]:
    """Everything an export must carry for one journal, in comparable form."""
    journal = api.backend.store.journal(name)
    graph = api.backend.store.graph(journal)
    entries = {
        row[0]["id"]: dict(row[0])
        for row in read_values(graph, "MATCH (e:Episode) RETURN properties(e)")
    }
    entities = {
        row[0]["id"]: (dict(row[0]), sorted(row[1]))
        for row in read_values(graph, "MATCH (n:Entity) RETURN properties(n), labels(n)")
    }
    mentions = sorted(
        json.dumps(row, sort_keys=True, ensure_ascii=False)
        for row in read_values(
            graph, "MATCH (e:Episode)-[m:MENTIONS]->(n) RETURN e.id, n.id, properties(m)"
        )
    )
    relationships = sorted(
        json.dumps(row, sort_keys=True, ensure_ascii=False)
        for row in read_values(graph, "MATCH (a)-[r:RELATES]->(b) RETURN a.id, b.id, properties(r)")
    )
    raw = api.backend.broker.client.hgetall(blocked_key(journal.id))
    types = api.backend.broker.client.hgetall(types_key(journal.id))
    return {
        "id": journal.id,
        "entries": entries,
        "entities": entities,
        "mentions": mentions,
        "relationships": relationships,
        "blocked": {k.decode(): v.decode() for k, v in raw.items()},
        "types": {k.decode(): v.decode() for k, v in types.items()},
    }
