"""Tags and stars: the #tag word rule, tags kept through saves and edits, stars that
never cost an edit, filters, counts and a tag's page, on a real embedded FalkorDB."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from backend.errors import NotFoundError, ValidationError
from backend.models import entry_tags, normalise_tag, split_tags, tag_words
from backend.root import Charlie
from tests.helpers.procs import wait_until

DAY = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#work and #Travel/2024.", ("work", "travel/2024")),
        ("# A heading\n## Another\nplain text", ()),
        ("#tag at the start of a line", ("tag",)),
        ("see https://example.com/page#section and www.x.org/#a", ()),
        ("[a link](https://example.com/#anchor) then #real", ("real",)),
        ("C# and F#, &#39; and page#part and ##double", ()),
        ("we were #1 in #2024", ()),
        ("`#include` and\n```\n#inside code\n```\n#after", ("after",)),
        ("(#paren) **#bold** _#em_", ("paren", "bold", "em")),
        ("#trailing- #slash/ #a-b_c", ("trailing", "slash", "a-b_c")),
        ("#Café #café #CAFÉ", ("café",)),
        ("#" + "x" * 65, ()),
    ],
)
def test_tag_word_rule(text: str, tags: tuple[str, ...]) -> None:
    assert tag_words(text) == tags


def test_given_tags_are_normalised() -> None:
    assert normalise_tag("#Road Trip") == "road-trip"
    assert normalise_tag("@work") == "work"
    assert normalise_tag("  ") == ""
    assert split_tags("a, B  c,,#d a") == ("a", "b", "c", "d")
    assert entry_tags("Title #x", "body #y", ["@Z", "x"]) == ("x", "y", "z")


def test_save_and_edit_keep_tags(api: Charlie) -> None:
    entries = api.journal().entries
    saved = entries.add("Met Ana #work", title="Monday #Plans", tags=["Extra", "#work"])
    assert saved.tags == ("extra", "plans", "work")
    assert saved.own_tags == ("extra",)
    assert entries.get(saved.id).tags == ("extra", "plans", "work")

    # An edit follows the text's tag words and keeps the tags given beside it.
    edited = entries.edit(saved.id, body="Met Ana, no tag words now", title="Monday")
    assert edited.tags == ("extra",)
    assert edited.revision == 2
    # Tags given with an edit replace the given ones; the text's stay.
    edited = entries.edit(saved.id, body="back to #work", tags=["home"])
    assert edited.tags == ("home", "work")
    assert entries.get(saved.id).tags == ("home", "work")
    # A time-only edit keeps everything.
    moved = entries.edit(saved.id, entry_at=DAY)
    assert moved.tags == ("home", "work")

    with pytest.raises(ValidationError):
        entries.add("text", tags="work")  # type: ignore[arg-type]


def test_entries_from_before_tags_read_as_none(api: Charlie) -> None:
    entries = api.journal().entries
    saved = entries.add("old entry #x")
    graph = api.backend.store.graph(api.journal().journal)
    graph.query("MATCH (e:Episode) REMOVE e.tags, e.starred")
    old = entries.get(saved.id)
    assert (old.tags, old.starred) == ((), False)
    assert entries.list().entries[0].tags == ()
    assert entries.tags() == []
    # Starring and editing it gives it both.
    entries.star(saved.id)
    assert entries.edit(saved.id, body="now #y").tags == ("y",)
    assert entries.get(saved.id).starred


def test_star_and_unstar(api: Charlie) -> None:
    entries = api.journal().entries
    saved = entries.add("a good day", starred=True)
    assert saved.starred and entries.get(saved.id).starred
    entries.unstar(saved.id)
    entries.unstar(saved.id)  # Twice is harmless.
    assert not entries.get(saved.id).starred
    entries.star(saved.id)
    got = entries.get(saved.id)
    # Only the star was written: the revision and the text are as they were.
    assert got.starred and got.revision == 1 and got.updated_at == saved.updated_at
    with pytest.raises(NotFoundError):
        entries.star("0123456789abcdef")


def test_a_star_never_costs_a_concurrent_edit(api: Charlie) -> None:
    """Stars and edits race from two threads; every edit's words and the last star
    state both survive, and an editor holding the revision it started from still saves
    (a star does not move the revision)."""
    entries = api.journal().entries
    saved = entries.add("version 0")
    rounds = 40
    errors: list[BaseException] = []

    def star_often() -> None:
        try:
            for n in range(rounds):
                (entries.star if n % 2 == 0 else entries.unstar)(saved.id)
            entries.star(saved.id)
        except BaseException as exc:  # Reported below, not swallowed.
            errors.append(exc)

    thread = threading.Thread(target=star_often)
    thread.start()
    revision = saved.revision
    for n in range(1, rounds + 1):
        edited = entries.edit(saved.id, body=f"version {n} #v", expected_revision=revision)
        revision = edited.revision
    thread.join(timeout=60)
    assert not thread.is_alive(), "the starring thread did not finish"
    assert errors == []
    final = entries.get(saved.id)
    assert final.body == f"version {rounds} #v"
    assert final.revision == rounds + 1
    assert final.starred and final.tags == ("v",)


def test_filters_page_like_the_home_list(api: Charlie) -> None:
    entries = api.journal().entries
    ids = []
    for n in range(9):
        # Three entries share each second, so pages cut through ties.
        extra = " #home" if n % 3 == 0 else ""
        made = entries.add(f"entry {n} #work{extra}", entry_at=DAY + timedelta(seconds=n // 3))
        ids.append(made.id)
    entries.add("untagged")
    for n in (1, 4, 6):
        entries.star(ids[n])

    def walk(**filters: object) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            page = entries.list(limit=2, before=cursor, **filters)  # type: ignore[arg-type]
            seen += [e.preview for e in page.entries]
            cursor = page.next_cursor
            if cursor is None:
                return seen

    everything = [e.preview for e in entries.list(limit=100).entries if "#work" in e.preview]
    assert walk(tag="work") == everything
    assert len(everything) == 9
    assert walk(tag="#Home") == [p for p in everything if "#home" in p]
    assert walk(starred=True) == ["entry 6 #work #home", "entry 4 #work", "entry 1 #work"]
    assert walk(starred=True, tag="home") == ["entry 6 #work #home"]
    assert walk(tag="nothing") == []
    [first] = entries.list(starred=True, limit=1).entries
    assert first.starred and first.tags == ("home", "work")
    with pytest.raises(ValidationError):
        entries.list(tag="###")


def test_counts_and_a_tag_page(api: Charlie) -> None:
    entries = api.journal().entries
    lisbon = DAY.astimezone(__import__("datetime").timezone(timedelta(hours=1)))
    entries.add("first #trip", entry_at=DAY - timedelta(days=10))
    entries.add("second #trip #food", entry_at=DAY)
    entries.add("third #trip", entry_at=lisbon + timedelta(days=2))
    entries.add("given", tags=["Food"])
    counts = [(t.tag, t.count) for t in entries.tags()]
    assert counts == [("trip", 3), ("food", 2)]
    trip = next(t for t in entries.tags() if t.tag == "trip")
    assert trip.last_used == lisbon + timedelta(days=2)
    assert trip.last_used is not None and trip.last_used.utcoffset() == timedelta(hours=1)

    page = entries.tag_page("#TRIP", limit=2)
    assert (page.tag, page.count) == ("trip", 3)
    assert page.first_used == DAY - timedelta(days=10)
    assert page.last_used == lisbon + timedelta(days=2)
    assert [e.preview for e in page.entries.entries] == ["third #trip", "second #trip #food"]
    more = entries.list(tag="trip", before=page.entries.next_cursor)
    assert [e.preview for e in more.entries] == ["first #trip"]
    empty = entries.tag_page("nothing")
    assert (empty.count, empty.first_used, empty.entries.entries) == (0, None, [])


def test_a_journal_from_before_tags_gets_its_indexes(api: Charlie) -> None:
    entries = api.journal().entries
    entries.add("#x")
    graph = api.backend.store.graph(api.journal().journal)

    def indexed() -> str:
        rows = graph.read("CALL db.indexes() YIELD label, properties RETURN label, properties")
        return " ".join(str(props) for label, props in rows if label == "Episode")

    graph.query("DROP INDEX ON :Episode(tags)")
    graph.query("DROP INDEX ON :Episode(starred)")
    # FalkorDB may finish dropping an index after the query returns.
    wait_until(
        lambda: "tags" not in indexed() and "starred" not in indexed(),
        timeout=10,
        what="the dropped indexes to go",
    )
    from backend.graph import tags as graph_tags

    graph_tags._indexed.discard(graph.key)
    assert [e.preview for e in entries.list(tag="x").entries] == ["#x"]
    wait_until(
        lambda: "tags" in indexed() and "starred" in indexed(),
        timeout=10,
        what="the first use of tags to index them again",
    )
