"""The database server, the worker and the job queue, read through one connection.

:func:`database_checks` reads them the way every CLI command does: through an ordinary
connection (or the app's own, when the app runs doctor). When doctor had to open the
database itself, owning the server because nothing else ran, it closes it again before
the slow extractor probe, so a Charlie started meanwhile is not left attached to a
server that goes away with doctor.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from backend.broker.paths import Paths
from backend.broker.processes import process_start_ticks
from backend.doctor.owner import OwnerState
from backend.doctor.report import Check, human_age, human_size
from backend.errors import CharlieError
from backend.settings import Settings

if TYPE_CHECKING:
    from backend.root import Charlie

HEARTBEAT_STALE_SECONDS = 5.0
"""A worker republishes its health every second; this much silence means it is stuck."""


def database_checks(
    settings: Settings,
    charlie: Charlie | None,
    owner: OwnerState,
    lock_check: Check,
) -> list[Check]:
    """The lock check (amended), then database, worker and queue through one connection."""
    names = ("database", "worker", "queue")
    if charlie is None and not settings.broker_url and not settings.data_dir.exists():
        # Opening would create the directory (with the umask's mode): leave that to Charlie.
        why = "not checked: the data directory does not exist"
        return [lock_check, *(Check(n, False, why, "see the data directory check") for n in names)]
    opened = None
    try:
        if charlie is None:
            from backend.root import Charlie

            charlie = opened = Charlie.open(settings)
    except CharlieError as exc:
        fix = f"read {Paths(settings.data_dir).log}; then start Charlie again"
        return [
            lock_check,
            Check("database", False, f"cannot be opened: {exc}", fix),
            *(
                Check(n, False, "not checked: no database", "see the database check")
                for n in names[1:]
            ),
        ]
    import redis

    conn = charlie
    try:
        if owner.stale and conn.backend.broker.is_owner:
            lock_check.fix += (
                " — doctor just opened the database as owner, which cleared it; run "
                "`charlie doctor` again to confirm"
            )
        results = [lock_check]
        for name, run in (
            ("database", lambda: check_database(conn, settings)),
            ("worker", lambda: check_worker(conn, owner)),
            ("queue", lambda: check_queue(conn, owner)),
        ):
            try:
                results.append(run())
            except (CharlieError, redis.RedisError) as exc:
                results.append(
                    Check(
                        name,
                        False,
                        f"could not be read: {exc}",
                        "run `charlie doctor` again; if it repeats, restart Charlie",
                    )
                )
        return results
    finally:
        if opened is not None:
            opened.close()


def _config(client: Any, key: str) -> str | None:
    import redis

    try:
        reply = client.config_get(key)
    except redis.ResponseError:
        return None  # An external server may have CONFIG renamed away.
    value = reply.get(key) if isinstance(reply, dict) else None
    return value.decode() if isinstance(value, bytes) else value


def _modules(client: Any) -> dict[str, str]:
    names = {}
    for module in client.module_list():
        item = {
            (k.decode() if isinstance(k, bytes) else k): v.decode() if isinstance(v, bytes) else v
            for k, v in module.items()
        }
        names[str(item.get("name", "")).lower()] = str(item.get("ver", ""))
    return names


def check_database(charlie: Charlie, settings: Settings) -> Check:
    """Ping, the graph module, the append-only file's fsync policy, memory."""
    broker = charlie.backend.broker
    client = broker.client
    started = time.perf_counter()
    client.ping()
    ping_ms = (time.perf_counter() - started) * 1000
    modules = _modules(client)
    appendonly = _config(client, "appendonly")
    fsync = _config(client, "appendfsync")
    memory = client.info("memory")
    used = int(memory.get("used_memory", 0))
    maxmemory = int(memory.get("maxmemory", 0))
    details: dict[str, Any] = {
        "url": broker.url,
        "role": broker.role,
        "ping_ms": round(ping_ms, 2),
        "modules": modules,
        "appendonly": appendonly,
        "appendfsync": fsync,
        "used_memory": used,
        "maxmemory": maxmemory,
    }
    problems: list[str] = []
    fixes: list[str] = []
    if "graph" not in modules:
        problems.append("the FalkorDB graph module is not loaded")
        fixes.append(
            "reinstall Charlie's dependencies (`uv sync`): falkordblite ships the module"
            if not settings.broker_url
            else "load FalkorDB into that server (or use the embedded one: unset broker_url)"
        )
    if appendonly is not None and appendonly != "yes":
        problems.append("its append-only file is off, so saved entries can be lost")
        fixes.append("turn it on in the server (`CONFIG SET appendonly yes`)")
    if not settings.broker_url and fsync is not None and fsync != settings.appendfsync:
        problems.append(
            f"the server fsyncs {fsync!r} but the settings say {settings.appendfsync!r}"
        )
        fixes.append("restart Charlie so its server picks up the setting")
    if maxmemory and used > 0.9 * maxmemory:
        problems.append(f"it uses {human_size(used)} of its {human_size(maxmemory)} limit")
        fixes.append("raise the server's maxmemory")
    if problems:
        return Check("database", False, "; ".join(problems), "; ".join(fixes), details)
    durability = f"appendfsync {fsync}" if fsync else "append-only file settings unreadable"
    if fsync and fsync != "always":
        durability += " (set by you: a crash can lose the last writes)"
    # Redis modules report their version as one number: 42201 is 4.22.1.
    raw = modules.get("graph", "")
    version = (
        f"{int(raw) // 10000}.{int(raw) // 100 % 100}.{int(raw) % 100}" if raw.isdigit() else raw
    )
    summary = (
        f"answers in {ping_ms:.1f} ms; graph module {version} loaded; {durability}; "
        f"{human_size(used)} in memory"
    )
    return Check("database", True, summary, details=details)


