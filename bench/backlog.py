"""Backlog throughput: a supervised worker enriching 10,000 imported entries.

Run ``.venv/bin/python bench/backlog.py [--entries N] [--sample S]``. Everything happens
in a fresh data directory under /tmp (removed at the end), with default settings (every
commit fsynced) and the default extractor, ``rules``. It only prints figures; nothing
is asserted. ``--quick`` is the CI smoke test: 60 entries, samples of 20.

1. Generating N journal entries as Markdown files (~3 years; 2-24 sentences each, about
   100-2,000 characters) naming people (a Zipf-like spread over N/3 names, first names
   alone or with surnames, and kin), places, groups and activities, then importing them
   with the import pipeline (``charlie.transfer.import_entries``): N backlog jobs, with
   inference off.
2. Drain: a real ``Supervisor`` starts a real worker; inference is switched on and the
   clock runs until every job is done. Printed as entries/s end to end (target >= 500).
3. Stages: 3 x S more entries are imported (the worker stopped) and the worker's loop
   (``Runner._run``: claim, ``read_entry``, ``extract``, ``plan_enrichment``, the
   commit through ``jobs.complete`` with ``queue_enrichment``) runs in this process on
   them, against the N-entry graph, timing each stage (same functions, same data; the
   read of every entity of the journal is timed inside planning). Three loops take
   turns in blocks, S entries each: "copy" plans with the worker's copy of the entities
   (``KnownEntities``), "read all" without it (every entity read for every entry), and
   "floor", the baseline: no extraction and an empty write (claim, read, commit).
   "wake-up/other" is the drain's time per entry less the stages of the loop the worker
   runs (with the copy if its Runner keeps one).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.graph import enrich  # noqa: E402
from backend.graph.enrich import plan_enrichment, queue_enrichment, read_entry  # noqa: E402
from backend.graph.extractor import entry_text, load_extractor  # noqa: E402
from backend.graph.known import KnownEntities  # noqa: E402
from backend.graph.schema import blocked_key, version_key  # noqa: E402
from backend.jobs.keys import BREAKER_KEY  # noqa: E402
from backend.jobs.records import Write  # noqa: E402
from backend.jobs.supervisor import Supervisor  # noqa: E402
from backend.jobs.worker import Runner  # noqa: E402
from backend.root import Charlie  # noqa: E402
from backend.settings import Settings  # noqa: E402

FIRST = (
    "Sarah Noor Wojtek Priya Tomás Aiko Mateo Lena Omar Grace Daniel Hana Felix Ines "
    "Jonas Maya Ravi Elena Samir Chloe Lucas Amara Ben Yuki Nadia Oscar Lila Theo Zara "
    "Marcus Ingrid Kofi Rosa Emil Leila Hugo Freya Diego Anika Pavel Camille Idris Mira "
    "Sven Aisha Bruno Clara Dev Esther Finn Gita Hamid Iris Jasper Kira Luca Nina Otto "
    "Petra Quentin Rahel Stefan Tara Umar Vera Wendy Xavier Yara Zoltan Agnes Bram Celia "
    "Dmitri Eva Farah Goran Helga Ivan Julia Karim Lotte Malik Nora Olga Pablo Rania Sofia"
).split()
LAST = (
    "Okafor Lindqvist Moreau Tanaka Alvarez Novak Haddad Brennan Kowalski Sato Ferreira "
    "Osei Dubois Larsen Mehta Rossi Nakamura Petrov Quinn Schmidt Varga Whitfield Adeyemi "
    "Bergstrom Castillo Dimitrov Eriksen Fontaine Gallagher Horvat Ibrahim Jovanovic "
    "Kaminski Lambert Mendoza Nilsson Olsen Pereira Romano Silva Torres Ueda Vasquez "
    "Weber Yilmaz Zhang Abbott Bianchi Costa Delgado Engel Fischer Greco Hoffman Iqbal"
).split()
PLACES = (
    (
        "Lisbon|Seattle|Portland|Everett|Tacoma|Vancouver|Chicago|Boston|Denver|Oakland|Kyoto|"
        "Berlin|Madrid|Oslo|Prague|Vienna|Dublin|Edinburgh|Montreal|Toronto|Austin|Phoenix|"
        "Discovery Park|Green Lake|Golden Gardens|Lake Union|Pike Place Market|Gas Works Park|"
        "Union Station|Mount Rainier|Alki Beach|Volunteer Park|Ballard Library|Fremont Bridge"
    ).split("|")
    + [f"{last} Park" for last in LAST[::2]]
    + [f"Café {last}" for last in LAST[1::3]]
)
GROUPS = (
    "the book club|the choir|the running club|the climbing gym crew|the Seahawks|"
    "the pottery class|the neighbourhood association|the chess club|the hiking group|"
    "the Mariners|the board games night|the parent-teacher association|Acme Analytics|"
    "Northwind Design|the Sounders|the writing group"
).split("|") + [f"{last} Architects" for last in LAST[::4]]
ACTIVITIES = (
    "bouldering|yoga|a slow run|swim practice|piano lessons|a long bike ride|gardening|"
    "rowing|pottery|a hike|salsa class|meditation|baking bread|kayaking|tennis|sketching"
).split("|")
KIN = ("Mom", "Dad", "my sister", "my brother", "Grandma", "my aunt", "my cousin")
FILLER = (
    "Slept badly and woke up before the alarm.",
    "The rain did not stop all day.",
    "Work was mostly email and one long meeting.",
    "I keep thinking about the move.",
    "Made soup with whatever was left in the fridge.",
    "The light this evening was beautiful.",
    "Finally finished the book I started in spring.",
    "Felt tired but oddly content.",
    "Too much coffee again.",
    "Need to call the landlord about the heater tomorrow.",
    "The train was late, so I read on the platform.",
    "Wrote three pages and deleted two.",
    "A quiet day, which I needed.",
    "The garden is finally coming back after the frost.",
    "Paid the bills and cleaned the kitchen.",
)
TEMPLATES = (
    "Had coffee with {p} at {pl}.",
    "{p} and I went {a} near {pl}.",
    "Met {p} from {g} for lunch.",
    "{k} called about the weekend.",
    "Ran into {p} at {pl}; we talked for an hour.",
    "{g} met at {pl} tonight and {p} brought cake.",
    "Spent the afternoon {a} with {p}.",
    "{p} told me about her trip to {pl}.",
    "Dinner with {k} and {p}.",
    "Skipped {a} because of the weather.",
    "{p} is thinking of leaving {g}.",
    "Drove {k} to {pl} in the morning.",
)


class Names:
    """The people, places and groups of one imaginary life, drawn Zipf-like."""

    def __init__(self, rng: random.Random, people: int) -> None:
        self.rng = rng
        self.people = [
            rng.choice(FIRST) if i % 4 == 0 else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            for i in range(people)
        ]
        self.weights = [1 / (rank + 1) ** 0.8 for rank in range(people)]

    def person(self) -> str:
        return self.rng.choices(self.people, self.weights)[0]

    def sentence(self) -> str:
        rng = self.rng
        if rng.random() < 0.35:
            return rng.choice(FILLER)
        return rng.choice(TEMPLATES).format(
            p=self.person(),
            pl=rng.choice(PLACES),
            g=rng.choice(GROUPS),
            a=rng.choice(ACTIVITIES),
            k=rng.choice(KIN),
        )

    def entry(self) -> str:
        text = " ".join(self.sentence() for _ in range(self.rng.randint(2, 24)))
        return text[0].upper() + text[1:]


def generate(folder: Path, names: Names, n: int, start: int) -> int:
    """Write ``n`` Markdown files (numbered from ``start``); their total size in bytes."""
    folder.mkdir(parents=True)
    rng = names.rng
    first = datetime(2022, 1, 1, tzinfo=UTC)
    total = 0
    for i in range(start, start + n):
        when = first + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        title = f"title: Day {i}\n" if i % 2 else ""
        text = f"---\n{title}date: {when.isoformat()}\n---\n{names.entry()}\n"
        path = folder / f"entry-{i:05}.md"
        path.write_text(text, encoding="utf-8")
        os.utime(path, (when.timestamp(), when.timestamp()))
        total += len(text)
    return total


def wait(predicate: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.01)


def drain(charlie: Charlie, settings: Settings, n: int) -> float:
    """Seconds a supervised worker takes to enrich the ``n`` queued jobs."""
    supervisor = Supervisor(settings, charlie.backend.broker).start()
    try:
        wait(lambda: bool(charlie.queue.workers()), "the worker to start", 60)
        jobs = charlie.backend.jobs
        before = jobs.completed_total()
        started = time.perf_counter()
        charlie.queue.set_inference(True)
        try:
            wait(lambda: jobs.completed_total() - before >= n, "the backlog to drain", 60 + n)
        except RuntimeError:
            log = settings.data_dir / "logs" / "worker.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
            print(f"{charlie.queue.job_counts()}\nworker log:\n{tail}", file=sys.stderr)
            raise
        took = time.perf_counter() - started
        charlie.queue.set_inference(False)
        dead = charlie.queue.job_counts()["dead"]
        if dead:
            raise RuntimeError(f"{dead} jobs went dead during the drain")
        return took
    finally:
        supervisor.stop()


class Stages:
    """Seconds spent in each stage of the worker's loop, summed over the jobs run."""

    NAMES = ("claim", "read entry", "extraction", "planning", "commit")

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(self.NAMES, 0.0)
        self.known = 0.0
        self.reads = 0
        self.jobs = 0

    def per_job_ms(self, stage: str) -> float:
        return self.seconds[stage] / self.jobs * 1000

    def total_ms(self) -> float:
        return sum(self.seconds.values()) / self.jobs * 1000


