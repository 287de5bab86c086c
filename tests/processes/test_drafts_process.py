"""Drafts against real processes: the real app in a real terminal, closed or killed.

Each test runs `python charlie.py` in a pseudo-terminal (tests/helpers/pty_app.py), types and
pastes into a new entry, then ends the app the way a user loses it: the terminal window
closes (a real hangup), SIGHUP, SIGTERM, or SIGKILL (no chance to save anything). A
Charlie client polls the database to see the draft land; the restarted app must offer
it, restore it, and save exactly those characters (emoji, RTL, tabs and all).
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.drafts import Draft
from backend.root import Charlie
from backend.settings import load_settings
from tests.helpers.procs import servers_for, wait_until
from tests.helpers.pty_app import PtyApp

pytestmark = pytest.mark.slow

WORDS = ["rain", "lake", "Ana", "coffee", "walked", "remember", "Lisbon", "why", "tomorrow"]
ODD = ["🌧", "👩‍👩‍👧", "שלום עולם", "مرحبا بك", "e\u0301", "漢字", "—", "\t", "\t\t", "ß"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment the autouse fixture set up (data and config under tmp_path)."""
    return dict(os.environ)


def configure(tmp_path: Path, draft_seconds: float) -> None:
    (tmp_path / "config.toml").write_text(f"draft_seconds = {draft_seconds}\n")


class Runs:
    """Starts app runs and makes sure none outlives the test."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.started: list[PtyApp] = []

    def start(self) -> PtyApp:
        app = PtyApp(self.env)
        self.started.append(app)
        return app

    def close(self) -> None:
        for app in self.started:
            app.close()


@pytest.fixture
def runs(env: dict[str, str], tmp_path: Path) -> Iterator[Runs]:
    started = Runs(env)
    try:
        yield started
    finally:
        started.close()
        # A SIGKILLed owner leaves its server for the next owner to recover; the last
        # run of each test ends cleanly, so nothing may be left at all.
        wait_until(lambda: not servers_for(tmp_path / "data"), timeout=20, what="no servers")


# The probes below attach to the running app's database, or (once the app has ended)
# open it themselves, as any Charlie command does.


def drafts_now() -> list[Draft]:
    with Charlie.open(load_settings()) as client:
        return client.drafts.list()


def wait_for_draft(body: str, timeout: float = 10.0) -> Draft:
    """Poll the database (bounded) until the only draft holds exactly ``body``."""
    found: list[Draft] = []
    with Charlie.open(load_settings()) as client:

        def landed() -> bool:
            found[:] = client.drafts.list()
            return [d.body for d in found] == [body]

        wait_until(landed, timeout=timeout, what=f"the draft {body!r} (have {found})")
    return found[0]


def new_entry(app: PtyApp) -> None:
    """Open a new entry's editor and wait until it shows."""
    app.clear()
    app.write("n")
    app.wait_for_text("New entry")


def restore_and_save(app: PtyApp, body: str) -> None:
    """On a fresh start: take the offer, save the restored text, check what was stored."""
    app.wait_for_text("Restore (r)")
    app.clear()
    app.write("r")
    app.wait_for_text("New entry")  # The editor, with the draft's text.
    app.clear()
    app.write("\x13")  # Ctrl+S
    app.wait_for_text("Entry saved")
    with Charlie.open(load_settings()) as client:
        bodies = [
            client.journal().entries.get(e.id).body
            for e in client.journal().entries.list(limit=100).entries
        ]
        assert body in bodies
        assert client.drafts.list() == []


def end(app: PtyApp, how: str) -> None:
    """End the app as a user loses it, and check how it went."""
    if how == "hangup":
        app.hang_up()
    else:
        app.send(getattr(signal, how))
    code = app.wait()
    assert code == (-signal.SIGKILL if how == "SIGKILL" else 0), app.tail()


@pytest.mark.parametrize("how", ["hangup", "SIGHUP", "SIGTERM"])
def test_closing_the_terminal_keeps_what_is_on_screen(tmp_path: Path, runs: Runs, how: str) -> None:
    """Drafts are a minute apart here, so only the signal can have written this one."""
    configure(tmp_path, draft_seconds=60)
    app = runs.start()
    app.wait_for_text("Quit")
    new_entry(app)
    app.type("Typed just before the window closed END")
    app.wait_for_text("closed END")  # On screen, so the app has it.
    end(app, how)
    (draft,) = drafts_now()
    assert (draft.body, draft.entry_id) == ("Typed just before the window closed END", None)


@pytest.mark.parametrize("how", ["SIGHUP", "SIGKILL"])
def test_a_draft_is_offered_after_a_restart_and_restored_exactly(
    tmp_path: Path, runs: Runs, how: str
) -> None:
    """With the default pause (1.5 s), the draft is in the database within 2 s of the
    last key, so even SIGKILL loses nothing."""
    app = runs.start()
    app.wait_for_text("Quit")
    new_entry(app)
    app.type("Typed, then ")
    app.paste("pasted:\ttabs, 🌧 emoji and שלום עולם")
    body = "Typed, then pasted:\ttabs, 🌧 emoji and שלום עולם"
    typed_at = time.monotonic()
    wait_for_draft(body, timeout=5)
    assert time.monotonic() - typed_at < 2.5
    end(app, how)

    again = runs.start()
    restore_and_save(again, body)
    end(again, "SIGTERM")


def random_text(rng: random.Random) -> tuple[str, list[str]]:
    """A word to type, then lines to paste (joined by Enter)."""
    lines = []
    for _ in range(rng.randint(1, 3)):
        tokens = [rng.choice(WORDS + ODD) for _ in range(rng.randint(2, 8))]
        lines.append("".join(t + rng.choice([" ", " ", "\t", ""]) for t in tokens))
    return rng.choice(WORDS) + " ", lines


def test_twenty_random_drafts_survive_every_way_out(tmp_path: Path, runs: Runs) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    configure(tmp_path, draft_seconds=0.5)
    ways = ["SIGHUP", "SIGKILL", "hangup", "SIGTERM"]
    app = runs.start()
    app.wait_for_text("Quit")
    for round_ in range(20):
        typed, lines = random_text(rng)
        body = typed + "\n".join(lines)
        new_entry(app)
        app.type(typed)
        for index, line in enumerate(lines):
            if index:
                app.write("\r")  # Enter
            app.paste(line)
        how = ways[round_ % len(ways)]
        try:
            wait_for_draft(body)
        except AssertionError as error:
            raise AssertionError(f"round {round_} (seed {seed}): {error}") from None
        end(app, how)
        app = runs.start()
        restore_and_save(app, body)
    end(app, "SIGTERM")
    with Charlie.open(load_settings()) as client:
        assert client.journal().entries.count() == 20
