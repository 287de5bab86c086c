"""Accent- and case-folding for search: "Café" and "cafe" are one word to the user.

FalkorDB's full-text index (RediSearch) lowercases but keeps accents: "cafe" does not
find "Café". So every entry node carries ``folded``: the folded spelling of each word of
its title and body whose folded spelling differs from its lowercase one ("café" ->
"cafe", "Straße" -> "strasse"), plus a word naming its week (``week_token``, for the
windows of ``backend.graph.search``). Entries are also labelled ``Searchable``, and
search's full-text index is on that label's title, body and folded words. A query is
folded the same way, so "cafe", "Café" and "CAFÉ" all find both spellings. Only the
words that differ are kept, so a journal in plain English pays one word per entry.

Every write of an entry (``schema.create_episodes``, ``Store.update_entry``) sets both
in the same query as the text; journals from before get them once from
:func:`fold_journal` (resumable, in bounded batches, marked done by a key). Entity names
get the whole folded name in ``folded`` (with ``folded_of``, the name it was made from,
so a rename is noticed), filled in by :func:`fold_entity_names` when the entities
changed: entities are written in many places, and this keeps them all as they are.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

import redis

from backend.graph.cypher import Graph, decode

FOLDED = "folded"
"""The entry (and entity) property holding folded spellings."""
SEARCHABLE = "Searchable"
"""The label of entries with their folded words: search's full-text index is on it."""
FOLDED_OF = "folded_of"
"""On an entity: the name its ``folded`` was made from."""
VERSION = "1"
"""What :func:`fold_journal` writes to the journal's marker key when every entry has
``folded``; a later change to the folding rule bumps it and folds again."""
BATCH = 500
"""Entries read and written per step of :func:`fold_journal` (bounds its memory)."""

_WORD = re.compile(r"\w+", re.UNICODE)
# Letters that are not a base letter plus marks, so NFKD leaves them whole.
_LETTERS = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ı": "i",
    }
)


def fold(text: str) -> str:
    """``text`` without accents and case: NFKD, combining marks dropped, casefolded
    ("Café" -> "cafe", "Straße" -> "strasse", "Łódź" -> "lodz")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.casefold())


def folded_words(*texts: str) -> str:
    """The folded spelling of every word of ``texts`` whose folding changes more than
    its case, once each, space-separated ("" for plain ASCII text)."""
    seen: dict[str, None] = {}
    for text in texts:
        if text.isascii():
            continue  # Nothing in it folds to anything but its lowercase.
        for word in _WORD.findall(text):
            folded = fold(word)
            if folded != word.lower():
                seen.setdefault(folded, None)
    return " ".join(seen)


def week_token(entry_at: int) -> str:
    """The word in ``folded`` naming the week an entry was written (UTC weeks since
    1970): a search for a common prefix asks for the newest weeks' matches first instead
    of all of them (``backend.graph.search``). Letters no word starts with, so it
    matches nothing a user types."""
    return f"{WEEK_PREFIX}{entry_at // WEEK_SECONDS}"


WEEK_PREFIX = "zqw"
WEEK_SECONDS = 7 * 86400


def folded_field(title: str, body: str, entry_at: int) -> str:
    """An entry's ``folded``: its folded words and its week's token."""
    words = folded_words(title, body)
    return f"{words} {week_token(entry_at)}" if words else week_token(entry_at)


def with_folded(row: dict[str, Any]) -> dict[str, Any]:
    """An entry node's properties with ``folded`` made from its title, body and time."""
    title, body = str(row.get("title") or ""), str(row.get("body") or "")
    return {**row, FOLDED: folded_field(title, body, int(row["entry_at"]))}


def marker_key(graph: Graph) -> str:
    """The key that says a journal's entries all have ``folded`` (holds ``VERSION``)."""
    return f"{graph.key}:folded"


def is_folded(graph: Graph) -> bool:
    """Whether :func:`fold_journal` finished on this journal (or it was made folded)."""
    return decode(graph.client.get(marker_key(graph))) == VERSION


def mark_folded(graph: Graph) -> None:
    """Record that every entry of the journal has ``folded`` (a new journal)."""
    graph.client.set(marker_key(graph), VERSION)


