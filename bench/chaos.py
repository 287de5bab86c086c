"""Charlie's chaos benchmark: SIGKILL owners, servers, workers and CLI commands while
CLI writers save entries in parallel, then check that nothing acknowledged went wrong.

Run ``.venv/bin/python bench/chaos.py [--kills N] [--writers K] [--seed S] [--quick]``.
It prints figures; it exits non-zero if a guarantee broke (the figures say which, the
lines after them say what and when, and the data directory is kept). ``--quick`` is the
CI smoke test: a handful of kills and two writers.

One private data directory (0700) is shared by:

- K writer loops, each running ``charlie.py new --id-key KEY "BODY"`` one after another.
  A command that fails or is killed runs again with the same key until it is
  acknowledged (exit 0 and the entry id printed); the key makes a retry safe.
- Now and then ``charlie list --limit 5``, ``charlie backup`` or ``charlie import files``
  of a fresh folder of 2-3 text files (retried until acknowledged, like a write), so
  short CLI owners come and go.
- One long-lived owner, started again a moment after each death: sometimes
  ``charlie serve``, sometimes the app stand-in (``bench/chaos.py --app``, see
  ``app_stand_in``).
- A killer that every 0.2-1 s (seeded) SIGKILLs one victim: the long-lived owner (app
  or serve), a short CLI owner (a command holding ``charlie.lock``), a writer
  mid-command (a client), the redis-server, or the worker. A worker is killed only once
  it has lived 2 s, so its supervisor sees work done between deaths: killed before it
  can finish anything it is a crash loop, which the supervisor gives up on by design.
  A body whose commands were killed 3 times is spared from then on (its commands and,
  while one of them owns the data dir, its server), so "stranded" measures Charlie.
- A sampler that counts the data directory's live redis-servers every few ms.

Then the load stops, the writers finish the entry in hand, the long-lived owner is
stopped cleanly, a fresh ``charlie serve`` drains the queue and the journal is read.
Figures that must be 0: acknowledged-lost (an acknowledged body not in the journal, or
stored under another id than the one printed), duplicated (a body stored twice),
stranded clients (commands that hung past 60 s, and bodies still not acknowledged after
120 s of retries), orphan processes (any process of this data directory still alive
once every owner exited), jobs not done (an acknowledged entry whose enrichment job did
not end ``done``). Most servers at once must be 1 (a child a server forks to write a
backup's snapshot or rewrite its append-only file is that server, not a second one).
The other figures (the kill mix, who owned the data dir for how long, commands that
failed without being killed, long-lived owners that exited by themselves, latency)
describe the run. The extractor is the default, offline ``rules``. Every process runs
this checkout's ``charlie.py``; ``<tmp>/chaos.log`` records each kill, failure and
acknowledgement, and ``--keep`` keeps it with the data dir even when all is well.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.broker.handoff import read_handoff  # noqa: E402
from backend.broker.paths import Paths  # noqa: E402
from backend.broker.processes import process_cmdline, process_start_ticks  # noqa: E402
from backend.settings import Settings  # noqa: E402

HANG_SECONDS = 60.0
"""A command running longer than this is stranded: it is killed and counted."""
ACK_SECONDS = 120.0
"""A body not acknowledged this long after its first try is stranded."""
WORKER_MIN_AGE = 2.0
PROTECT_AFTER = 3
"""After this many kills of one body's commands, the bench spares its next ones: else a
slow command (an import takes a backup first) can be killed every time, and a body that
never gets through would measure the killer, not Charlie."""
PICKS = 15
SAMPLE_SECONDS = 0.003
OWNER_SAMPLE_SECONDS = 0.05
START_SECONDS = 60.0
DRAIN_SECONDS = 300.0
STOP_SECONDS = 60.0
ORPHAN_SECONDS = 15.0
APP_POLL_SECONDS = 0.5
PROGRESS_SECONDS = 10.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

# How often each kind of victim is picked (when there is one to kill).
VICTIMS = {"long": 2.0, "cli": 2.0, "writer": 1.0, "server": 2.0, "worker": 2.0}
LABELS = ("app", "serve", "cli", "writer", "server", "worker")

TOKEN = re.compile(r"\((c[wi]\d+x\d+)\)")
ENTRY_ID = re.compile(r"^[0-9a-f]{16}$")
SENTENCES = [
    "Lunch with Ada Lovelace at the Harbour Café, then we went hiking.",
    "Called Mom about the trip to Lisbon; my sister joins us in May.",
    "Chess at the book club with Kai and Dr. Lee, who won twice.",
    "Rain all day. Read in the library near Victoria Park.",
    "Started swimming again with the Tuesday choir crowd at Marlow Pool.",
    "Coffee with Priya Raman in Oxford; we talked about her new job.",
    "Walked to the market with Grandpa and bought far too many plums.",
    "Harbor team offsite in Bristol: long meetings, good dinner with Sam.",
]


@dataclass
class Write:
    """One body a writer (or an import) saves, retried until acknowledged."""

    token: str
    """The unique mark in the body, as ``(cw1x7)``: how it is found in the journal."""
    how: str
    """``new`` or ``import``."""
    first_try: float
    attempts: int = 0
    kills: int = 0
    """How many of its commands the bench killed."""
    acked_at: float | None = None
    entry_id: str = ""
    """The id ``charlie new`` printed (imports print none)."""
    failures: list[str] = field(default_factory=list)
    stranded: str = ""
    """Why it was never acknowledged (empty if it was)."""


@dataclass
class Proc:
    """A process the bench started and may kill."""

    kind: str
    """``new``, ``list``, ``backup``, ``import``, ``app`` or ``serve``."""
    proc: subprocess.Popen[str]
    started: float
    log: Path | None = None
    killed: bool = False
    not_before: float = 0.0
    """When the killer may pick it (the long-lived owner)."""
    spared: bool = False
    """Never picked, nor its server (a command whose body was killed PROTECT_AFTER times)."""


@dataclass
class Outcome:
    pid: int
    code: int | None
    """The exit code; None if it hung and the bench killed it."""
    out: str
    err: str
    seconds: float


def servers_on(conf: Path) -> list[int]:
    """``backend.broker.processes.find_servers`` with the same test, at a third of the cost: the
    sampler runs it every few ms on a two-core machine, so it reads raw bytes and looks
    further only at redis-servers."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                first = handle.read().partition(b"\0")[0]
        except OSError:
            continue
        if b"redis-server" in first and runs_on(conf, int(name)):
            found.append(int(name))
    return found


