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
   clock runs until every job is done. Printed as entries/s end to end (target >= 500),
   with the CPU the worker and the server used per entry.
3. Steps: 3 x S more entries are imported (the worker stopped) and the worker's own
   loop (``Runner.drain``, backend/jobs/enricher.py) runs in this process on them,
   against the N-entry graph, its steps timed by wrappers around the same functions.
   Three loops take turns in blocks: "worker", as the worker runs (the rules extractor
   is quick, so it holds the next job and extracts and plans it while the server writes
   the last); "in turn", the same loop holding nothing ahead (as with a slow extractor);
   and "floor", the baseline: the same loop with an extractor that finds nothing (claim,
   read, check, an empty plan and its commit).
   Server CPU per entry comes from the server's own INFO; worker CPU from this process.
"""

from __future__ import annotations

import argparse
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

from backend.graph import planning  # noqa: E402
from backend.graph.extractor import Extraction, Extractor, load_extractor  # noqa: E402
from backend.jobs import commit, enricher  # noqa: E402
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


def process_cpu(pid: int) -> float:
    """Seconds of CPU process ``pid`` has used (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(charlie: Charlie) -> float:
    info = charlie.backend.broker.client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def drain(charlie: Charlie, settings: Settings, n: int) -> tuple[float, float, float]:
    """Seconds a supervised worker takes to enrich the ``n`` queued jobs, and the CPU
    seconds the worker and the server used meanwhile."""
    supervisor = Supervisor(settings, charlie.backend.broker).start()
    try:
        wait(lambda: bool(charlie.queue.workers()), "the worker to start", 60)
        jobs = charlie.backend.jobs
        before = jobs.completed_total()
        pid = supervisor.status.worker_pid
        assert pid is not None
        cpu, server = process_cpu(pid), server_cpu(charlie)
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
        cpu, server = process_cpu(pid) - cpu, server_cpu(charlie) - server
        charlie.queue.set_inference(False)
        dead = charlie.queue.job_counts()["dead"]
        if dead:
            raise RuntimeError(f"{dead} jobs went dead during the drain")
        return took, cpu, server
    finally:
        supervisor.stop()


class Steps:
    """Seconds spent in each step of the worker's loop, summed over the jobs run."""

    NAMES = (
        "read entry",
        "check",
        "extraction",
        "planning",
        "send",
        "commit wait",
    )
    AHEAD = ("extraction", "planning")
    READS = "planning"
    """The step the reads of every entity of a journal (without a current copy) fall in."""
    """Steps that also run for the next job while the server writes (the 'ahead' share)."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(self.NAMES, 0.0)
        self.ahead = dict.fromkeys(self.AHEAD, 0.0)
        self.entities_read = 0.0
        self.total = 0.0
        self.cpu = 0.0
        self.server_cpu = 0.0
        self.jobs = 0

    def ms(self, seconds: float) -> float:
        return seconds / self.jobs * 1000


MODES = ("worker", "in turn", "floor")
ENTITIES = "entities read"


class NoExtraction(Extractor):
    """The floor's extractor: finds nothing, at no cost."""

    name = "none"
    quick = False

    def extract(self, text: str) -> Extraction:
        return Extraction()


class Loops:
    """The worker's loop (``Runner.drain``) run in this process, its steps timed."""

    def __init__(self, charlie: Charlie) -> None:
        self.charlie = charlie
        self.client = charlie.backend.broker.client
        self.steps = {mode: Steps() for mode in MODES}
        self.current = self.steps["floor"]
        self.in_work_ahead = False

    def runner(self, mode: str) -> Runner:
        extractor = load_extractor("rules", self.charlie.backend.settings)
        if mode == "in turn":
            extractor.quick = False  # type: ignore[misc]  # This instance only.
        elif mode == "floor":
            extractor = NoExtraction()
        runner = Runner(
            jobs=self.charlie.backend.jobs,
            client=self.client,
            extractor=extractor,
            worker_id=f"bench:{mode}",
            lease_ms=60_000,
        )
        extractor.load()
        return runner

    def timed(self, owner: Any, name: str, step: str) -> Callable[[], None]:
        """Wrap ``owner.name`` so its time adds to ``step`` (or, for ENTITIES, to the
        reads of every entity, a part of planning); returns the undo."""
        original = getattr(owner, name)
        loops = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                took = time.perf_counter() - started
                steps = loops.current
                if step == ENTITIES:
                    steps.entities_read += took
                else:
                    steps.seconds[step] += took
                    if loops.in_work_ahead and step in Steps.AHEAD:
                        steps.ahead[step] += took

        setattr(owner, name, wrapper)
        return lambda: setattr(owner, name, original)

    def run(self, root: Path, names: Names, sample: int, start: int) -> dict[str, Steps]:
        """``sample`` jobs per mode, the modes taking turns in blocks (so a slow moment of
        the shared machine falls on all three)."""
        original_ahead = enricher.Enricher._work_ahead
        loops = self

        def work_ahead(self_: Any, *args: Any) -> Any:
            loops.in_work_ahead = True
            try:
                return original_ahead(self_, *args)
            finally:
                loops.in_work_ahead = False

        undo = [
            self.timed(enricher, "read_entry", "read entry"),
            self.timed(commit.Commit, "check", "check"),
            self.timed(enricher.Enricher, "_extract", "extraction"),
            self.timed(enricher.Enricher, "_plan", "planning"),
            self.timed(commit.Commit, "send", "send"),
            self.timed(commit.Commit, "receive", "commit wait"),
            self.timed(planning, "known_entities", ENTITIES),
        ]
        enricher.Enricher._work_ahead = work_ahead  # type: ignore[method-assign]
        block = max(1, min(100, sample // 4))
        try:
            done = 0
            while done < sample:
                size = min(block, sample - done)
                for mode in MODES:
                    folder = root / f"sample-{mode}-{done}"
                    generate(folder, names, size, start)
                    start += size
                    self.charlie.transfer.import_entries("files", folder)
                    self.block(mode, size)
                done += size
        finally:
            enricher.Enricher._work_ahead = original_ahead  # type: ignore[method-assign]
            for step in undo:
                step()
        return self.steps

    def block(self, mode: str, size: int) -> None:
        """Drain the ``size`` jobs just queued with ``mode``'s runner."""
        steps = self.current = self.steps[mode]
        runner = self.runner(mode)
        queue = self.charlie.queue
        server = server_cpu(self.charlie)
        cpu, started = time.process_time(), time.perf_counter()
        queue.set_inference(True)
        runner.drain()
        steps.total += time.perf_counter() - started
        steps.cpu += time.process_time() - cpu
        steps.server_cpu += server_cpu(self.charlie) - server
        queue.set_inference(False)
        counts = queue.job_counts()
        if counts["queued"] or counts["running"] or counts["dead"]:
            raise RuntimeError(f"the {mode} loop left jobs behind: {counts}")
        steps.jobs += size


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

        took, cpu, server = drain(charlie, settings, summary.added)
        graph = charlie.backend.store.graph(charlie.journals.get())
        entities = graph.read("MATCH (n:Entity) RETURN count(n)")[0][0]
        mentions = graph.read("MATCH ()-[m:MENTIONS]->() RETURN count(m)")[0][0]
        rate = summary.added / took
        print(f"2. Drain: a supervised worker, extractor rules, {summary.added:,} entries")
        print(
            f"   end to end         {took:7.2f} s  {rate:8.0f} entries/s  (target >= 500)  "
            f"{took / summary.added * 1000:.2f} ms/entry"
        )
        per = 1000 / summary.added
        print(f"   CPU per entry      worker {cpu * per:.3f} ms, server {server * per:.3f} ms")
        print(f"   graph afterwards   {entities:,} entities, {mentions:,} mentions\n")

        charlie.queue.set_inference(False)
        steps = Loops(charlie).run(root, names, sample, n)
        report_steps(steps, took / summary.added * 1000, sample)
    finally:
        charlie.close()


def report_steps(steps: dict[str, Steps], drained_ms: float, sample: int) -> None:
    print(
        f"3. Steps of the worker's loop, in this process, {sample} more entries per loop, ms/entry"
    )
    print(f"   {'':<26}" + "".join(f"{mode:>10}" for mode in MODES))
    for step in Steps.NAMES:
        cells = "".join(f"{steps[m].ms(steps[m].seconds[step]):10.3f}" for m in MODES)
        print(f"   {step:<26}{cells}")
        if step in Steps.AHEAD:
            ahead = "".join(f"{steps[m].ms(steps[m].ahead[step]):10.3f}" for m in MODES)
            print(f"   {'  of which ahead':<26}{ahead}")
        if step == Steps.READS:
            read = "".join(f"{steps[m].ms(steps[m].entities_read):10.3f}" for m in MODES)
            print(f"   {'  of which entities read':<26}{read}")
    rows = {
        "other": lambda s: s.ms(s.total - sum(s.seconds.values())),
        "total": lambda s: s.ms(s.total),
        "worker CPU": lambda s: s.ms(s.cpu),
        "server CPU": lambda s: s.ms(s.server_cpu),
    }
    for label, value in rows.items():
        print(f"   {label:<26}" + "".join(f"{value(steps[m]):10.3f}" for m in MODES))
    rates = "".join(f"{1000 / steps[m].ms(steps[m].total):10.0f}" for m in MODES)
    print(f"   {'entries/s':<26}{rates}")
    worker, in_turn, floor = (steps[m].ms(steps[m].total) for m in MODES)
    print("   'ahead': the share done for the next job while the server writes the last.")
    print(
        "   'entities read': each block starts a new loop, whose first plan reads every "
        "entity\n   (the worker keeps its copy from one entry to the next)."
    )
    print(f"   ratio in turn / worker  {in_turn / worker:.2f}x")
    print(f"   ratio worker / floor    {worker / floor:.2f}x (baseline: floor)")
    print(f"   ratio drain / floor     {drained_ms / floor:.2f}x")


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
