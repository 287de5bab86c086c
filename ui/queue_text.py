"""How the UI words background work: durations, failures, worker health, the indicator.

Pure functions with no Textual in them, like :mod:`ui.timeline`. Times come in as epoch
milliseconds (what job records store) and "now" is always passed in, from the app's
clock, so what the screens say never depends on when a test runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from ui.timeline import MONTHS

Piece = tuple[str, str]
"""(text, tone): tone is "", "busy", "muted", "warning" or "error"; widgets style it."""

FAILURES = {
    "error": "error",
    "timeout": "timed out",
    "crash": "worker crashed",
    "poison": "crashed the worker repeatedly",
}
"""How each ``last_failure`` kind of a job record is shown."""

PRIORITIES = {"interactive": "now", "backlog": "backlog"}
"""Job priorities as the queue table shows them (interactive work runs first)."""

TITLE_WIDTH = 30
"""Characters of an entry title shown in a table of jobs."""
ERROR_WIDTH = 44
"""Characters of an error shown in a table of jobs (the detail view shows all)."""


def duration(millis: float) -> str:
    """A short duration: "0 s", "42 s", "3 min 5 s", "2 h 7 min"."""
    seconds = max(0, int(millis // 1000))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def until(at_ms: float, now_ms: float) -> str:
    """When something that is planned for ``at_ms`` happens: "in 12 s" or "now"."""
    return "now" if at_ms <= now_ms else f"in {duration(at_ms - now_ms)}"


def ago(at_ms: float, now_ms: float) -> str:
    """How long ago ``at_ms`` was: "42 s ago" (or "just now")."""
    return "just now" if at_ms >= now_ms else f"{duration(now_ms - at_ms)} ago"


def clock_time(at_ms: float, now: datetime) -> str:
    """An event's time of day in the reader's zone, with the date when not today."""
    zone: tzinfo = now.tzinfo or UTC
    when = datetime.fromtimestamp(at_ms / 1000, tz=UTC).astimezone(zone)
    text = when.strftime("%H:%M:%S")
    if when.date() != now.astimezone(zone).date():
        text = f"{when.day} {MONTHS[when.month - 1][:3]} {text}"
    return text


def failure(kind: str, crashes: int = 0) -> str:
    """A job's ``last_failure`` in words."""
    if kind == "poison" and crashes:
        return f"crashed the worker {crashes}×"
    return FAILURES.get(kind, kind or "unknown")


def attempts(done: int, allowed: int) -> str:
    """ "2 of 5" attempts (or just the count when the limit is unknown)."""
    return f"{done} of {allowed}" if allowed else str(done)


def clip(text: str, width: int) -> str:
    """``text`` shortened to ``width`` characters, ending in "…" when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def first_line(text: str, width: int = 0) -> str:
    """The first non-blank line of an error message, for one-line table cells,
    shortened to ``width`` characters if a width is given."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return clip(line, width) if width else line


def history_line(item: dict[str, Any], now: datetime) -> str:
    """One line of a job's attempt history, e.g. "10:00:01  error · attempt 2: boom"."""
    event = str(item.get("event", "?"))
    parts = [{"crashed": "worker crashed", "timeout": "timed out"}.get(event, event)]
    if item.get("attempt"):
        parts.append(f"attempt {item['attempt']}")
    if item.get("priority") and event in ("queued", "requeued"):
        parts.append(str(item["priority"]))
    text = " · ".join(parts)
    detail = item.get("error") or item.get("reason")
    if detail:
        text += f": {first_line(str(detail))}"
    at = item.get("at")
    stamp = clock_time(float(at), now) if at else "?"
    return f"{stamp}  {text}"


