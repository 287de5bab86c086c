"""Knowledge-graph benchmark: entity page, search and reader latency at scale.

Run ``.venv/bin/python bench/graph.py [--entries 10000] [--entities 5000]``. It builds a
journal in a fresh data directory under /tmp (removed at the end): N entries over ~3
years, each mentioning 3-8 of E entities (a Zipf-like spread, so a few people appear in
thousands of entries, like a partner or "I", and most in a handful), with quotes and a
relationship per entry, written through the same enrichment write the worker uses
(``queue_enrichment``), so the graph has the real shape and indexes. Then it times, with
p50/p95/max over many calls:

- ``graph.entity(id)`` (the entity page: quotes, first/last, appears-with, relations) for
  random entities, and separately for the 10 most-mentioned ones (the worst case);
- ``graph.search(prefix)`` as the user types 2-6 letters of a word or a name;
- ``graph.entry_entities(id)`` (the reader's sidebar) and ``graph.period(y, m)``.

Each call goes through ``charlie.journal().graph`` as the screens' workers do, so the
journal lookup is in the figures.

Baseline: a bare ``GRAPH.RO_QUERY`` fetching one entity by its indexed id on the same
server, so the ratios show what the views add over one round trip. Target: p95 <= 50 ms.
Nothing is asserted; it prints figures. ``--quick`` is the CI smoke test: 200 entries,
100 entities, 20 calls per view.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.graph.enrich import Mention, Plan, queue_enrichment  # noqa: E402
from backend.graph.extractor import ENTITY_TYPES  # noqa: E402
from backend.graph.schema import graph_key  # noqa: E402
from backend.models import content_hash, to_epoch_and_offset  # noqa: E402
from backend.root import Charlie  # noqa: E402
from backend.settings import Settings  # noqa: E402

WORDS = (
    "morning coffee walked lake rain office meeting call garden book read train late "
    "tired happy dinner project deadline ran park dog music quiet talked plans weekend "
    "slept cooked soup friends laughed market bought ridge harbour picnic concert"
).split()
SYLLABLES = "ka lo mi ra sen tor vi na el an da ri os ul be jo".split()


def name(rng: random.Random) -> str:
    first = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    last = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    return f"{first} {last}"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  max {ordered[-1]:6.2f} ms"


def timed(call: Callable[[], object], runs: list[float]) -> None:
    started = time.perf_counter()
    call()
    runs.append((time.perf_counter() - started) * 1000)


def build(charlie: Charlie, entries: int, entities: int, rng: random.Random) -> list[str]:
    """Write the journal straight into the default journal's graph (see the docstring)."""
    journal = charlie.journals.get()
    client = charlie.backend.broker.client
    graph = charlie.backend.store.graph(journal)
    people = [(f"{i:016x}", name(rng), rng.choice(ENTITY_TYPES)) for i in range(entities)]
    weights = [1 / (rank + 1) for rank in range(entities)]
    start = datetime(2022, 1, 1, tzinfo=UTC)
    ids = []
    created: set[str] = set()
    batch = []
    for n in range(entries):
        entry_id = f"e{n:015x}"
        at = start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
        mentioned = {p[0]: p for p in rng.choices(people, weights, k=rng.randint(3, 8))}
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 120)))
        body += ". " + ". ".join(f"Saw {p[1]} again" for p in mentioned.values()) + "."
        epoch, offset = to_epoch_and_offset(at)
        batch.append(
            {
                "id": entry_id,
                "title": "",
                "body": body,
                "entry_at": epoch,
                "utc_offset": offset,
                "created_at": epoch * 1000,
                "updated_at": epoch * 1000,
                "source": "bench",
                "content_hash": content_hash("", body),
            }
        )
        mentions = [
            Mention(
                p[0],
                p[2],
                p[1].casefold(),
                p[1],
                [p[1]],
                new=p[0] not in created,
                quote=f"Saw {p[1]} again.",
            )
            for p in mentioned.values()
        ]
        created.update(mentioned)
        pair = list(mentioned)[:2]
        plan = Plan(
            entry_id,
            batch[-1]["content_hash"],
            mentions,
            [{"source": pair[0], "kind": "KNOWS", "target": pair[1], "evidence": "They met."}]
            if len(pair) == 2
            else [],
            [],
        )
        ids.append((entry_id, plan))
        if len(batch) == 200 or n == entries - 1:
            with client.pipeline(transaction=True) as pipe:
                pipe.execute_command(
                    *graph.command(
                        "UNWIND $rows AS r CREATE (e:Episode) SET e = r", {"rows": batch}
                    )
                )
                for _, planned in ids[-len(batch) :]:
                    queue_enrichment(pipe, journal.id, planned)
                pipe.execute()
            batch = []
    assert graph_key(journal.id) == graph.key
    return [entry_id for entry_id, _ in ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--entities", type=int, default=5_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        parser.set_defaults(entries=200, entities=100, calls=20)
        args = parser.parse_args()
    rng = random.Random(7)
    data = Path(tempfile.mkdtemp(prefix="charlie-bench-graph-"))
    settings = Settings(data_dir=data, config_file=data / "none.toml", appendfsync="everysec")
    charlie = Charlie.open(settings)
    try:
        started = time.perf_counter()
        entry_ids = build(charlie, args.entries, args.entities, rng)
        graph = charlie.backend.store.graph(charlie.journals.get())
        counts = graph.read("MATCH (n:Entity) RETURN count(n)")[0][0]
        mentions = graph.read("MATCH ()-[m:MENTIONS]->() RETURN count(m)")[0][0]
        print(
            f"built {len(entry_ids)} entries, {counts} entities, {mentions} mentions "
            f"in {time.perf_counter() - started:.1f} s"
        )
        refs = charlie.journal().graph.entities(limit=100_000)
        top = refs[:10]
        print(
            f"most mentioned: {top[0].name} in {top[0].count} entries; "
            f"median entity in {refs[len(refs) // 2].count}"
        )

        base: list[float] = []
        for _ in range(args.calls):
            ref = rng.choice(refs)
            timed(
                lambda r=ref: graph.read("MATCH (n:Entity {id: $id}) RETURN n.name", {"id": r.id}),
                base,
            )
        print(f"baseline (entity by id, one round trip)   {percentiles(base)}")

        page: list[float] = []
        for _ in range(args.calls):
            ref = rng.choice(refs)
            timed(lambda r=ref: charlie.journal().graph.entity(r.id), page)
        print(
            f"entity page, random entity               {percentiles(page)}  "
            f"(p50 x{statistics.median(page) / statistics.median(base):.1f} baseline)"
        )
        worst: list[float] = []
        for _ in range(max(3, args.calls // 20)):
            for ref in top:
                timed(lambda r=ref: charlie.journal().graph.entity(r.id), worst)
        print(f"entity page, 10 most mentioned           {percentiles(worst)}")

        search: list[float] = []
        for _ in range(args.calls):
            word = rng.choice([rng.choice(WORDS), rng.choice(refs).name.split()[0].lower()])
            prefix = word[: rng.randint(2, max(2, min(6, len(word))))]
            timed(lambda p=prefix: charlie.journal().graph.search(p), search)
        print(f"search as you type (2-6 letters)         {percentiles(search)}")
        letters: list[float] = []
        for _ in range(args.calls // 4):
            timed(
                lambda: charlie.journal().graph.search(rng.choice(string.ascii_lowercase) * 2),
                letters,
            )
        print(f"search, two same letters                 {percentiles(letters)}")

        sidebar: list[float] = []
        for _ in range(args.calls):
            entry_id = rng.choice(entry_ids)
            timed(lambda e=entry_id: charlie.journal().graph.entry_entities(e), sidebar)
        print(f"reader sidebar (entry_entities)          {percentiles(sidebar)}")
        months: list[float] = []
        for _ in range(max(5, args.calls // 10)):
            timed(
                lambda: charlie.journal().graph.period(
                    rng.choice([2022, 2023, 2024]), rng.randint(1, 12)
                ),
                months,
            )
        print(f"period view (one month)                  {percentiles(months)}")
    finally:
        charlie.close()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
