"""One job's commit in steps, on one connection: the worker computes while the server writes.

:meth:`Jobs.complete_and_claim` does a commit in one call, a round trip per step. A
backlog worker (backend/jobs/worker.py) uses this instead, so that it can read the
next entry and run the extractor on it while the server applies this one:

1. :meth:`Commit.check` WATCHes the job record and the keys the plan depends on, checks
   the record is still this worker's, and sends the reads the plan needs (the journal's
   state, the next entry), all in one round trip.
2. :meth:`Commit.send` writes MULTI, the result's writes, done.lua (which also claims the
   worker's next jobs) and EXEC, and returns without waiting.
3. :meth:`Commit.receive` reads the outcome: applied (with the jobs claimed), or not,
   because a watched key changed in between, and the check must run again.

The job record (and every key the plan depends on) is watched from the check to the
EXEC, so if anything touched the record in between (a reap, an edit, a delete, a newer
claim) nothing is written: the result is discarded, never half-applied. It is written
with the move to done, or not at all, and only while the record shows this worker's
token. :func:`complete` does all three steps in one call.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import redis
from redis.connection import Connection
from redis.exceptions import ExecAbortError, ResponseError

from backend.jobs import records
from backend.jobs.keys import history_key, job_key
from backend.jobs.records import DONE_SCRIPT, Claim, NextClaim, Write, claims_from

Command = Sequence[Any]
# How often a commit is planned again when another write in its journal got in first.
PLAN_ATTEMPTS = 20


def complete(
    client: redis.Redis,
    claim: Claim,
    write: Write | None = None,
    *,
    plan: Callable[[], Write] | None = None,
    watch: tuple[str, ...] = (),
) -> bool:
    """Commit a result in one call: ``write`` queues the writes, applied with the move to
    done; True if it was applied. With ``plan``, the write is computed once the keys are
    watched; if only a ``watch`` key changed (another commit or a user's correction in
    the same journal, or the worker's own heartbeat), the check and the plan run again
    on the fresh state. False if the job is no longer ``claim``'s."""
    for _ in range(PLAN_ATTEMPTS):
        with Commit(client, claim, watch) as commit:
            if commit.check([]) is None:
                return False
            commit.send(plan() if plan is not None else write)
            if commit.receive()[0]:
                return True
    return False


class Commit:
    """The commit of ``claim``; use as a context manager (the connection goes back to the
    pool at the end, or is closed if a step was left half done)."""

    def __init__(self, client: redis.Redis, claim: Claim, watch: tuple[str, ...]) -> None:
        self.client = client
        self.claim = claim
        self.watch = watch
        self._conn: Connection | None = None
        self._sent = 0
        """Commands sent whose replies are not read yet."""
        self._watching = False
        self._tokens: list[str] = []

    def __enter__(self) -> Commit:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if kind is not None or self._sent or self._watching:
            # Replies unread or a WATCH left: nothing of it may reach the next user.
            conn.disconnect()
        self.client.connection_pool.release(conn)

    def check(self, reads: Sequence[Command]) -> list[Any] | None:
        """WATCH, then the job record and ``reads``: their replies (redis-py's parsed
        form), or None if the job is no longer this worker's (nothing is watched then)."""
        if self._conn is None:
            self._conn = self.client.connection_pool.get_connection()
        key = job_key(self.claim.job_id)
        commands: list[Command] = [
            ("WATCH", key, *self.watch),
            ("HMGET", key, "state", "token", "content_hash"),
            *reads,
        ]
        self._watching = True
        replies = self._exchange(commands)
        expected = [b"running", self.claim.token.encode(), self.claim.content_hash.encode()]
        if replies[1] != expected:
            self._exchange([("UNWATCH",)])
            self._watching = False
            return None
        return replies[2:]

    def send(self, write: Write | None, then: NextClaim | None = None, count: int = 1) -> None:
        """The result's writes and the move to done (claiming up to ``count`` next jobs
        for ``then``) in one MULTI/EXEC, sent without waiting for the outcome."""
        assert self._conn is not None, "check() first"
        recorder = self.client.pipeline(transaction=True)
        try:
            if write is not None:
                write(recorder)
            queued = [args for args, _options in recorder.command_stack]
        finally:
            recorder.reset()
        # The server's clock, unless a test pinned it (see lua/clock.lua).
        args: list[Any] = [records.now_ms(), self.claim.attempt]
        self._tokens = []
        if then is not None and count > 0:
            self._tokens = [secrets.token_hex(12) for _ in range(count)]
            args += [then.worker, then.lease_ms, then.guards, *self._tokens]
        keys = (job_key(self.claim.job_id), history_key(self.claim.job_id))
        # The script's text, as in enqueue: no SHA check before the EXEC.
        queued.append(("EVAL", DONE_SCRIPT, len(keys), *keys, *args))
        commands = [("MULTI",), *queued, ("EXEC",)]
        self._conn.send_packed_command(self._conn.pack_commands(commands))
        self._sent = len(commands)

    def receive(self) -> tuple[bool, list[Claim]]:
        """(True, the jobs claimed) once applied; (False, []) if a watched key changed
        and nothing was written (check again)."""
        assert self._conn is not None and self._sent, "send() first"
        conn, errors = self._conn, []
        for _ in range(self._sent - 1):  # MULTI's OK and a QUEUED per command
            try:
                conn.read_response()
            except ResponseError as exc:
                errors.append(exc)
        try:
            reply = conn.read_response()
        except ExecAbortError:
            self._sent = 0
            raise errors[0] if errors else ExecAbortError("the commit was aborted") from None
        self._sent = 0
        self._watching = False  # EXEC ends the WATCH, whatever its outcome.
        if reply is None:
            return False, []
        failed = [r for r in reply if isinstance(r, ResponseError)]
        if failed:
            # Cannot happen to well-formed writes; never silent if it does.
            raise failed[0]
        return True, claims_from(reply[-1], self._tokens)

    def _exchange(self, commands: Sequence[Command]) -> list[Any]:
        """Send ``commands`` together and read their replies in order."""
        conn = self._conn
        assert conn is not None
        conn.send_packed_command(conn.pack_commands(commands))
        self._sent = len(commands)
        replies: list[Any] = []
        error: ResponseError | None = None
        for command in commands:
            try:
                replies.append(self.client.parse_response(conn, str(command[0])))
            except ResponseError as exc:
                error = error or exc
                replies.append(exc)
            self._sent -= 1
        if error is not None:
            raise error
        return replies
