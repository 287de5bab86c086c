"""The offline rules extractor: deterministic, no model."""

from __future__ import annotations

import pytest

from backend.extractor import installed_extractors, load_extractor
from backend.settings import Settings


def found(text: str) -> set[tuple[str, str]]:
    return {(e.name, e.type) for e in load_extractor("rules").extract(text).entities}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Went hiking with Sarah.", {("hiking", "Activity"), ("Sarah", "Person")}),
        ("Lunch with Dr. Lee and Aunt May.", {("Dr Lee", "Person"), ("Aunt May", "Person")}),
        ("Called Mom, then my sister.", {("Mom", "Person"), ("my sister", "Person")}),
        (
            "We met at Mount Tam, then drove to Lisbon.",
            {("Mount Tam", "Place"), ("Lisbon", "Place")},
        ),
        ("The book club read Middlemarch.", {("Book club", "Group"), ("Middlemarch", "Person")}),
        (
            "Harbor team won again; I love swimming.",
            {("Harbor team", "Group"), ("swimming", "Activity")},
        ),
        ("Sam's dog chased Sam.", {("Sam", "Person")}),
    ],
)
def test_finds_what_the_patterns_promise(text: str, expected: set[tuple[str, str]]) -> None:
    assert expected <= found(text)


def test_sentence_openers_and_dates_are_not_people() -> None:
    assert found("Dinner was late. Monday in March. Today I rested.") == set()


def test_a_name_opening_a_sentence_counts_if_it_appears_mid_sentence() -> None:
    assert ("Sarah", "Person") in found("Sarah came over. Later Sarah left.")


def test_same_text_same_result_and_hostile_input_is_capped() -> None:
    text = " ".join(f"Name{chr(65 + i % 26)}x{i}" for i in range(5000))
    first = load_extractor("rules").extract(text)
    assert first == load_extractor("rules").extract(text)
    assert len(first.entities) <= 200


def test_rules_is_the_default_and_both_extractors_are_installed() -> None:
    assert Settings().extractor == "rules"
    assert {"rules", "scripted"} <= set(installed_extractors())


def test_unknown_extractor_lists_the_installed_ones() -> None:
    from backend.extractor import UnknownExtractorError

    with pytest.raises(UnknownExtractorError, match="Installed: .*rules, scripted"):
        load_extractor("gpt-9")


def test_a_group_name_before_a_group_noun_must_be_capitalised() -> None:
    assert found("Mom called about the book club.") == {("Book club", "Group"), ("Mom", "Person")}
