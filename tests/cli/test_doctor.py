"""`charlie doctor`: each problem is found for real, reported with its fix, exit status 1.

Every situation is made with real processes: a real embedded FalkorDB, a real owner
subprocess killed with SIGKILL, a real supervisor whose real workers die until it gives
up, a worker frozen with SIGSTOP, an extractor child that dies of SIGSEGV.

The healthy set-ups chmod the data directory to 0700 first: Charlie does not yet create
it private, and doctor rightly reports a directory other users can read.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from backend import doctor
from backend.broker.handoff import read_handoff
from backend.broker.paths import Paths
from backend.jobs.supervisor import CRASH_LOOP_DEATHS, Supervisor
from backend.root import Charlie
from backend.settings import Settings
from backend.transfer import backup
from charlie import main
from tests.helpers.procs import OwnerProc, servers_for, wait_until

PROBE = ["--timeout", "60"]


def run_doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """`charlie doctor ARGS` in this process: its exit status and what it printed."""
    capsys.readouterr()
    code = main(["doctor", *PROBE, *args])
    return code, capsys.readouterr().out


def run_json(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code, out = run_doctor(capsys, "--json")
    return code, json.loads(out)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in report["checks"]}


def failed(report: dict[str, Any]) -> list[str]:
    return [check["name"] for check in report["checks"] if not check["ok"]]


def healthy_data_dir(settings: Settings, api: Charlie) -> None:
    """What a careful user's data directory has: a backup, and no access for others."""
    backup.snapshot(api.backend, "manual")
    os.chmod(settings.data_dir, 0o700)


def worker_reporting(api: Charlie) -> bool:
    status = api.queue.supervisor() or {}
    pids = {w.get("pid") for w in api.queue.workers()}
    return bool(status.get("worker_alive")) and status.get("worker_pid") in pids


# -- healthy -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_healthy_running_setup_passes_every_check(
    owner: tuple[Charlie, Supervisor], settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    api, _supervisor = owner
    healthy_data_dir(settings, api)
    wait_until(lambda: worker_reporting(api), timeout=30, what="the worker to report")

    code, out = run_doctor(capsys)

    lines = out.splitlines()
    assert code == 0, out
    assert lines[-1].endswith("passed, 0 failed"), out
    marks = [line for line in lines if not line.startswith("    ")][:-1]
    assert marks and all(line.startswith("✓ ") for line in marks), out
    assert "fix:" not in out
    assert f"✓ lock and handoff: Charlie is running: pid {os.getpid()}" in out
    assert "✓ worker: pid " in out and "alive, last heartbeat" in out
    assert "✓ extractor: scripted loaded" in out


