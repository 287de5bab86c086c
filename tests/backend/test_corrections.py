"""Issue 13 item 4: every mistake the extractor makes can be fixed, and the fix holds when
the entry is enriched again and after a backup is restored.

Real graph, real worker Runner (``enrich_all`` in tests/helpers/graph.py), the scripted
extractor: ``[[Person:Lake Merritt]]`` is what it "finds"; lowercase prose it ignores.
"""

from __future__ import annotations

import pytest

from backend.errors import ValidationError
from backend.root import Charlie
from backend.transfer import backup, restore
from tests.helpers.graph import again, enrich_all, entity, graph_is_clean, names


def test_retype_holds_for_this_entry_and_later_ones(api: Charlie) -> None:
    one = api.journal().entries.add("a walk around [[Person:Lake Merritt]].")
    enrich_all(api)
    lake = entity(api, "Lake Merritt")
    api.journal().curation.retype(lake.id, "Place")
    assert names(api, one.id) == {("Lake Merritt", "Place")}
    again(api, one.id)
    assert names(api, one.id) == {("Lake Merritt", "Place")}
    two = api.journal().entries.add("ran at [[Person:lake merritt's]] edge.")
    enrich_all(api)
    assert names(api, two.id) == {("Lake Merritt", "Place")}
    assert [e.id for e in api.journal().graph.entities()] == [
        lake.id
    ]  # One entity, never a Person again.
    graph_is_clean(api)


def test_retype_onto_an_existing_name_says_merge_and_merge_across_types_holds(
    api: Charlie,
) -> None:
    one = api.journal().entries.add("[[Place:Jordan]] in spring.")
    two = api.journal().entries.add("back from [[Person:Jordan]].")
    enrich_all(api)
    place, person = entity(api, "Jordan", "Place"), entity(api, "Jordan", "Person")
    with pytest.raises(ValidationError, match="already a Place called 'Jordan'; merge"):
        api.journal().curation.retype(person.id, "Place")
    api.journal().curation.merge(place.id, person.id)
    assert names(api, two.id) == {("Jordan", "Place")}
    again(api, one.id, two.id)
    assert names(api, one.id) == names(api, two.id) == {("Jordan", "Place")}
    assert [e.id for e in api.journal().graph.entities()] == [place.id]
    graph_is_clean(api)


def test_the_author_stays_a_person(api: Charlie) -> None:
    api.journal().entries.add("[[Person:I]] slept.")
    enrich_all(api)
    with pytest.raises(ValidationError, match="always a Person"):
        api.journal().curation.retype(entity(api, "I").id, "Place")


def test_link_a_missed_name_holds_and_can_be_removed_again(api: Charlie) -> None:
    entry = api.journal().entries.add("coffee with noor at the market. [[Person:Sam]] came too.")
    enrich_all(api)
    noor = api.journal().curation.link(entry.id, "Noor", "Person")
    assert names(api, entry.id) == {("Noor", "Person"), ("Sam", "Person")}
    [spellings] = [
        w for r, w in api.journal().graph.entry_entities(entry.id).mentions if r.id == noor
    ]
    assert spellings == ("noor",)  # As written, for the reader's links.
    assert [m.quote for m in api.journal().graph.entity(noor).mentions] == [
        "coffee with noor at the market."
    ]
    again(api, entry.id)
    assert names(api, entry.id) == {("Noor", "Person"), ("Sam", "Person")}
    with pytest.raises(ValidationError, match="already mentions 'Noor'"):
        api.journal().curation.link(entry.id, "noor", "Person")
    # A later entry that names her links to the same entity.
    other = api.journal().entries.add("[[Person:Noor]] again.")
    enrich_all(api)
    assert entity(api, "Noor").id == noor and names(api, other.id) == {("Noor", "Person")}
    api.journal().curation.remove_from_entry(entry.id, noor)
    again(api, entry.id)
    assert names(api, entry.id) == {("Sam", "Person")}
    graph_is_clean(api)


def test_link_rejects_a_bad_type_or_entry(api: Charlie) -> None:
    entry = api.journal().entries.add("quiet day.")
    with pytest.raises(ValidationError, match="not a type"):
        api.journal().curation.link(entry.id, "Noor", "Pet")
    with pytest.raises(ValidationError, match="letter or digit"):
        api.journal().curation.link(entry.id, "  !! ", "Person")


def test_split_moves_chosen_mentions_for_good(api: Charlie) -> None:
    work = [api.journal().entries.add(f"stand-up {n} with [[Person:Sam]].") for n in range(2)]
    home = api.journal().entries.add("dinner at [[Person:Sam -KNOWS-> Person:Ida]]'s.")
    enrich_all(api)
    sam = entity(api, "Sam")
    with pytest.raises(ValidationError, match="name other than 'Sam'"):
        api.journal().curation.split(sam.id, [work[0].id], "sam")
    lee = api.journal().curation.split(sam.id, [w.id for w in work], "Sam Lee")
    for w in work:
        assert names(api, w.id) == {("Sam Lee", "Person")}
    assert [m.entry_id for m in api.journal().graph.entity(sam.id).mentions] == [home.id]
    quotes = sorted(q.quote for q in api.journal().graph.entity(lee).mentions)
    assert quotes == ["stand-up 0 with [[Person:Sam]].", "stand-up 1 with [[Person:Sam]]."]
    again(api, *(w.id for w in work), home.id)
    for w in work:
        assert names(api, w.id) == {("Sam Lee", "Person")}
    assert names(api, home.id) == {("Sam", "Person"), ("Ida", "Person")}
    assert [r.other.name for r in api.journal().graph.entity(sam.id).relations] == ["Ida"]
    later = api.journal().entries.add("[[Person:Sam]] called.")
    enrich_all(api)
    assert names(api, later.id) == {("Sam", "Person")}
    graph_is_clean(api)


def test_corrections_survive_a_backup_and_restore(api: Charlie) -> None:
    entry = api.journal().entries.add("swim at [[Person:Ocean Beach]] with noor.")
    enrich_all(api)
    api.journal().curation.retype(entity(api, "Ocean Beach").id, "Place")
    api.journal().curation.link(entry.id, "Noor", "Person")
    saved = backup.snapshot(api.backend, "manual")
    api.journal().entries.delete(entry.id)
    restore.restore(api.backend, saved)
    again(api, entry.id)
    assert names(api, entry.id) == {("Ocean Beach", "Place"), ("Noor", "Person")}


def test_the_cli_retypes_links_splits_and_merges(api: Charlie) -> None:
    from charlie import main

    one = api.journal().entries.add(
        "[[Person:Golden Gate Park]] with [[Person:Sam]], then tea with lena."
    )
    two = api.journal().entries.add("[[Person:Sam]] and [[Place:Paris]] and [[Person:Paris]].")
    enrich_all(api)
    assert main(["retype", "Golden Gate Park", "Place"]) == 0
    assert main(["link", one.id[:8], "Lena", "--type", "Person"]) == 0
    assert main(["split", "Sam", "--entry", two.id, "--into", "Sam Ortiz"]) == 0
    assert main(["merge", "Paris", "Paris", "--keep-type", "Place", "--other-type", "Person"]) == 0
    assert main(["retype", "nobody", "Place"]) == 1
    again(api, one.id, two.id)
    assert names(api, one.id) == {
        ("Golden Gate Park", "Place"),
        ("Sam", "Person"),
        ("Lena", "Person"),
    }
    assert names(api, two.id) == {("Sam Ortiz", "Person"), ("Paris", "Place")}
    graph_is_clean(api)
