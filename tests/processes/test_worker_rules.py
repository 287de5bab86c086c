"""A worker draining a backlog with the ``rules`` extractor (hundreds of jobs a second,
each commit claiming the next job), killed or stopped mid-drain: nothing is lost or
done twice, and a stop gives its job back uncharged even while a commit is on its way.

Real supervised worker processes, real signals, the real ``rules`` extractor.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from backend.graph.enrich import mentioned_names
from backend.graph.schema import MENTION_COUNT, TALLY_OF_N
from backend.jobs.records import enrich_job_id
from backend.jobs.supervisor import Supervisor
from backend.root import Charlie
from backend.settings import Settings
from plugins.rules import RulesExtractor
from tests.helpers.procs import wait_until

pytestmark = pytest.mark.slow

PEOPLE = ("Ann Lindqvist", "Bruno Okafor", "Chiara Tanaka", "Dmitri Alvarez", "Esther Novak")
PLACES = ("Green Lake", "Discovery Park", "Pike Place Market")
ENTRIES = 400


def text(i: int) -> str:
    person, other = PEOPLE[i % len(PEOPLE)], PEOPLE[(i // len(PEOPLE)) % len(PEOPLE)]
    return f"Day {i}: had coffee with {person} at {PLACES[i % len(PLACES)]}. {other} called."


@pytest.fixture
def backlog(settings: Settings) -> Iterator[tuple[Charlie, list[str]]]:
    """A journal of ENTRIES entries queued for the rules worker, inference still off."""
    api = Charlie.open(settings.with_changes(extractor="rules"))
    try:
        api.queue.set_inference(False)
        ids = [api.journal().entries.add(text(i)).id for i in range(ENTRIES)]
        yield api, ids
    finally:
        api.close()


def running(api: Charlie) -> int:
    return api.backend.jobs.counts()["running"]


def history(api: Charlie, entry_id: str) -> list[str]:
    record = api.backend.jobs.get(enrich_job_id(api.journals.get().id, entry_id))
    assert record is not None
    return [event["event"] for event in record.history]


def drain_started(api: Charlie, supervisor: Supervisor) -> int:
    """Switch inference on and wait until the worker is mid-drain; its pid."""
    wait_until(lambda: bool(api.queue.workers()), timeout=60, what="the worker to start")
    api.queue.set_inference(True)
    jobs = api.backend.jobs
    # It holds the job it runs and, the rules extractor being quick, the next one.
    wait_until(
        lambda: jobs.completed_total() >= 20 and running(api) in (1, 2),
        timeout=60,
        what="the worker to be mid-drain",
    )
    pid = supervisor.status.worker_pid
    assert pid is not None and pid > 0
    return pid


def assert_each_done_once(api: Charlie, ids: list[str]) -> None:
    """Every entry enriched once: one 'done' each, its mentions what the rules find in
    its text (once each), every stored mention count right."""
    jobs = api.backend.jobs
    wait_until(
        lambda: jobs.counts()["done"] + jobs.counts()["dead"] >= len(ids) and not running(api),
        timeout=120,
        what=f"the backlog to drain ({jobs.counts()})",
    )
    assert jobs.counts()["dead"] == 0
    assert jobs.completed_total() == len(ids)
    graph = api.backend.store.graph(api.journals.get())
    rules = RulesExtractor()
    for i, entry_id in enumerate(ids):
        assert history(api, entry_id).count("done") == 1, entry_id
        expected = sorted(e.name for e in rules.extract(text(i)).entities)
        assert mentioned_names(graph, entry_id) == expected, text(i)
    counts = graph.read(
        f"MATCH (n:Entity) {TALLY_OF_N} RETURN n.name, {MENTION_COUNT}, indegree(n, 'MENTIONS')"
    )
    assert counts and all(stored == actual for _, stored, actual in counts), counts


def test_a_rules_worker_sigkilled_mid_drain_loses_and_doubles_nothing(
    backlog: tuple[Charlie, list[str]],
) -> None:
    api, ids = backlog
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    try:
        pid = drain_started(api, supervisor)
        os.kill(pid, signal.SIGSTOP)  # So that what it holds stays still until it dies.
        held = {record.entry_id for record in api.backend.jobs.list("running")}
        os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda: supervisor.status.worker_pid not in (None, pid),
            timeout=60,
            what="the supervisor to start a new worker",
        )
        assert_each_done_once(api, ids)
        crashed = {i for i in ids if "crashed" in history(api, i)}
        assert crashed == held and len(held) in (1, 2), "the jobs the worker held run again"
    finally:
        supervisor.stop()


def test_stopping_a_rules_worker_mid_drain_gives_its_job_back_uncharged(
    backlog: tuple[Charlie, list[str]],
) -> None:
    api, ids = backlog
    supervisor = Supervisor(api.settings, api.backend.broker).start()
    try:
        drain_started(api, supervisor)
        supervisor.stop()  # SIGTERM, as when the app quits.
        left = api.backend.jobs.list("running")
        assert not left, (supervisor.status.last_exit, [r.history for r in left])
        released = [i for i in ids if history(api, i)[-1:] == ["released"]]
        assert len(released) in (1, 2), "the job it ran and the next, if it held it"
        for entry_id in released:
            record = api.backend.jobs.get(enrich_job_id(api.journals.get().id, entry_id))
            assert record is not None and (record.state, record.attempts) == ("queued", 0)
        assert not [i for i in ids if "crashed" in history(api, i)]
        supervisor = Supervisor(api.settings, api.backend.broker).start()
        assert_each_done_once(api, ids)
    finally:
        supervisor.stop()