# Whether the worker's Runner keeps its copy of the entities (and so which loop below
# is the one it runs).
WORKER_COPY = "known" in {f.name for f in dataclasses.fields(Runner)}
MODES = ("copy", "read all", "floor")
"""The loops timed: the worker's, with its copy of the entities (``KnownEntities``);
the same without it (every entity read for every entry, as before the copy); and the
floor (no extraction, an empty write)."""


class Loops:
    """The worker's loop (``Runner._run``) run in this process, timed per mode."""

    def __init__(self, charlie: Charlie) -> None:
        self.client = charlie.backend.broker.client
        self.jobs = charlie.backend.jobs
        self.extractor = load_extractor("rules", charlie.backend.settings)
        self.extractor.load()
        self.stages = {mode: Stages() for mode in MODES}
        self.known = KnownEntities()
        self.current = self.stages["floor"]

    def run(self, n: int, block: int) -> dict[str, Stages]:
        """``n`` queued jobs per mode, the modes taking turns in blocks of ``block`` jobs
        (so a slow moment of the shared machine falls on all three)."""
        original = enrich.known_entities

        def timed_read(*args: Any, **kwargs: Any) -> Any:
            # The same function, timed: the read of every entity of the journal.
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.current.known += time.perf_counter() - started
                self.current.reads += 1

        enrich.known_entities = timed_read  # type: ignore[assignment]
        try:
            while any(s.jobs < n for s in self.stages.values()):
                for mode in MODES:
                    for _ in range(min(block, n - self.stages[mode].jobs)):
                        self.job(mode)
        finally:
            enrich.known_entities = original  # type: ignore[assignment]
        return self.stages

    def job(self, mode: str) -> None:
        """One job, as ``Runner._run`` does it (with the copy in mode "copy")."""
        client, jobs = self.client, self.jobs
        timing = self.current = self.stages[mode]
        t0 = time.perf_counter()
        claim = jobs.claim("bench", lease_ms=60_000)
        t1 = time.perf_counter()
        if claim is None:
            raise RuntimeError("no job to claim: the sample ran out")
        stored = read_entry(client, claim.journal_id, claim.entry_id)
        t2 = time.perf_counter()
        assert stored is not None and stored.content_hash == claim.content_hash
        title, body = stored.title, stored.body
        planning = 0.0
        if mode == "floor":
            t3 = time.perf_counter()
            committed = jobs.complete(claim, lambda pipe: None)
        else:
            extraction = self.extractor.extract(entry_text(title, body))
            t3 = time.perf_counter()
            copy = self.known if mode == "copy" else None

            def plan() -> Write:
                nonlocal planning
                started = time.perf_counter()
                planned = plan_enrichment(
                    client,
                    claim.journal_id,
                    claim.entry_id,
                    claim.content_hash,
                    entry_text(title, body),
                    extraction,
                    known=copy,
                    entry=stored,
                )
                planning += time.perf_counter() - started

                def write(pipe: Any) -> None:
                    pipe.delete(BREAKER_KEY)  # As the worker closes the breaker.
                    queue_enrichment(pipe, claim.journal_id, planned)

                return write

            watch = (version_key(claim.journal_id), blocked_key(claim.journal_id))
            committed = jobs.complete(claim, plan=plan, watch=watch)
            if committed and copy is not None:
                copy.committed(claim.journal_id)
        t4 = time.perf_counter()
        if not committed:
            raise RuntimeError(f"the commit of {claim.job_id} was rejected")
        took = (t1 - t0, t2 - t1, t3 - t2, planning, t4 - t3 - planning)
        for stage, seconds in zip(Stages.NAMES, took, strict=True):
            timing.seconds[stage] += seconds
        timing.jobs += 1


