"""Typing latency in the editor: keystroke to screen, drafts on vs off, with N entries.

Run ``.venv/bin/python bench/typing_latency.py [--entries 10000] [--keys 240] [--rounds 2]``
(``--entries 100000`` measures a 100,000-entry journal). It
uses a fresh data directory under /tmp (removed at the end) with default settings, so
every write is fsynced (``appendfsync always``), and prints figures; nothing is asserted.

1. Seeding: N entries (~3 years, bodies of 50-2,000 chars) written in batches of 500
   straight into the journal's graph, as an import would, so a 10,000-entry journal
   takes seconds instead of minutes of one-by-one saves.
2. Typing: the real app (``CharlieApp(charlie).run_test(headless=True)``, Textual's Pilot)
   on the real embedded database; ``n`` opens the editor and K keys are typed into the
   body at a typist's pace (30-120 ms apart), with a pause of about ``draft_seconds``
   every 12 keys, so that with drafts on the next key lands while the draft is being
   written (the case the target is about). One keystroke's latency runs from
   ``pilot.press(key)`` to the TextArea's text containing the key, polled with bare
   event-loop yields (the rest of ``pilot.press``, which waits for the app to go idle,
   is not counted). Rounds alternate drafts on (``draft_seconds`` default) and off
   (``draft_seconds = 0``) with a fresh app each, Escape saving the entry at the end.
   "draft writes" counts the draft events on the database's change channel during the
   on rounds (0 would mean the editor keeps no drafts).

Target: no measurable difference at p95 (a draft write never makes typing wait).
``--quick`` is the CI smoke test: 200 entries, 24 keys, one round of each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.widgets import TextArea  # noqa: E402

from backend.jobs.keys import EVENTS  # noqa: E402
from backend.models import content_hash, to_epoch_and_offset  # noqa: E402
from backend.root import Charlie  # noqa: E402
from backend.settings import Settings  # noqa: E402
from ui.app import CharlieApp  # noqa: E402
from ui.screens.editor import EditorScreen  # noqa: E402
from ui.widgets.entry_list import EntryList  # noqa: E402

WORDS = (
    "morning coffee walked lake Sam rain office meeting call mother garden book read "
    "train late tired happy dinner Lisbon project deadline ran park dog music quiet"
).split()
KEYS = "the quick brown fox jumps over a lazy dog while rain falls on the lake "
PAUSE_EVERY = 12
"""Keys between two pauses long enough for a draft to be written."""
WAIT_LIMIT = 30.0
"""Seconds any one wait may take before the benchmark gives up."""


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def seed(charlie: Charlie, n: int, rng: random.Random) -> float:
    """Write n entries in batches of 500 (each one transaction); seconds taken."""
    started = time.perf_counter()
    journal = charlie.journals.get()
    graph = charlie.backend.store.graph(journal)
    end = datetime.now(UTC)
    span = 3 * 365 * 86400
    rows: list[dict[str, Any]] = []
    for i in range(n):
        size = int(math.exp(rng.uniform(math.log(50), math.log(2000))))
        body = " ".join(rng.choice(WORDS) for _ in range(size // 5))[:size]
        title = " ".join(rng.choices(WORDS, k=rng.randint(1, 4))).capitalize()
        epoch, offset = to_epoch_and_offset(end - timedelta(seconds=rng.randrange(span)))
        rows.append(
            {
                "id": f"{i:032x}",
                "title": title,
                "body": body,
                "entry_at": epoch,
                "utc_offset": offset,
                "created_at": epoch * 1000,
                "updated_at": epoch * 1000,
                "source": "bench",
                "content_hash": content_hash(title, body),
            }
        )
        if len(rows) == 500 or i == n - 1:
            graph.query("UNWIND $rows AS r CREATE (e:Episode) SET e = r", {"rows": rows})
            rows = []
    return time.perf_counter() - started


async def wait(pilot: Any, condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await pilot.pause(0.01)


async def type_round(
    charlie: Charlie, keys: int, pause: float, rng: random.Random
) -> tuple[list[float], list[float]]:
    """One fresh app: open the editor, type ``keys`` keys, save. Each key's latency, and
    those of the keys typed right after a pause (when a draft is being written)."""
    app = CharlieApp(charlie)
    app.animation_level = "none"
    latencies: list[float] = []
    after_pause: list[float] = []
    async with app.run_test(headless=True, size=(100, 32)) as pilot:
        home_list = app.screen_stack[0].query_one(EntryList)
        await wait(pilot, lambda: home_list.option_count > 0 and not home_list.loading, "home")
        await pilot.press("n")

        def body() -> TextArea | None:
            screen = app.screen
            if isinstance(screen, EditorScreen):
                area = screen.query_one("#editor-body", TextArea)
                return area if area.has_focus else None
            return None

        await wait(pilot, lambda: body() is not None, "the editor")
        area = body()
        assert area is not None
        for n in range(keys):
            char = KEYS[n % len(KEYS)]
            before = len(area.text)
            started = time.perf_counter()
            press = asyncio.create_task(pilot.press("space" if char == " " else char))
            # Bare yields, no sleeps: the app handles the key in this same event loop.
            while len(area.text) == before and not press.done():
                await asyncio.sleep(0)
            while len(area.text) == before:  # press returned first: it cannot be long now
                await asyncio.sleep(0)
            latencies.append(time.perf_counter() - started)
            if n and n % PAUSE_EVERY == 0:
                after_pause.append(latencies[-1])
            await press
            if not area.text.endswith(char):
                raise RuntimeError(f"typed {char!r}, the editor shows {area.text[-5:]!r}")
            if (n + 1) % PAUSE_EVERY == 0:
                # About when the editor writes its draft: the next key meets the write.
                await asyncio.sleep(pause + rng.uniform(0.0, 0.25))
            else:
                await asyncio.sleep(rng.uniform(0.03, 0.12))
        await pilot.press("escape")
        await wait(pilot, lambda: app.screen is app.screen_stack[0], "the save")
    return latencies, after_pause


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (the app runs in it) in MB."""
    line = next(ln for ln in open("/proc/self/status") if ln.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def draft_writes(pubsub: Any) -> int:
    """Draft saves heard on the change channel since the last call."""
    count = 0
    while (message := pubsub.get_message(timeout=0.05)) is not None:
        if message["type"] == "message":
            event = json.loads(message["data"])
            count += event.get("event") == "draft" and event.get("action") == "saved"
    return count


def run(n: int, keys: int, rounds: int, root: Path) -> None:
    settings = Settings(data_dir=root / "data", config_file=root / "none.toml")
    on_seconds = settings.draft_seconds
    print(f"Charlie typing benchmark: {n:,} entries, {keys} keys per round, data under {root}\n")
    charlie = Charlie.open(settings)
    client = charlie.backend.broker.client
    pubsub = client.pubsub()
    try:
        took = seed(charlie, n, random.Random(42))
        fsync = client.config_get("appendfsync")["appendfsync"]
        print(f"1. Seeding {n:,} entries in batches of 500: {took:.1f} s (appendfsync {fsync})\n")
        pubsub.subscribe(EVENTS)
        draft_writes(pubsub)  # The subscription's own confirmation.
        samples: dict[bool, list[float]] = {True: [], False: []}
        paused: dict[bool, list[float]] = {True: [], False: []}
        drafted = 0
        rng = random.Random(7)
        each = f"{rounds} round{'s' if rounds != 1 else ''} of each"
        print(f"2. Typing into the editor, keystroke to text on screen ({each})")
        for round_no in range(rounds):
            for drafts_on in (True, False):
                drafts = settings.with_changes(draft_seconds=on_seconds if drafts_on else 0.0)
                charlie.backend.settings = drafts  # What charlie.settings and the app read.
                got, after = asyncio.run(type_round(charlie, keys, on_seconds, rng))
                samples[drafts_on] += got
                paused[drafts_on] += after
                written = draft_writes(pubsub)
                drafted += written if drafts_on else 0
                label = "on " if drafts_on else "off"
                print(
                    f"   round {round_no + 1} drafts {label}  p50 {ms(pct(got, 50))}  "
                    f"p95 {ms(pct(got, 95))}  max {ms(max(got))}  ({written} draft writes)"
                )
    finally:
        pubsub.close()
        charlie.close()
    on, off = samples[True], samples[False]
    print("\nSummary")
    print(
        f"  drafts on  (draft_seconds {on_seconds:g})  p50 {ms(pct(on, 50))}  "
        f"p95 {ms(pct(on, 95))}  ({len(on)} keys)"
    )
    print(
        f"  drafts off (draft_seconds 0)    p50 {ms(pct(off, 50))}  "
        f"p95 {ms(pct(off, 95))}  ({len(off)} keys)"
    )
    print(f"  draft writes while typing (on)  {drafted}")
    print(f"  process RSS (app + benchmark)   {rss_mb():.1f} MB (peak {rss_mb('VmHWM'):.1f} MB)")
    for drafts_on in (True, False):
        after = paused[drafts_on]
        print(
            f"  first key after a pause, drafts {'on ' if drafts_on else 'off'}  "
            f"p50 {ms(pct(after, 50))}  max {ms(max(after))}  ({len(after)} keys)"
        )
    print(
        f"  ratio on/off  p50 {pct(on, 50) / pct(off, 50):.2f}x  "
        f"p95 {pct(on, 95) / pct(off, 95):.2f}x  (target: no measurable difference at p95)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000, help="entries in the journal")
    parser.add_argument("--keys", type=int, default=240, help="keys typed per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each (alternating)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    args = parser.parse_args()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        parser.set_defaults(entries=200, keys=24, rounds=1)
        args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cb-typing-", dir="/tmp"))
    try:
        run(max(1, args.entries), max(1, args.keys), max(1, args.rounds), root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
