"""Knowledge-graph benchmark: entity page, search and reader latency at scale.

Run ``.venv/bin/python bench/graph.py [--entries 10000] [--entities 5000] [--compare 10000]``
(``--entries 100000`` measures a 100,000-entry journal; one of ``--compare`` entries is
measured first, and a summary puts the two side by side, with the redis-server's RSS).
It builds a
journal in a fresh data directory under /tmp (removed at the end): N entries over ~3
years, each mentioning 3-8 of E entities (a Zipf-like spread, so a few people appear in
thousands of entries, like a partner or "I", and most in a handful), with quotes and a
relationship per entry, written through the same enrichment write the worker uses
(``queue_enrichment``), so the graph has the real shape and indexes. Then it times, with
p50/p95/max over many calls:

- ``graph.entity(id)`` (the entity page: quotes, first/last, appears-with, relations) for
  random entities, and separately for the most mentioned one and the 10 most mentioned
  (the worst case), and the most mentioned one right after a new entry mentioning it
  is written (the page keeps hints of where its time windows start, never results; the
  run checks the new entry and count are on the page); ``graph.entities(limit=10)``
  (the top 10);
- ``graph.search(prefix)`` as the user types 2-6 letters of a word or a name (target
  p95 <= 20 ms at 10,000 entries), the same with a filter (``tag:``, ``starred``,
  ``after:``), and filters alone (newest first);
- ``graph.entry_entities(id)`` (the reader's sidebar) and ``graph.period(y, m)`` (the
  month view; beside it the query it ran before, on the same months, and how much a
  month holds: the month view's work grows with a month, and this journal's 3 years
  make 10x the entries 10x a month);
- the time views (``journal().time``): filling in word counts once (the journal is
  written without them), a calendar year (days, streaks, words per week), on this day,
  and stats.

Each call goes through ``charlie.journal().graph`` as the screens' workers do, so the
journal lookup is in the figures.

Baseline: a bare ``GRAPH.RO_QUERY`` fetching one entity by its indexed id on the same
server, so the ratios show what the views add over one round trip. Target: p95 <= 50 ms.
Nothing is asserted; it prints figures. ``--quick`` is the CI smoke test: 200 entries
(compared with 100), 100 entities, 20 calls per view.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.graph import views as graph_views  # noqa: E402
from backend.graph.cypher import Graph  # noqa: E402
from backend.graph.enrich import Mention, Plan, queue_enrichment  # noqa: E402
from backend.graph.extractor import ENTITY_TYPES  # noqa: E402
from backend.graph.folding import with_folded  # noqa: E402
from backend.graph.schema import graph_key  # noqa: E402
from backend.graph.words import fill_missing  # noqa: E402
from backend.models import EntityRef, content_hash, to_epoch_and_offset  # noqa: E402
from backend.root import Charlie  # noqa: E402
from backend.services.time import counts_in, streaks_of, weeks_in  # noqa: E402
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
                # Tags and stars as the store keeps them: one entry in 50 is "work",
                # one in 97 starred.
                "tags": ["work"] if n % 50 == 0 else [],
                "starred": n % 97 == 0,
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
                    # The same node create_episodes writes: its folded words and week
                    # (graph/folding.py) and the label search's index is on.
                    *graph.command(
                        "UNWIND $rows AS r CREATE (e:Episode:Searchable) SET e = r",
                        {"rows": [with_folded(row) for row in batch]},
                    )
                )
                for _, planned in ids[-len(batch) :]:
                    queue_enrichment(pipe, journal.id, planned)
                pipe.execute()
            batch = []
    assert graph_key(journal.id) == graph.key
    return [entry_id for entry_id, _ in ids]


def _write_mention(charlie: Charlie, ref: EntityRef, n: int) -> str:
    """Write a new newest entry mentioning ``ref`` the way the worker commits (the
    enrichment write); returns its id."""
    journal = charlie.journals.get()
    entry = charlie.journal().entries.add(f"Saw {ref.name} today ({n}).", title="after a write")
    plan = Plan(
        entry.id,
        entry.content_hash,
        [Mention(ref.id, ref.type, ref.name.casefold(), ref.name, [ref.name])],
        [],
        [],
    )
    with charlie.backend.broker.client.pipeline(transaction=True) as pipe:
        queue_enrichment(pipe, journal.id, plan)
        pipe.execute()
    return entry.id


def server_rss(charlie: Charlie) -> float:
    """The redis-server's resident memory in MB (from /proc)."""
    pid = charlie.backend.broker.client.info("server")["process_id"]
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(ln for ln in status.splitlines() if ln.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def measure(entries: int, entities: int, calls: int) -> dict[str, list[float] | float]:
    """Build a journal of ``entries`` and time every view on it (see the docstring)."""
    rng = random.Random(7)
    data = Path(tempfile.mkdtemp(prefix="charlie-bench-graph-"))
    settings = Settings(data_dir=data, config_file=data / "none.toml", appendfsync="everysec")
    charlie = Charlie.open(settings)
    out: dict[str, list[float] | float] = {}
    try:
        started = time.perf_counter()
        entry_ids = build(charlie, entries, entities, rng)
        out["built"] = time.perf_counter() - started
        graph = charlie.backend.store.graph(charlie.journals.get())
        counts = graph.read("MATCH (n:Entity) RETURN count(n)")[0][0]
        mentions = graph.read("MATCH ()-[m:MENTIONS]->() RETURN count(m)")[0][0]
        print(
            f"built {len(entry_ids):,} entries, {counts:,} entities, {mentions:,} mentions "
            f"in {out['built']:.1f} s"
        )
        out["rss"] = server_rss(charlie)
        print(f"redis-server RSS                          {out['rss']:.1f} MB")
        refs = charlie.journal().graph.entities(limit=100_000)
        top = refs[:10]
        print(
            f"most mentioned: {top[0].name} in {top[0].count:,} entries; "
            f"median entity in {refs[len(refs) // 2].count}"
        )

        def series(key: str, label: str, runs: list[float]) -> None:
            out[key] = runs
            ratio = statistics.median(runs) / statistics.median(base) if key != "base" else 1
            extra = f"  (p50 x{ratio:.1f} baseline)" if key != "base" else ""
            print(f"{label:<41} {percentiles(runs)}{extra}")

        base: list[float] = []
        for _ in range(calls):
            ref = rng.choice(refs)
            timed(
                lambda r=ref: graph.read("MATCH (n:Entity {id: $id}) RETURN n.name", {"id": r.id}),
                base,
            )
        series("base", "baseline (entity by id, one round trip)", base)

        page: list[float] = []
        for _ in range(calls):
            ref = rng.choice(refs)
            timed(lambda r=ref: charlie.journal().graph.entity(r.id), page)
        series("page", "entity page, random entity", page)
        most: list[float] = []
        for _ in range(max(5, calls // 10)):
            timed(lambda: charlie.journal().graph.entity(top[0].id), most)
        series("most", f"entity page, the most mentioned ({top[0].count:,})", most)
        # The page keeps hints of where its windows start (never results): right after
        # an entry mentioning the most mentioned one is written, the page must show it.
        written: list[float] = []
        for n in range(max(3, calls // 40)):
            fresh = _write_mention(charlie, top[0], n)
            timed(lambda: charlie.journal().graph.entity(top[0].id), written)
            page = charlie.journal().graph.entity(top[0].id)
            newest = {m.entry_id for m in page.mentions[: n + 1]}  # written within a second
            assert fresh in newest and page.mention_count == top[0].count + n + 1
        series("written", "entity page, most mentioned, after a write", written)
        worst: list[float] = []
        for _ in range(max(3, calls // 20)):
            for ref in top:
                timed(lambda r=ref: charlie.journal().graph.entity(r.id), worst)
        series("worst", "entity page, 10 most mentioned", worst)
        listed: list[float] = []
        for _ in range(max(5, calls // 10)):
            timed(lambda: charlie.journal().graph.entities(limit=10), listed)
        series("top10", "top-10 entities (entities(limit=10))", listed)

        search: list[float] = []
        for _ in range(calls):
            word = rng.choice([rng.choice(WORDS), rng.choice(refs).name.split()[0].lower()])
            prefix = word[: rng.randint(2, max(2, min(6, len(word))))]
            timed(lambda p=prefix: charlie.journal().graph.search(p), search)
        series("search", "search as you type (2-6 letters)", search)
        letters: list[float] = []
        for _ in range(calls // 4):
            timed(
                lambda: charlie.journal().graph.search(rng.choice(string.ascii_lowercase) * 2),
                letters,
            )
        series("letters", "search, two same letters", letters)
        # The same prefixes with a filter, and filters alone (newest first), as typed in
        # the search box: tag:, starred, after:, person: (one of the 50 most mentioned).
        filtered: list[float] = []
        alone: list[float] = []
        for _ in range(calls // 2):
            word = rng.choice(WORDS)
            prefix = word[: rng.randint(2, max(2, min(6, len(word))))]
            extra = rng.choice(["tag:work", "starred", "after:2024-01-01"])
            timed(lambda q=f"{prefix} {extra}": charlie.journal().graph.search(q), filtered)
            person = rng.choice(refs[:50]).name
            only = rng.choice(["tag:work", "starred", "after:2024-06-01", f'person:"{person}"'])
            timed(lambda q=only: charlie.journal().graph.search(q), alone)
        series("filtered", "search, words and a filter", filtered)
        series("alone", "search, filters alone", alone)

        sidebar: list[float] = []
        for _ in range(calls):
            entry_id = rng.choice(entry_ids)
            timed(lambda e=entry_id: charlie.journal().graph.entry_entities(e), sidebar)
        series("sidebar", "reader sidebar (entry_entities)", sidebar)
        # The month view's work grows with what one month holds, not with the journal:
        # this journal spreads its entries over 3 years, so 10x the entries is 10x a
        # month. The query it used before (count(DISTINCT e), every entity's name read
        # and sorted) runs on the same months, as the measure of what the ranking saves.
        picked = [
            (rng.choice([2022, 2023, 2024]), rng.randint(1, 12)) for _ in range(max(5, calls // 10))
        ]
        months: list[float] = []
        for year, month in picked:
            timed(lambda y=year, m=month: charlie.journal().graph.period(y, m), months)
        series("month", "period view (one month)", months)
        before: list[float] = []
        for year, month in picked:
            timed(lambda y=year, m=month: _old_period(graph, y, m), before)
        series("month_old", "period view, query before (same months)", before)
        # The same view over a stretch holding what a month of a 10,000-entry journal
        # does (3 days here at 100,000): the figure to set beside the smaller journal's.
        span = timedelta(days=30.4 * min(1.0, 10_000 / entries))
        density: list[float] = []
        for year, month in picked:
            start = datetime(year, month, 1, tzinfo=UTC)
            timed(lambda s=start: graph_views.period(graph, s, s + span), density)
        series("month_dense", "period view, a 10,000-journal month", density)
        held = graph.read(
            "MATCH (e:Episode) WHERE e.entry_at >= $s AND e.entry_at < $e "
            "OPTIONAL MATCH (e)-[m:MENTIONS]->() RETURN count(DISTINCT e), count(m)",
            _month_bounds(2023, 5),
        )[0]
        print(f"  (a month holds about {held[0]:,} entries and {held[1]:,} mentions)")

        # The time views (backend/graph/time_views.py). This journal was written without
        # word counts, as one from before them: they are counted once, here.
        started = time.perf_counter()
        filled = fill_missing(graph)
        out["words_fill"] = time.perf_counter() - started
        print(f"word counts filled once: {filled:,} entries in {out['words_fill']:.1f} s")
        today = date(2024, 6, 30)
        calendar: list[float] = []
        for _ in range(max(5, calls // 10)):
            year = rng.choice([2022, 2023, 2024])
            timed(lambda y=year: _calendar_year(charlie, y, today), calendar)
        series("calendar", "calendar (all days, streaks, words)", calendar)
        back: list[float] = []
        for _ in range(max(5, calls // 10)):
            day = today - timedelta(days=rng.randrange(365))
            timed(lambda d=day: charlie.journal().time.on_this_day(d), back)
        series("onthisday", "on this day", back)
        totals: list[float] = []
        for _ in range(max(3, calls // 40)):
            moment = datetime(2024, rng.randint(1, 12), 15, tzinfo=UTC)
            timed(lambda m=moment: charlie.journal().time.stats(now=m), totals)
        series("stats", "stats (totals, streaks, top names)", totals)
    finally:
        charlie.close()
        shutil.rmtree(data, ignore_errors=True)
    return out


def _calendar_year(charlie: Charlie, year: int, today: date) -> None:
    """What the calendar screen reads and works out for a year (ui/screens/calendar.py)."""
    totals = charlie.journal().time.journal_days()
    counts_in(totals, year)
    weeks_in(totals, year)
    streaks_of(totals, today)


def _month_bounds(year: int, month: int) -> dict[str, int]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return {"s": int(start.timestamp()), "e": int(end.timestamp())}


def _old_period(graph: Graph, year: int, month: int) -> None:
    """The month view's two queries as they were before time_views.ranked_mentions."""
    bounds = _month_bounds(year, month)
    graph.read(
        "MATCH (e:Episode) WHERE e.entry_at >= $s AND e.entry_at < $e RETURN count(e)", bounds
    )
    graph.read(
        "MATCH (e:Episode) WHERE e.entry_at >= $s AND e.entry_at < $e "
        "MATCH (e)-[:MENTIONS]->(n) WITH n, count(DISTINCT e) AS c "
        "WITH n, c, n.name AS name ORDER BY c DESC, name RETURN n.id, name, n.type, c",
        bounds,
    )


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--compare", type=int, default=10_000, help="a smaller journal beside it")
    parser.add_argument("--entities", type=int, default=5_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        parser.set_defaults(entries=200, compare=100, entities=100, calls=20)
        args = parser.parse_args()
    sizes = [args.compare, args.entries] if 0 < args.compare < args.entries else [args.entries]
    runs = []
    for n in sizes:
        print(f"-- {n:,} entries, {args.entities:,} entities")
        runs.append(measure(n, args.entities, args.calls))
        print()
    print("Summary (p95)" + "".join(f"{f'{n:,} entries':>18}" for n in sizes))
    for key, label in (
        ("base", "baseline"),
        ("page", "entity page"),
        ("most", "most mentioned"),
        ("written", "  after a write"),
        ("top10", "top-10 entities"),
        ("search", "search as you type"),
        ("filtered", "  with a filter"),
        ("alone", "  filters alone"),
        ("sidebar", "reader sidebar"),
        ("month", "month view"),
        ("month_old", "  the query before"),
        ("month_dense", "  10k-journal month"),
        ("calendar", "calendar"),
        ("onthisday", "on this day"),
        ("stats", "stats"),
    ):
        print(f"  {label:<19}" + "".join(f"{p95(r[key]):>15.2f} ms" for r in runs))  # type: ignore[arg-type]
    print(f"  {'redis-server RSS':<19}" + "".join(f"{r['rss']:>15.1f} MB" for r in runs))
    print(f"  {'built in':<19}" + "".join(f"{r['built']:>16.1f} s" for r in runs))


if __name__ == "__main__":
    main()