def runs_on(conf: Path, pid: int) -> bool:
    """Whether a live redis-server runs on ``conf``: named on its command line, or
    working in its directory (the test find_servers makes)."""
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        cwd = ""
    ours = str(conf) in process_cmdline(pid)[1:] or cwd == str(conf.parent)
    return ours and process_start_ticks(pid) is not None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def age_of(pid: int) -> float:
    ticks = process_start_ticks(pid)
    if ticks is None:
        return 0.0
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - ticks / CLK_TCK


class Chaos:
    def __init__(self, args: argparse.Namespace, base: Path) -> None:
        self.args = args
        self.base = base
        self.data_dir = base / "data"
        self.paths = Paths(self.data_dir)
        self.settings = Settings(data_dir=self.data_dir, config_file=base / "config.toml")
        # The children get exactly this data dir and config and the default extractor.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CHARLIE_")}
        self.env["CHARLIE_DATA_DIR"] = str(self.data_dir)
        self.env["CHARLIE_CONFIG_FILE"] = str(self.settings.config_file)
        (base / "logs").mkdir()
        self.log_file = open(base / "chaos.log", "a", encoding="utf-8")  # noqa: SIM115
        self.t0 = time.monotonic()
        self.stop_load = threading.Event()
        self.killing = threading.Event()
        self.stop_kills = threading.Event()
        self.stop_sampler = threading.Event()
        self.lock = threading.RLock()
        self.running: dict[int, Proc] = {}
        self.long: Proc | None = None
        self.long_count = 0
        self.writes: list[Write] = []
        self.kills: Counter[str] = Counter()
        self.slot_kills: Counter[str] = Counter()
        self.kill_log: list[tuple[float, str, int, str]] = []
        self.commands: Counter[tuple[str, str]] = Counter()
        self.failures: list[str] = []
        self.latencies: list[float] = []
        self.hung: list[str] = []
        self.unexpected: list[str] = []
        self.most_servers = 0
        self.crowds: list[str] = []
        self.forks: set[int] = set()
        self.owner_time: Counter[str] = Counter()
        self.imports = 0
        self.orphans: list[str] = []

    # -- bookkeeping -----------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self.t0

    def note(self, line: str) -> None:
        with self.lock:
            self.log_file.write(f"{self.now():8.2f} {line}\n")
            self.log_file.flush()

    def count(self, kind: str, outcome: str) -> None:
        with self.lock:
            self.commands[(kind, outcome)] += 1

    # -- processes -----------------------------------------------------------------------

    def run(self, kind: str, argv: list[str], *, spared: bool = False) -> Outcome:
        """One CLI command, killed (and counted as hung) if it outlives HANG_SECONDS."""
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "charlie.py"), *argv],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with self.lock:
            self.running[proc.pid] = Proc(kind, proc, start, spared=spared)
        code: int | None
        try:
            out, err = proc.communicate(timeout=HANG_SECONDS)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            code = None
            what = f"{kind} pid {proc.pid} hung for {HANG_SECONDS:g} s ({' '.join(argv[:3])})"
            self.hung.append(what)
            self.note(f"HUNG {what}; stderr: {err.strip()[-2000:]}")
        finally:
            with self.lock:
                self.running.pop(proc.pid, None)
        return Outcome(proc.pid, code, out, err, time.monotonic() - start)

    def start_long(self, kind: str) -> Proc:
        """Start the long-lived owner: ``charlie serve`` or the app stand-in."""
        self.long_count += 1
        log = self.base / "logs" / f"long-{self.long_count:03d}-{kind}.log"
        script = ["charlie.py", "serve"] if kind == "serve" else ["bench/chaos.py", "--app"]
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.Popen(
                [sys.executable, *script],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.note(f"start {kind} pid {proc.pid} (log {log.name})")
        return Proc(kind, proc, time.monotonic(), log)

    def lock_holder(self) -> int | None:
        """The pid holding ``charlie.lock``: the owner, whatever process it is."""
        try:
            inode = os.stat(self.paths.lock).st_ino
            lines = Path("/proc/locks").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            parts = line.split()
            if len(parts) >= 6 and parts[1] == "FLOCK" and parts[3] == "WRITE":
                if parts[5].rsplit(":", 1)[-1] == str(inode):
                    return int(parts[4])
        return None

    def ours(self, pid: int) -> bool:
        """Whether a process runs on this data directory (by its CHARLIE_DATA_DIR)."""
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            return False
        return f"CHARLIE_DATA_DIR={self.data_dir}".encode() in environ

    def workers(self) -> list[int]:
        found = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            cmd = process_cmdline(int(name))
            if cmd[-2:] == ["-m", "backend.jobs.worker"]:  # As the supervisor starts one.
                if self.ours(int(name)):
                    found.append(int(name))
        return found

    # -- the load ------------------------------------------------------------------------

    def until_acked(
        self, kind: str, argv: list[str], writes: list[Write], accept: Callable[[str], bool]
    ) -> None:
        """Run a saving command until it is acknowledged or ACK_SECONDS have passed."""
        while True:
            spared = writes[0].kills >= PROTECT_AFTER
            outcome = self.run(kind, argv, spared=spared)
            for write in writes:
                write.attempts += 1
                write.kills += outcome.code == -signal.SIGKILL
            if outcome.code == 0 and accept(outcome.out):
                self.count(kind, "acknowledged")
                for write in writes:
                    write.acked_at = self.now()
                    if kind == "new":
                        write.entry_id = outcome.out.strip()
                if kind == "new":
                    self.latencies.append(outcome.seconds)
                tokens = " ".join(w.token for w in writes)
                self.note(f"ack {kind} {tokens} {outcome.out.strip().splitlines()[0]}")
                return
            why = self.failure(kind, outcome, " ".join(w.token for w in writes))
            for write in writes:
                write.failures.append(f"{self.now():.1f} s: {why}")
            if time.monotonic() - writes[0].first_try > ACK_SECONDS:
                for write in writes:
                    write.stranded = (
                        f"not acknowledged after {write.attempts} tries in {ACK_SECONDS:g} s; "
                        f"last: {why}"
                    )
                self.note(f"STRANDED {' '.join(w.token for w in writes)}: {why}")
                return
            time.sleep(0.05)  # A breath between tries, as a script would take.

    def failure(self, kind: str, outcome: Outcome, tokens: str = "") -> str:
        """Count a failed command by cause; note its stderr when the bench did not kill it."""
        if outcome.code == -signal.SIGKILL:
            self.count(kind, "killed by the bench")
            return "killed by the bench"
        if outcome.code is None:
            self.count(kind, "hung")
            return f"hung for {HANG_SECONDS:g} s"
        err = outcome.err
        if "Lost contact" in err:
            cause = "lost contact"
        elif "Could not attach" in err:
            cause = "could not attach"
        elif "does not match the handoff" in err:
            cause = "refused: broker id mismatch"
        elif outcome.code < 0:
            cause = f"died of {signal.Signals(-outcome.code).name}"
        else:
            cause = "other error"
        self.count(kind, cause)
        why = f"exit {outcome.code} ({cause}): {last_line(err) or last_line(outcome.out)}"
        self.failures.append(f"{self.now():.1f} s {kind}: {why}")
        self.note(f"FAIL {kind} pid {outcome.pid} {tokens} {why}\n{err.strip()[-3000:]}")
        return why

    def writer(self, n: int) -> None:
        rng = random.Random(f"{self.args.seed}/writer/{n}")
        i = 0
        while not self.stop_load.is_set():
            i += 1
            token = f"cw{n}x{i}"
            write = Write(token, "new", time.monotonic())
            with self.lock:
                self.writes.append(write)
            body = f"{rng.choice(SENTENCES)} ({token})"
            argv = ["new", "--id-key", f"chaos-{token}", body]
            self.until_acked("new", argv, [write], lambda out: bool(ENTRY_ID.match(out.strip())))

    def extras(self) -> None:
        """Short CLI owners of other kinds: list, backup, import."""
        rng = random.Random(f"{self.args.seed}/extras")
        low, high = self.args.extra_gap
        while not self.stop_load.wait(rng.uniform(low, high)):
            what = rng.choices(["list", "backup", "import"], weights=[5, 2, 3])[0]
            if what == "import":
                self.import_folder(rng)
                continue
            argv = ["list", "--limit", "5"] if what == "list" else ["backup"]
            outcome = self.run(what, argv)
            if outcome.code == 0:
                self.count(what, "ok")
            else:
                self.failure(what, outcome)

    def import_folder(self, rng: random.Random) -> None:
        self.imports += 1
        n = self.imports
        folder = self.base / "imports" / f"i{n}"
        folder.mkdir(parents=True)
        writes = []
        for j in range(rng.randint(2, 3)):
            token = f"ci{n}x{j}"
            (folder / f"note-{j}.txt").write_text(f"{rng.choice(SENTENCES)} ({token})\n")
            writes.append(Write(token, "import", time.monotonic()))
        with self.lock:
            self.writes.extend(writes)
        # An import that reports a rejected file did not save everything.
        self.until_acked(
            "import",
            ["import", "files", str(folder)],
            writes,
            lambda out: re.search(r"Rejected\s+0\b", out) is not None,
        )

    def keeper(self) -> None:
        """Keep one long-lived owner (serve or app) alive, restarting it after each death."""
        rng = random.Random(f"{self.args.seed}/keeper")
        while not self.stop_load.is_set():
            current = self.long
            if current is None or current.proc.poll() is not None:
                if current is not None:
                    if not current.killed:
                        assert current.log is not None
                        what = (
                            f"{current.kind} pid {current.proc.pid} exited by itself "
                            f"(code {current.proc.returncode}): "
                            f"{last_line(current.log.read_text(errors='replace'))}"
                        )
                        self.unexpected.append(what)
                        self.note(f"UNEXPECTED {what}")
                    if self.stop_load.wait(rng.uniform(0.2, 2.0)):
                        return
                fresh = self.start_long(rng.choice(["app", "serve"]))
                # Sometimes killed while it starts, mostly after it has owned a while, so
                # its supervisor, worker and server are in play too.
                fresh.not_before = fresh.started + rng.choice([0.3, 1.0, 3.0, 6.0, 10.0])
                self.long = fresh
            self.stop_load.wait(0.05)

    # -- the killer ----------------------------------------------------------------------

    def killer(self) -> None:
        rng = random.Random(self.args.seed)
        while sum(self.kills.values()) < self.args.kills:
            if self.stop_kills.wait(rng.uniform(0.2, 1.0)):
                return
            self.kill_one(rng)

    def kill_one(self, rng: random.Random) -> None:
        """Pick a kind of victim (weighted, favouring kinds killed less so far, so even a
        short run hits each) and kill one. A kind with nobody to kill right now (no CLI
        owns the data dir, the worker is young) is picked again a moment later; after
        1.5 s of misses any kind that has a victim will do (writers always have one)."""
        for _ in range(PICKS):
            weights = [w / (1 + self.slot_kills[v]) for v, w in VICTIMS.items()]
            slot = rng.choices(list(VICTIMS), weights=weights)[0]
            if self.kill_slot(slot, self.lock_holder(), rng):
                return
            if self.stop_kills.wait(0.1):
                return
        slots = list(VICTIMS)
        rng.shuffle(slots)
        for slot in slots:
            if self.kill_slot(slot, self.lock_holder(), rng):
                return

    def kill_slot(self, slot: str, owner: int | None, rng: random.Random) -> bool:
        """SIGKILL one victim of this kind; False if there is none right now."""
        if slot in ("long", "cli", "writer"):
            with self.lock:
                if slot == "long":
                    # Each long-lived owner gets a random time to live first (see keeper).
                    long = self.long
                    pool = (
                        [long] if long is not None and time.monotonic() >= long.not_before else []
                    )
                elif slot == "cli":
                    pool = [p for p in self.running.values() if p.proc.pid == owner]
                else:
                    pool = [
                        p for p in self.running.values() if p.kind == "new" and p.proc.pid != owner
                    ]
                pool = [p for p in pool if p.proc.returncode is None and not p.spared]
                if not pool:
                    return False
                victim = rng.choice(pool)
                victim.killed = True
                # send_signal() does nothing once the child has been reaped, so a
                # recycled pid is never hit.
                victim.proc.send_signal(signal.SIGKILL)
            self.slot_kills[slot] += 1
            label = victim.kind if slot == "long" else slot
            role = "owner" if victim.proc.pid == owner else "not owner"
            self.record_kill(label, victim.proc.pid, f"{victim.kind}, {role}")
            return True
        if slot == "server":
            handoff = read_handoff(self.paths.handoff)
            if handoff is None or owner is None or handoff.owner_pid != owner:
                return False
            with self.lock:
                spared = owner in self.running and self.running[owner].spared
            if spared:
                return False
            pid = handoff.redis_pid
            cmd = process_cmdline(pid)
            if not cmd or "redis-server" not in cmd[0]:
                return False
            detail = f"of owner {owner}"
        else:
            pids = [
                p for p in self.workers() if parent_of(p) == owner and age_of(p) >= WORKER_MIN_AGE
            ]
            if owner is None or not pids:
                return False
            pid = rng.choice(pids)
            detail = f"of owner {owner}, {age_of(pid):.1f} s old"
        if process_start_ticks(pid) is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            self.slot_kills[slot] += 1
            self.record_kill(slot, pid, detail)
            return True
        return False

    def record_kill(self, label: str, pid: int, detail: str) -> None:
        self.kills[label] += 1
        self.kill_log.append((self.now(), label, pid, detail))
        self.note(f"KILL {label} pid {pid} ({detail})")

    # -- the sampler -----------------------------------------------------------------------

    def sampler(self) -> None:
        """Count live servers every few ms (never two), and who owns the data dir."""
        last = time.monotonic()
        while not self.stop_sampler.is_set():
            found = servers_on(self.paths.conf)
            # A server forks a child (same command line) to write a snapshot for a backup
            # or to rewrite its append-only file; that child is the same server, not a
            # second one. A child whose server died (a leftover) does count.
            servers = [p for p in found if parent_of(p) not in found]
            if len(found) > len(servers):
                self.forks.update(set(found) - set(servers))
            if len(servers) > self.most_servers:
                self.most_servers = len(servers)
            if len(servers) > 1:
                described = ", ".join(f"{p} (parent {parent_of(p)})" for p in servers)
                self.crowds.append(f"{self.now():.2f} s: {described}")
                self.note(f"SERVERS {len(servers)} at once: {described}")
            now = time.monotonic()
            if now - last >= OWNER_SAMPLE_SECONDS:
                if self.killing.is_set() and not self.stop_kills.is_set():
                    self.owner_time[self.owner_label()] += now - last
                last = now
            self.stop_sampler.wait(SAMPLE_SECONDS)

    def owner_label(self) -> str:
        pid = self.lock_holder()
        if pid is None:
            return "none"
        long = self.long
        if long is not None and long.proc.pid == pid:
            return long.kind
        with self.lock:
            return "cli" if pid in self.running else "other"

    # -- the run ---------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], bool], what: str, timeout: float) -> bool:
        """Poll ``predicate`` (bounded); say what is awaited if it takes a while."""
        start = time.monotonic()
        said = start
        while not predicate():
            now = time.monotonic()
            if now - start > timeout:
                print(f"   gave up after {timeout:g} s waiting for {what}", flush=True)
                self.note(f"TIMEOUT waiting for {what}")
                return False
            if now - said > PROGRESS_SECONDS:
                print(f"   still waiting for {what} ({now - start:.0f} s)", flush=True)
                said = now
            time.sleep(0.05)
        return True

    def start_thread(self, target: Callable[..., None], *args: object) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        return thread

    def chaos(self) -> float:
        """The load and the killer; returns how long the killing took."""
        self.start_thread(self.sampler)
        keeper = self.start_thread(self.keeper)
        self.wait_for(
            lambda: read_handoff(self.paths.handoff) is not None,
            "the first owner to publish broker.json",
            START_SECONDS,
        )
        load = [self.start_thread(self.writer, n) for n in range(self.args.writers)]
        load.append(self.start_thread(self.extras))
        started = time.monotonic()
        self.killing.set()
        killer = self.start_thread(self.killer)
        killer.join()
        killing = time.monotonic() - started
        self.stop_kills.set()
        self.stop_load.set()
        keeper.join()
        # Each writer finishes the body in hand (its retries are bounded).
        self.wait_for(
            lambda: not any(t.is_alive() for t in load),
            "the writers to finish the entries in hand",
            ACK_SECONDS + HANG_SECONDS + 30,
        )
        return killing

    def stop_proc(self, proc: Proc, what: str) -> bool:
        """SIGTERM and wait; False (after a SIGKILL) if it did not stop in time."""
        if proc.proc.poll() is not None:
            return True
        proc.proc.terminate()
        try:
            proc.proc.wait(timeout=STOP_SECONDS)
            return True
        except subprocess.TimeoutExpired:
            self.unexpected.append(f"{what} pid {proc.proc.pid} ignored SIGTERM for 60 s")
            proc.proc.kill()
            proc.proc.wait()
            return False

    def settle(self) -> dict[str, object]:
        """Stop the long-lived owner, drain the queue under a fresh serve, read the journal."""
        from backend.errors import NotFoundError
        from backend.jobs.records import enrich_job_id
        from backend.root import Charlie

        if self.long is not None:
            self.stop_proc(self.long, f"the long-lived {self.long.kind}")
        final = self.start_long("serve")
        self.long = final
        assert final.log is not None
        log = final.log

        def serving() -> bool:
            return "charlie serving" in log.read_text(errors="replace")

        what = "the final charlie serve to own the data directory"
        self.wait_for(lambda: serving() or final.proc.poll() is not None, what, START_SECONDS)
        if not serving() or final.proc.poll() is not None:
            raise RuntimeError(f"the final serve did not start:\n{log.read_text()[-3000:]}")
        charlie = Charlie.open(self.settings, own=False)
        try:
            queue = charlie.queue

            def drained() -> bool:
                counts = queue.job_counts()
                return counts["queued"] + counts["running"] + counts["retry_wait"] == 0

            drain_start = time.monotonic()
            self.wait_for(drained, "the queue to drain", DRAIN_SECONDS)
            drain_seconds = time.monotonic() - drain_start
            counts = queue.job_counts()
            paused = queue.paused_reasons()
            supervisor = queue.supervisor() or {}
            journal = charlie.journal()
            ids: list[str] = []
            cursor = None
            while True:
                page = journal.entries.list(limit=500, before=cursor)
                ids.extend(e.id for e in page.entries)
                cursor = page.next_cursor
                if cursor is None:
                    break
            stored: dict[str, list[str]] = defaultdict(list)
            untokened = 0
            for entry_id in ids:
                tokens = TOKEN.findall(journal.entries.get(entry_id).body)
                untokened += not tokens
                for token in tokens:
                    stored[token].append(entry_id)
            jobs: dict[str, str] = {}
            for write in self.writes:
                for entry_id in stored.get(write.token, []):
                    try:
                        record = queue.get_job(enrich_job_id(journal.id, entry_id))
                    except NotFoundError:
                        record = None
                    jobs[entry_id] = (
                        "missing"
                        if record is None
                        else record.state
                        + (f" ({record.last_error[:200]})" if record.last_error else "")
                    )
        finally:
            charlie.close()
        stopped = self.stop_proc(final, "the final serve")
        return {
            "stored": stored,
            "entries": len(ids),
            "untokened": untokened,
            "jobs": jobs,
            "counts": counts,
            "paused": paused,
            "supervisor": supervisor,
            "drain_seconds": drain_seconds,
            "final stopped": stopped,
        }

    def data_dir_processes(self) -> list[str]:
        """Every live process of this data directory but the bench itself."""
        found = []
        me = os.getpid()
        data = str(self.data_dir)
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == me:
                continue
            pid = int(name)
            if process_start_ticks(pid) is None:
                continue  # Gone, or a zombie waiting to be reaped.
            cmd = process_cmdline(pid)
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                cwd = ""
            if data in " ".join(cmd) or cwd.startswith(data) or self.ours(pid):
                found.append(f"{pid} (parent {parent_of(pid)}): {' '.join(cmd)[:200]}")
        return found

    def cleanup(self) -> None:
        """Whatever happened, leave nothing of ours running."""
        self.stop_kills.set()
        self.stop_load.set()
        with self.lock:
            procs = [p.proc for p in self.running.values()]
        if self.long is not None:
            procs.append(self.long.proc)
        for proc in procs:
            with contextlib.suppress(OSError):
                proc.kill()
        for line in self.data_dir_processes():
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(line.split()[0]), signal.SIGKILL)
        self.stop_sampler.set()
        self.log_file.close()

    def report(self, killing: float, found: dict[str, object]) -> bool:
        stored: dict[str, list[str]] = found["stored"]  # type: ignore[assignment]
        jobs: dict[str, str] = found["jobs"]  # type: ignore[assignment]
        acked = [w for w in self.writes if w.acked_at is not None]
        lost: list[tuple[Write, str]] = []
        for write in acked:
            where = stored.get(write.token, [])
            if not where:
                lost.append((write, "not in the journal"))
            elif write.entry_id and write.entry_id not in where:
                lost.append((write, f"stored as {', '.join(where)}, not as {write.entry_id}"))
        duplicated = {t: ids for t, ids in stored.items() if len(ids) > 1}
        never = [w for w in self.writes if w.acked_at is None]
        stranded = len(self.hung) + len(never)
        not_done = {
            w.token: (entry_id, jobs.get(entry_id, "missing"))
            for w in acked
            for entry_id in stored.get(w.token, [])
            if not jobs.get(entry_id, "missing").startswith("done")
        }
        unacked_present = [w for w in never if w.token in stored]
        orphans = self.orphans
        total = sum(self.kills.values())
        elapsed = time.monotonic() - self.t0

        print(f"   kills: {total} ({', '.join(f'{k} {self.kills[k]}' for k in LABELS)})")
        print(f"   killing took {killing:.0f} s, one kill every {killing / max(total, 1):.2f} s")
        held = sum(self.owner_time.values()) or 1.0
        print(
            "   owner by time: "
            + ", ".join(
                f"{k} {self.owner_time[k] / held:.0%}"
                for k in ("app", "serve", "cli", "none", "other")
                if self.owner_time[k]
            )
        )
        new_counts = {c: n for (k, c), n in self.commands.items() if k == "new"}
        print(
            f"   writer commands: {sum(new_counts.values())} ("
            + ", ".join(f"{n} {c}" for c, n in sorted(new_counts.items(), key=lambda x: -x[1]))
            + ")"
        )
        for kind in ("list", "backup", "import"):
            counts = {c: n for (k, c), n in self.commands.items() if k == kind}
            if counts:
                print(
                    f"   {kind} commands: {sum(counts.values())} ("
                    + ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
                    + ")"
                )
        to_ack = [w.acked_at - (w.first_try - self.t0) for w in acked if w.acked_at is not None]
        print(
            f"   writer latency: p50 {percentile(self.latencies, 0.5) * 1000:.0f} ms, "
            f"p95 {percentile(self.latencies, 0.95) * 1000:.0f} ms per acknowledged command; "
            f"to acknowledgement with retries p50 {percentile(to_ack, 0.5):.2f} s, "
            f"p95 {percentile(to_ack, 0.95):.2f} s, max {max(to_ack, default=0):.1f} s"
        )
        print(f"   long-lived owners that exited by themselves: {len(self.unexpected)}")
        for line in self.unexpected[:10]:
            print(f"     {line}")
        supervisor: dict[str, object] = found["supervisor"]  # type: ignore[assignment]
        print(
            f"   settle: queue drained in {found['drain_seconds']:.1f} s under a fresh serve; "
            f"jobs {found['counts']}; paused {found['paused'] or 'no'}; "
            f"final supervisor gave up: {supervisor.get('gave_up') or 'no'}"
        )
        imported = sum(1 for w in acked if w.how == "import")
        spared = sum(1 for w in self.writes if w.kills >= PROTECT_AFTER)
        print(
            f"   bodies spared by the killer after {PROTECT_AFTER} kills of their commands: "
            f"{spared}"
        )
        print(
            f"   acknowledged: {len(acked)} ({len(acked) - imported} written, {imported} imported"
            f" in {self.imports} imports); journal holds {found['entries']} entries"
        )
        print(f"   acknowledged-lost: {len(lost)}")
        print(f"   duplicated: {len(duplicated)}")
        print(
            f"   stranded clients: {stranded} (hung {len(self.hung)}, "
            f"never acknowledged {len(never)}, of which in the journal {len(unacked_present)})"
        )
        print(f"   orphan processes: {len(orphans)}")
        print(
            f"   most servers at once: {self.most_servers} "
            f"(not counting {len(self.forks)} snapshot/rewrite children a server forked)"
        )
        print(f"   jobs not done: {len(not_done)}")
        print(f"   elapsed: {elapsed:.1f} s")

        broken = {
            "acknowledged-lost": len(lost),
            "duplicated": len(duplicated),
            "stranded clients": stranded,
            "orphan processes": len(orphans),
            "most servers at once": 0 if self.most_servers == 1 else self.most_servers,
            "jobs not done": len(not_done),
            "final serve ignored SIGTERM": 0 if found["final stopped"] else 1,
        }
        details: list[str] = []
        for write, why in lost[:20]:
            details.append(
                f"lost {write.token} ({write.how}, acknowledged at {write.acked_at:.2f} s "
                f"after {write.attempts} tries, id {write.entry_id or '-'}): {why}; "
                f"{self.kills_around(write.acked_at or 0.0)}"
            )
        for token, ids in list(duplicated.items())[:20]:
            details.append(f"duplicated {token}: entries {', '.join(ids)}")
        for what in self.hung[:20]:
            details.append(f"hung: {what}")
        for write in never[:20]:
            details.append(f"never acknowledged {write.token}: {write.stranded}")
        for line in orphans[:20]:
            details.append(f"orphan: {line}")
        for line in self.crowds[:20]:
            details.append(f"two servers: {line}")
        for token, (entry_id, state) in list(not_done.items())[:20]:
            details.append(f"job not done for {token} (entry {entry_id}): {state}")
        failed = [k for k, v in broken.items() if v]
        if details and (failed or self.args.verbose):
            print("   details:")
            for line in details:
                print(f"     {line}")
        if self.failures and (failed or self.args.verbose):
            print(f"   commands that failed without being killed ({len(self.failures)}):")
            for line in self.failures[:15]:
                print(f"     {line}")
        if failed:
            print(f"   FAILED: {', '.join(failed)}", file=sys.stderr)
        return not failed

    def kills_around(self, at: float) -> str:
        before = [k for k in self.kill_log if k[0] <= at][-2:]
        after = [k for k in self.kill_log if k[0] > at][:2]

        def show(kills: list[tuple[float, str, int, str]]) -> str:
            return "; ".join(f"{t:.2f} s {label} {pid} ({d})" for t, label, pid, d in kills)

        return f"kills before: {show(before) or 'none'}; after: {show(after) or 'none'}"

    def main(self) -> bool:
        print(
            f"Chaos: SIGKILLs of owners, servers, workers and CLI commands under "
            f"{self.args.writers} parallel CLI writers",
            flush=True,
        )
        print(f"   seed {self.args.seed}; data dir {self.data_dir}; log {self.log_file.name}")
        killing = self.chaos()
        found = self.settle()
        self.wait_for(
            lambda: not self.data_dir_processes(),
            "every process of the data directory to exit",
            ORPHAN_SECONDS,
        )
        self.orphans = self.data_dir_processes()
        self.stop_sampler.set()
        return self.report(killing, found)