def check_worker(charlie: Charlie, owner: OwnerState) -> Check:
    """The owner's worker is alive and heartbeating, and not stopped by a crash loop."""
    workers = charlie.queue.workers()
    now = time.time()
    ages = {str(w.get("id")): max(0.0, now - float(w.get("at") or 0)) for w in workers}
    details: dict[str, Any] = {"workers": workers}
    if charlie.settings.broker_url:
        if not workers:
            return Check(
                "worker",
                False,
                "no worker is consuming the queue on that server",
                "start one: `charlie worker` (on any machine that reaches the server)",
                details,
            )
        return Check("worker", True, f"{len(workers)} worker(s) on that server", details=details)
    if owner.owner_pid is None:
        # Records a dead owner's supervisor and workers left may not have expired yet:
        # they describe nothing that runs, so they are not read.
        return Check(
            "worker",
            True,
            "Charlie is not running, so no worker is expected (the app or `charlie serve` "
            "starts one)",
            details=details,
        )
    status = charlie.queue.supervisor()
    details["supervisor"] = status
    if status is None:
        if workers:
            return Check("worker", True, f"{len(workers)} worker(s) running", details=details)
        return Check(
            "worker",
            True,
            "the process that owns the data runs no worker (a CLI command); jobs run while "
            "the app or `charlie serve` runs",
            details=details,
        )
    log = charlie.settings.data_dir / "logs" / "worker.log"
    restarts = int(status.get("restarts") or 0)
    history = f"restarted {restarts} time(s)" if restarts else "never restarted"
    if status.get("last_exit"):
        history += f", last exit: {status['last_exit']}"
    if status.get("gave_up"):
        return Check(
            "worker",
            False,
            f"stopped after a crash loop: {status['gave_up']}",
            f"read {log} for why it died (the extractor check below says whether the model "
            "crashes it), then quit and start Charlie again; `charlie model use rules` reads "
            "entries without a model",
            details,
        )
    pid = status.get("worker_pid")
    if not status.get("worker_alive") or not pid or process_start_ticks(int(pid)) is None:
        return Check(
            "worker",
            False,
            f"the worker is not running ({history})",
            f"the owner restarts it within seconds: run `charlie doctor` again; if it stays "
            f"down, read {log} and restart Charlie",
            details,
        )
    mine = [w for w in workers if w.get("pid") == pid]
    age = ages.get(str(mine[0].get("id"))) if mine else None
    if age is None or age > HEARTBEAT_STALE_SECONDS:
        silent = f"for {human_age(age)}" if age is not None else "at all lately"
        return Check(
            "worker",
            False,
            f"worker pid {pid} is alive but has not reported {silent} (hung or stopped)",
            f"the owner kills a hung worker once its job's lease runs out; if this stays, "
            f"`kill {pid}` (the owner starts a fresh one) and read {log}",
            details,
        )
    doing = f"running {mine[0]['job']}" if mine[0].get("job") else "idle"
    model = ", model loaded" if mine[0].get("uses_model") and mine[0].get("model_loaded") else ""
    summary = f"pid {pid} alive, last heartbeat {human_age(age)} ago, {doing}{model}; {history}"
    return Check("worker", True, summary, details=details)


def _oldest_queued_ms(charlie: Charlie) -> int | None:
    """When the job that has waited longest became queued (epoch ms), if any waits."""
    from backend.jobs.keys import QUEUED, job_key

    client = charlie.backend.broker.client
    ids: Any = client.zrange(QUEUED, 0, -1)
    if not ids:
        return None
    with client.pipeline(transaction=False) as pipe:
        for raw in ids:
            pipe.hget(job_key(raw.decode()), "updated_at")
        stamps = [int(v) for v in pipe.execute() if v]
    return min(stamps) if stamps else None


PAUSE_FIXES = {
    "inference": "`charlie inference on` (or press i on the Queue screen)",
    "breaker": "the extractor cannot work (see the extractor check); the queue tries it "
    "again by itself, with backoff",
}


def check_queue(charlie: Charlie, owner: OwnerState) -> Check:
    """Counts per state, how long the oldest queued job waits, why the queue is paused."""
    counts = charlie.queue.job_counts()
    paused = charlie.queue.paused_reasons()
    oldest = _oldest_queued_ms(charlie)
    waited = (time.time() * 1000 - oldest) / 1000 if oldest else None
    details: dict[str, Any] = {
        "counts": counts,
        "paused": paused,
        "breaker": charlie.queue.breaker(),
        "oldest_queued_seconds": round(waited, 1) if waited is not None else None,
    }
    summary = (
        f"{counts.get('queued', 0)} queued, {counts.get('running', 0)} running, "
        f"{counts.get('retry_wait', 0)} waiting to retry, {counts.get('dead', 0)} dead"
    )
    if counts.get("running") and owner.owner_pid is None and not charlie.settings.broker_url:
        summary += " (the running ones were left by a worker that is gone; the next start "
        summary += "queues them again, their attempt not charged)"
    if waited is not None:
        summary += f"; the oldest queued job has waited {human_age(waited)}"
    problems: list[str] = []
    fixes: list[str] = []
    for cause, reason in paused.items():
        problems.append(f"paused: {reason}")
        fixes.append(PAUSE_FIXES.get(cause, f"clear the {cause!r} pause"))
    dead = counts.get("dead", 0)
    if dead:
        problems.append(f"{dead} job(s) failed every attempt")
        fixes.append(
            "`charlie jobs --state dead` shows why; `charlie retry --all-dead` tries them "
            "again, `charlie discard ID` drops one"
        )
    if problems:
        return Check(
            "queue", False, summary + "; " + "; ".join(problems), "; ".join(fixes), details
        )
    return Check("queue", True, summary, details=details)