def fold_journal(graph: Graph, *, batch: int = BATCH, stop: threading.Event | None = None) -> int:
    """Make every entry of a journal from before folding searchable (its folded words,
    the ``SEARCHABLE`` label), then drop the journal's old full-text index on the
    entries' text; returns how many entries were looked at.

    Idempotent and resumable: entries are walked by node id in ranges of ``batch`` (only
    one range of text in memory), each written in one query that skips an entry edited
    meanwhile (its write made it searchable itself); where the walk got to is kept after
    each range, and the marker is set last. The new index starts empty and grows a batch
    at a time, so neither this nor replaying it at the next start blocks the server the
    way re-indexing every entry at once would.
    """
    if is_folded(graph):
        return 0
    create_searchable_index(graph)
    add_index_field(graph, "Entity", FOLDED)
    top = graph.read("MATCH (e:Episode) RETURN max(id(e))")[0][0]
    progress = f"{marker_key(graph)}:from"
    seen = 0
    start = int(graph.client.get(progress) or 0)
    for low in range(start, -1 if top is None else top + 1, batch):
        if stop is not None and stop.is_set():
            return seen  # Resumed from ``progress`` by the next call.
        rows = graph.read(
            f"MATCH (e:Episode) WHERE id(e) >= $low AND id(e) < $high AND NOT e:{SEARCHABLE} "
            "RETURN id(e), e.title, e.body, e.content_hash, e.entry_at",
            {"low": low, "high": low + batch},
        )
        seen += len(rows)
        if rows:
            graph.query(
                "UNWIND $rows AS r MATCH (e:Episode) WHERE id(e) = r.node "
                f"AND e.content_hash = r.hash AND NOT e:{SEARCHABLE} "
                f"SET e.folded = r.folded, e:{SEARCHABLE}",
                {
                    "rows": [
                        {
                            "node": r[0],
                            "hash": r[3],
                            "folded": folded_field(r[1] or "", r[2] or "", r[4]),
                        }
                        for r in rows
                    ]
                },
            )
        graph.client.set(progress, low + batch)
    _drop_old_index(graph)
    mark_folded(graph)
    graph.client.delete(progress)
    if seen and graph.client.info("persistence").get("aof_enabled"):
        # The next start would replay every batch above (seconds at 100,000 entries,
        # the server answering nobody meanwhile); a compacted log loads them at once.
        graph.client.bgrewriteaof()
    return seen


def create_searchable_index(graph: Graph) -> None:
    """The full-text index search uses: title, body and folded words of ``SEARCHABLE``
    nodes (every entry once it has its folded words)."""
    try:
        graph.query(
            f"CALL db.idx.fulltext.createNodeIndex('{SEARCHABLE}', 'title', 'body', '{FOLDED}')"
        )
    except redis.ResponseError as error:
        if "already indexed" not in str(error):
            raise


def _drop_old_index(graph: Graph) -> None:
    """Drop the full-text index journals had on the entries' title and body (search
    uses the ``SEARCHABLE`` one now); nothing when it is gone already."""
    try:
        graph.query("CALL db.idx.fulltext.drop('Episode')")
    except redis.ResponseError as error:
        if "not exist" not in str(error).lower() and "no such" not in str(error).lower():
            raise


def add_index_field(graph: Graph, label: str, field: str) -> None:
    """Add ``field`` to ``label``'s full-text index (FalkorDB adds fields to an existing
    index when it is created again with them); a field indexed already is left as is."""
    try:
        graph.query(f"CALL db.idx.fulltext.createNodeIndex('{label}', '{field}')")
    except redis.ResponseError as error:
        if "already indexed" not in str(error):
            raise


def entity_version_key(graph: Graph) -> str:
    """The key of the entity version that :func:`fold_entity_names` last folded at."""
    return f"{graph.key}:folded_names"


def prepare(graph: Graph) -> None:
    """Before a search: fold a journal from before (:func:`fold_journal`, once) and the
    entity names written since the last search (:func:`fold_entity_names`). Both are
    known to be done from one round trip."""
    marker, current, folded_at = graph.client.mget(
        [marker_key(graph), f"{graph.key}:entities", entity_version_key(graph)]
    )
    if decode(marker) != VERSION:
        fold_journal(graph)
    if decode(folded_at) != (decode(current) or "0"):
        fold_entity_names(graph)


def fold_entity_names(graph: Graph) -> None:
    """Give every entity whose ``folded`` is missing or made from another name (new or
    renamed since) its folded name, unless this was done at the journal's entity version
    (``schema.version_key``) already.
    Entities are written by the worker, corrections and imports; folding them here, when
    a search first meets a new version, keeps all of those writers as they are."""
    # The journal's entity version (bumped by every entity write) and the one last
    # folded at, in one round trip; "0": no entity written since versions were kept.
    current, folded_at = graph.client.mget([f"{graph.key}:entities", entity_version_key(graph)])
    version = decode(current) or "0"
    if decode(folded_at) == version:
        return
    while True:
        rows = graph.read(
            "MATCH (n:Entity) WHERE n.name IS NOT NULL "
            "AND (n.folded_of IS NULL OR n.folded_of <> n.name) RETURN id(n), n.name LIMIT $n",
            {"n": BATCH},
        )
        if not rows:
            break
        graph.query(
            "UNWIND $rows AS r MATCH (n:Entity) WHERE id(n) = r.node AND n.name = r.name "
            "SET n.folded = r.folded, n.folded_of = r.name",
            {"rows": [{"node": r[0], "name": r[1], "folded": fold(r[1])} for r in rows]},
        )
        if len(rows) < BATCH:
            break
    graph.client.set(entity_version_key(graph), version)
