"""The worker's loop with a quick extractor (backend/jobs/enricher.py), on the real graph.

It holds the next job, and extracts and plans it while the server writes the last one.
What it builds must be what the loop that does one job at a time builds; a plan made
ahead must never be committed on a state other than the one it was made on; and every
job it holds goes back when it stops. The Runner runs here, in this process, with the
scripted extractor (made quick for the loop that plans ahead).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from backend.graph import planning
from backend.jobs import commit as commit_module
from backend.jobs import enricher as enricher_module
from backend.jobs.worker import Runner
from backend.root import Charlie
from tests.backend.test_known_entities import ENTRIES, graph_shape
from tests.helpers.graph import entity, names
from tests.helpers.scripted import ScriptedExtractor


class QuickScripted(ScriptedExtractor):
    quick = True


def runner(api: Charlie, *, quick: bool) -> Runner:
    extractor = QuickScripted(api.settings) if quick else ScriptedExtractor(api.settings)
    return Runner(
        jobs=api.backend.jobs,
        client=api.backend.broker.client,
        extractor=extractor,
        worker_id=f"test:{'quick' if quick else 'plain'}",
        lease_ms=30_000,
    )


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The entry of every plan made, in order."""
    made: list[str] = []
    original = planning.plan_entry

    def counted(state: Any, entry: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(entry.entry_id)
        return original(state, entry, *args, **kwargs)

    monkeypatch.setattr(enricher_module, "plan_entry", counted)
    return made


def once(
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    *,
    before: Callable[[], None] | None = None,
    after: Callable[[], None] | None = None,
) -> None:
    """Run ``before``/``after`` around the next call of Commit.<name> (once)."""
    original = getattr(commit_module.Commit, name)
    pending = [True]

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        first, pending[:] = bool(pending), []
        if first and before is not None:
            before()
        result = original(self, *args, **kwargs)
        if first and after is not None:
            after()
        return result

    monkeypatch.setattr(commit_module.Commit, name, wrapped)


def test_planning_ahead_builds_the_graph_planning_in_turn_builds(
    api: Charlie, plans: list[str]
) -> None:
    texts = ENTRIES * 3
    for text in texts:
        api.journal().entries.add(text)
    runner(api, quick=True).drain()
    ahead = list(plans)
    api.journals.create("other")
    for text in texts:
        api.journal("other").entries.add(text)
    runner(api, quick=False).drain()
    assert api.backend.jobs.counts()["done"] == 2 * len(texts)
    assert graph_shape(api, api.journals.get().name) == graph_shape(api, "other")
    # Every plan made ahead was the one committed: none was made twice.
    assert len(ahead) == len(set(ahead)) == len(texts)


def test_a_merge_after_a_commit_is_seen_by_the_plan_made_ahead(
    api: Charlie, plans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api.journal().entries.add("with [[Person:Noor]] and [[Person:Noor Haddad]].")
    runner(api, quick=True).drain()
    ahead = api.journal().entries.add("[[Person:Noor]] again.")
    first = api.journal().entries.add("[[Person:Quinn]] called.")  # Newest: runs first.
    noor, haddad = entity(api, "Noor").id, entity(api, "Noor Haddad").id
    plans.clear()
    # The first commit is applied, then the user merges Noor into Noor Haddad: the plan
    # made ahead links Noor, who is gone now. It must be made again.
    once(monkeypatch, "receive", after=lambda: api.journal().curation.merge(haddad, noor))
    runner(api, quick=True).drain()
    assert plans == [first.id, ahead.id, ahead.id]
    assert names(api, ahead.id) == {("Noor Haddad", "Person")}
    assert api.journal().graph.entity(haddad).mention_count == 2


def test_a_write_before_a_commit_lands_undoes_what_was_planned_ahead(
    api: Charlie, plans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api.journal().entries.add("with [[Person:Noor]] and [[Person:Noor Haddad]].")
    runner(api, quick=True).drain()
    ahead = api.journal().entries.add("[[Person:Noor]] again, with [[Person:Quinn]].")
    first = api.journal().entries.add("[[Person:Quinn]] called.")
    noor, haddad = entity(api, "Noor").id, entity(api, "Noor Haddad").id
    plans.clear()
    # The merge lands after the first commit's check, before its EXEC: that commit is
    # thrown away, and so is the plan made ahead on it (with a Quinn it would create).
    once(monkeypatch, "send", before=lambda: api.journal().curation.merge(haddad, noor))
    runner(api, quick=True).drain()
    assert plans[:2] == [first.id, ahead.id] and plans[2:] == [first.id, ahead.id]
    assert names(api, first.id) == {("Quinn", "Person")}
    assert names(api, ahead.id) == {("Noor Haddad", "Person"), ("Quinn", "Person")}
    quinn = api.journal().graph.entity(entity(api, "Quinn").id)
    assert {m.entry_id for m in quinn.mentions} == {first.id, ahead.id}


def test_a_quick_worker_holds_the_next_job_and_gives_both_back(api: Charlie) -> None:
    for text in ("[[Person:Ada]] came.", "[[Person:Ros]] came.", "[[Person:Bo]] came."):
        api.journal().entries.add(text)
    plain, quick = runner(api, quick=False), runner(api, quick=True)
    assert plain.enricher.claim_first() and len(plain.held()) == 1
    plain.give_back_all("stopped")
    assert quick.enricher.claim_first() and len(quick.held()) == 2
    quick.give_back_all("stopped")
    records = api.backend.jobs.list("queued")
    assert len(records) == 3
    assert all((r.state, r.attempts) == ("queued", 0) for r in records)