def test_doctor_when_charlie_is_not_running_passes_and_leaves_nothing_behind(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with Charlie.open(settings) as api:
        healthy_data_dir(settings, api)

    code, report = run_json(capsys)

    checks = by_name(report)
    assert code == 0 and report["ok"] is True, failed(report)
    assert checks["lock and handoff"]["summary"].startswith("Charlie is not running")
    assert checks["worker"]["summary"].startswith("Charlie is not running")
    assert checks["database"]["details"]["role"] == "owner"
    assert checks["database"]["details"]["modules"].get("graph")
    assert checks["database"]["details"]["appendfsync"] == settings.appendfsync
    assert {c["name"] for c in report["checks"]} >= {
        "python",
        "data directory",
        "queue",
        "backups",
        "extractor",
    }
    # Doctor owned the server only for its database checks.
    assert servers_for(settings.data_dir) == []
    assert not Paths(settings.data_dir).handoff.exists()


# -- problems ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_stale_handoff_from_a_killed_owner_is_reported_with_its_fix(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = Paths(settings.data_dir)
    proc = OwnerProc()
    assert proc.wait_ready()["role"] == "owner"
    handoff = read_handoff(paths.handoff)
    assert handoff is not None
    proc.kill()  # SIGKILL: the owner cannot remove its handoff.
    wait_until(
        lambda: servers_for(settings.data_dir) == [],
        timeout=30,
        what="the dead owner's server to stop",
    )
    assert paths.handoff.exists()

    code, out = run_doctor(capsys)

    assert code == 1, out
    line = next(x for x in out.splitlines() if x.startswith("✗ lock and handoff:"))
    assert f"a stale handoff from owner pid {handoff.owner_pid}, which is gone" in line
    fix = out.splitlines()[out.splitlines().index(line) + 1]
    assert fix.startswith("    fix: nothing to do by hand: the next Charlie start clears it")
    assert f"remove {paths.handoff}" in fix
    # Doctor opened the database as owner afterwards, which recovered the stale state.
    assert "cleared it" in fix
    code, report = run_json(capsys)
    assert by_name(report)["lock and handoff"]["ok"] is True


@pytest.mark.slow
def test_a_worker_stopped_by_a_crash_loop_is_reported_with_its_fix(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every worker this supervisor starts dies at once (its settings cannot be read),
    # so after five deaths in a minute the supervisor gives up: an owner runs, no worker.
    api = Charlie.open(settings)
    supervisor = Supervisor(
        settings, api.backend.broker, extra_env={"CHARLIE_JOB_MAX_ATTEMPTS": "many"}
    ).start()
    try:
        wait_until(
            lambda: bool((api.queue.supervisor() or {}).get("gave_up")),
            timeout=60,
            what="the supervisor to give up on its crash-looping worker",
        )
        code, report = run_json(capsys)
    finally:
        supervisor.stop()
        api.close()

    worker = by_name(report)["worker"]
    assert code == 1 and report["ok"] is False
    assert worker["ok"] is False
    died = f"stopped after a crash loop: The worker died {CRASH_LOOP_DEATHS} times"
    assert worker["summary"].startswith(died)
    assert str(settings.data_dir / "logs" / "worker.log") in worker["fix"]
    assert "start Charlie again" in worker["fix"]


@pytest.mark.slow
def test_a_frozen_worker_is_reported_with_its_fix(
    owner: tuple[Charlie, Supervisor], settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    api, supervisor = owner
    wait_until(lambda: worker_reporting(api), timeout=30, what="the worker to report")
    assert supervisor.process is not None
    pid = supervisor.process.pid

    def silent() -> bool:
        mine = [w for w in api.queue.workers() if w.get("pid") == pid]
        return not mine or time.time() - mine[0]["at"] > doctor.HEARTBEAT_STALE_SECONDS

    os.kill(pid, signal.SIGSTOP)  # Alive to the supervisor, but it no longer heartbeats.
    try:
        wait_until(silent, timeout=30, what="the frozen worker's heartbeat to go stale")
        code, report = run_json(capsys)
    finally:
        os.kill(pid, signal.SIGCONT)

    worker = by_name(report)["worker"]
    assert code == 1
    assert worker["ok"] is False
    assert f"worker pid {pid} is alive but has not reported" in worker["summary"]
    assert f"`kill {pid}`" in worker["fix"]


def test_an_extractor_that_crashes_its_process_is_reported_with_its_fix(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    switch = tmp_path / "segv"
    switch.touch()
    # The probe's child inherits this: every extract() dies of SIGSEGV, as a native
    # model that crashes would.
    monkeypatch.setenv("CHARLIE_SCRIPTED_SEGV", str(switch))

    code, out = run_doctor(capsys)

    assert code == 1, out
    lines = out.splitlines()
    line = next(x for x in lines if x.startswith("✗ extractor:"))
    assert "scripted crashed the process that ran it: killed by SIGSEGV" in line
    fix = lines[lines.index(line) + 1]
    assert fix.startswith("    fix: ") and "`charlie model use rules`" in fix


def test_a_data_dir_readable_by_others_is_reported_with_its_fix(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with Charlie.open(settings) as api:
        healthy_data_dir(settings, api)
    os.chmod(settings.data_dir, 0o755)

    code, out = run_doctor(capsys)

    assert code == 1, out
    lines = out.splitlines()
    line = next(x for x in lines if x.startswith("✗ data directory:"))
    assert "open to other users (mode 0755; it should be 0700)" in line
    assert lines[lines.index(line) + 1] == f"    fix: chmod 700 {settings.data_dir}"
    assert lines[-1].endswith("1 failed"), out


# -- the model checks --------------------------------------------------------------------


def test_the_model_file_checksum_is_compared_with_the_downloads(
    settings: Settings, tmp_path: Path
) -> None:
    # Hugging Face's cache keeps a download as blobs/<sha256>, linked from snapshots/.
    content = b"GGUF" + b"\0" * 64
    blobs = tmp_path / "hub" / "blobs"
    blobs.mkdir(parents=True)
    good = blobs / hashlib.sha256(content).hexdigest()
    good.write_bytes(content)
    bad = blobs / ("0" * 64)
    bad.write_bytes(content)
    snapshot = tmp_path / "hub" / "snapshots" / "rev"
    snapshot.mkdir(parents=True)
    (snapshot / "good.gguf").symlink_to(good)
    (snapshot / "bad.gguf").symlink_to(bad)
    base = settings.with_changes(extractor="llama_cpp")

    ok = doctor.check_model_file(base.with_changes(model=str(snapshot / "good.gguf")))
    damaged = doctor.check_model_file(base.with_changes(model=str(snapshot / "bad.gguf")))

    assert ok.ok and "matches the published checksum" in ok.summary
    assert not damaged.ok and "is damaged" in damaged.summary
    assert damaged.fix.startswith(f"delete {bad.resolve()} and download it again")


def test_the_llama_build_is_read_in_a_child_process() -> None:
    check = doctor.check_llama_build()

    assert isinstance(check.details.get("build_features"), list), check
    assert "amx" in check.details
    assert "llama_cpp" not in sys.modules  # Doctor and the app never load it themselves.


# -- the app -----------------------------------------------------------------------------


async def test_the_queue_screen_opens_the_doctor_report(api: Charlie) -> None:
    from tests.helpers.ui import SIZE, make_app, settle, wait_for
    from ui.screens.doctor import DoctorScreen
    from ui.screens.queue import QueueScreen

    app = make_app(api)
    async with app.run_test(size=SIZE) as pilot:
        assert "Doctor" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("D")
        screen = app.screen
        assert isinstance(screen, DoctorScreen)
        await wait_for(pilot, lambda: screen.checks is not None, "the checks", timeout=90)
        text = screen.report_text()
        assert "✓ python:" in text
        assert "✓ lock and handoff: Charlie is running" in text
        # This test's data directory has no backup: reported, with the fix under it.
        assert "✗ backups: there is no backup yet" in text
        assert "fix: `charlie backup` takes one now" in text
        assert text.rstrip().endswith("failed")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