def run(root: Path, n: int, sample: int) -> None:
    rng = random.Random(11)
    names = Names(rng, max(10, n // 3))
    started = time.perf_counter()
    size = generate(root / "backlog", names, n, 0)
    print(
        f"1. Generated {n:,} entries ({size / 1e6:.1f} MB, {size / n:.0f} characters each) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    settings = Settings(data_dir=root / "data", config_file=root / "none.toml", extractor="rules")
    charlie = Charlie.open(settings)
    try:
        charlie.queue.set_inference(False)
        started = time.perf_counter()
        summary = charlie.transfer.import_entries("files", root / "backlog")
        print(
            f"   imported {summary.added:,} in {time.perf_counter() - started:.1f} s "
            f"({charlie.queue.job_counts()['queued']:,} backlog jobs queued)\n"
        )

        took = drain(charlie, settings, summary.added)
        graph = charlie.backend.store.graph(charlie.journals.get())
        entities = graph.read("MATCH (n:Entity) RETURN count(n)")[0][0]
        mentions = graph.read("MATCH ()-[m:MENTIONS]->() RETURN count(m)")[0][0]
        rate = summary.added / took
        print(f"2. Drain: a supervised worker, extractor rules, {summary.added:,} entries")
        print(
            f"   end to end         {took:7.2f} s  {rate:8.0f} entries/s  (target >= 500)  "
            f"{took / summary.added * 1000:.2f} ms/entry"
        )
        print(f"   graph afterwards   {entities:,} entities, {mentions:,} mentions\n")

        generate(root / "sample", names, sample * len(MODES), n)
        charlie.transfer.import_entries("files", root / "sample")
        charlie.queue.set_inference(True)
        stages = Loops(charlie).run(sample, block=max(1, min(50, sample // 4)))
        charlie.queue.set_inference(False)
        report_stages(stages, took / summary.added * 1000, sample)
    finally:
        charlie.close()


def report_stages(stages: dict[str, Stages], drained_ms: float, sample: int) -> None:
    worker = "copy" if WORKER_COPY else "read all"
    print(f"3. Stages, the worker's loop in this process, {sample} more entries per loop, ms/entry")
    print(f"   {'':<24}{'copy':>9}{'read all':>10}{'floor':>9}   share of the drain ({worker})")
    for stage in Stages.NAMES:
        cells = [stages[m].per_job_ms(stage) for m in MODES]
        share = stages[worker].per_job_ms(stage) / drained_ms * 100
        print(f"   {stage:<24}{cells[0]:9.3f}{cells[1]:10.3f}{cells[2]:9.3f}   {share:5.1f}%")
        if stage == "planning":
            read = [stages[m].known / stages[m].jobs * 1000 for m in MODES[:2]]
            print(
                f"   {'  of which entities read':<24}{read[0]:9.3f}{read[1]:10.3f}"
                f"{'':9}   (read by {stages['copy'].reads} of {stages['copy'].jobs} "
                "plans with the copy)"
            )
    sums = {m: stages[m].total_ms() for m in MODES}
    print(f"   {'stage sum':<24}{sums['copy']:9.3f}{sums['read all']:10.3f}{sums['floor']:9.3f}")
    rates = [1000 / sums[m] for m in MODES]
    print(f"   {'entries/s':<24}{rates[0]:9.0f}{rates[1]:10.0f}{rates[2]:9.0f}")
    other = drained_ms - sums[worker]
    print(
        f"   wake-up/other: the drain's {drained_ms:.3f} ms/entry less the {worker} loop's "
        f"stages = {other:.3f} ms ({other / drained_ms * 100:.0f}%; negative when the "
        "worker's commit also claims its next job)"
    )
    print(f"   the worker keeps the copy: {'yes' if WORKER_COPY else 'no'}")
    print(f"   ratio read all / copy   {sums['read all'] / sums['copy']:.2f}x")
    print(f"   ratio copy / floor      {sums['copy'] / sums['floor']:.2f}x (baseline: floor)")
    print(f"   ratio drain / floor     {drained_ms / sums['floor']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000, help="imported entries")
    parser.add_argument("--sample", type=int, default=500, help="entries per stage sample")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        parser.set_defaults(entries=60, sample=20)
        args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cbb-", dir="/tmp"))
    try:
        run(root, max(1, args.entries), max(1, args.sample))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