def paused_lines(paused: dict[str, str], breaker: dict[str, str], now_ms: float) -> list[str]:
    """Why the queue is paused, one paragraph per cause (empty when it runs)."""
    lines = []
    for cause, reason in sorted(paused.items()):
        if cause == "breaker":
            retry_at = breaker.get("retry_at")
            when = f"again {until(float(retry_at), now_ms)}" if retry_at else "again shortly"
            lines.append(
                f"The extractor cannot work:\n{reason}\n"
                f"Charlie tries it {when}; waiting uses up no attempts."
            )
        else:
            lines.append(reason)
    return lines


STALE_SECONDS = 2.5
"""A worker publishes its health every second; one silent this long is gone (its record
outlives it by a few seconds)."""


def live_workers(workers: list[dict[str, Any]], now_s: float) -> list[dict[str, Any]]:
    """The workers that published their health in the last few seconds."""
    return [w for w in workers if now_s - float(w.get("at") or 0) <= STALE_SECONDS]


def worker_lines(
    workers: list[dict[str, Any]], supervisor: dict[str, Any] | None, now_s: float
) -> list[Piece]:
    """The health of the background worker(s), one piece per line.

    A crash loop (the supervisor gave up restarting) comes first and as an error:
    until the user restarts Charlie nothing in the queue will move. (Screens show the
    supervisor's full message, which names the log file, as well.)
    """
    lines: list[Piece] = []
    if supervisor and supervisor.get("gave_up"):
        lines.append(("stopped after a crash loop; not restarting", "error"))
    live = live_workers(workers, now_s)
    for worker in live:
        if worker.get("uses_model", True):
            model = "model loaded" if worker.get("model_loaded") else "model not loaded"
        else:
            model = "no model needed"
        doing = "busy" if worker.get("job") else "idle"
        extractor = worker.get("extractor") or "?"
        lines.append((f"{worker.get('id', '?')} · {extractor} · {model} · {doing}", ""))
    if not live and not (supervisor and supervisor.get("gave_up")):
        if supervisor and supervisor.get("worker_alive"):
            lines.append(("Worker starting…", "muted"))
        elif supervisor:
            last = supervisor.get("last_exit") or "it exited"
            lines.append((f"Worker restarting (last exit: {last})", "warning"))
        else:
            lines.append(("No worker running", "warning"))
    if supervisor and (supervisor.get("restarts") or supervisor.get("server_restarts")):
        text = f"Restarts: worker {supervisor.get('restarts', 0)}"
        if supervisor.get("server_restarts"):
            text += f", database {supervisor['server_restarts']}"
        if supervisor.get("last_exit"):
            text += f" (last exit: {supervisor['last_exit']})"
        lines.append((text, "muted"))
    return lines


def indicator(
    counts: dict[str, int],
    paused: dict[str, str],
    workers: list[dict[str, Any]],
    supervisor: dict[str, Any] | None,
    now_s: float,
) -> list[Piece]:
    """The one-line summary every screen shows, e.g. "⟳ 2 running · 5 queued · 3 dead".

    Problems come first (a stopped worker, a paused queue, work with no worker to do
    it), then the counts that are not zero; "idle" when there is nothing at all.
    """
    pieces: list[Piece] = []
    waiting = counts.get("queued", 0) + counts.get("retry_wait", 0)
    if supervisor and supervisor.get("gave_up"):
        pieces.append(("worker stopped", "error"))
    elif (
        waiting
        and not live_workers(workers, now_s)
        and not (supervisor and supervisor.get("worker_alive"))
    ):
        pieces.append(("no worker", "warning"))
    if paused:
        reason = paused.get("breaker") or next(iter(sorted(paused.items())))[1]
        pieces.append((f"paused: {reason}", "warning"))
    running = counts.get("running", 0)
    if running:
        pieces.append((f"⟳ {running} running", "busy"))
    for state, word in (("queued", "queued"), ("retry_wait", "retrying")):
        if counts.get(state):
            pieces.append((f"{counts[state]} {word}", ""))
    if counts.get("dead"):
        pieces.append((f"{counts['dead']} dead", "error"))
    return pieces or [("idle", "muted")]