def app_stand_in() -> int:
    """What ``charlie`` (the TUI) does about the broker, without the screens.

    ``tests.helpers.owner_proc`` runs no supervisor and calls the backend only when told,
    so it would neither run a worker nor ride through an owner change by itself. This
    follows ``run_tui`` (cli/tui.py): its OwnerRuntime takes the data directory or
    attaches to its owner, supervises a worker whenever this process owns (also after
    taking over) and takes the start-up backup; then it touches the queue twice a second
    as the live screens reconcile, so a departed owner is noticed and replaced. SIGTERM
    and SIGHUP end it cleanly, as they end the app.
    """
    from backend.broker.private import PRIVATE_UMASK
    from backend.errors import CharlieError
    from backend.runtime import OwnerRuntime
    from backend.settings import load_settings

    os.umask(PRIVATE_UMASK)
    runtime = OwnerRuntime(load_settings(), supervise=True, startup_backup=True)
    runtime.stop_on(signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
    with runtime:
        queue = runtime.charlie.queue
        print(f"app stand-in ready ({runtime.broker.role})", flush=True)
        while not runtime.stopping.wait(APP_POLL_SECONDS):
            try:
                queue.job_counts()
            except CharlieError as exc:
                print(f"app stand-in: {exc}", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=300, help="SIGKILLs in all (default 300)")
    parser.add_argument("--writers", type=int, default=3, help="parallel CLI writer loops")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--verbose", action="store_true", help="print details even if all is well")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and logs")
    parser.add_argument("--app", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app:
        return app_stand_in()
    if args.quick:  # Options given explicitly still win over the quick sizes.
        parser.set_defaults(kills=6, writers=2)
        args = parser.parse_args()
    args.extra_gap = (0.5, 1.5) if args.quick else (1.0, 4.0)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1_000_000)
    # mkdtemp makes the directory 0700: the journal is private from the start.
    base = Path(tempfile.mkdtemp(prefix="charlie-chaos-", dir="/tmp"))
    chaos = Chaos(args, base)
    ok = False
    try:
        ok = chaos.main()
    finally:
        chaos.cleanup()
        if ok and not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"   kept for inspection: {base}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
