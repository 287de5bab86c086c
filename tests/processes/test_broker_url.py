"""Issue 10 D9: a broker_url reaches redis-py and Huey alike, and is never printed whole."""

from __future__ import annotations

import pytest

import charlie
from backend.broker.ownership import redact
from backend.root import Charlie

pytestmark = pytest.mark.slow


def test_a_unix_url_with_a_query_wakes_workers_through_the_same_server(api: Charlie) -> None:
    url = f"{api.backend.broker.url}?db=0"
    external = Charlie.open(api.settings.with_changes(broker_url=url))
    try:
        entry = external.journal().entries.add("Through the external URL.")
        # The wake-up went to the same server (its query was not taken as part of a path).
        assert external.backend.wakeups.send()
        assert api.backend.wakeups.pending() >= 1
        assert api.journal().entries.get(entry.id).body == "Through the external URL."
    finally:
        external.close()


def test_passwords_are_never_shown(
    api: Charlie, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert redact("redis://:s3cret@host:6379/0") == "redis://:***@host:6379/0"
    assert (
        redact("unix:///run/f.sock?password=s3cret&db=2") == "unix:///run/f.sock?password=***&db=2"
    )
    assert redact("rediss://user@host") == "rediss://user@host"
    monkeypatch.setenv("CHARLIE_BROKER_URL", f"{api.backend.broker.url}?password=s3cret")
    charlie.main(["status"])
    captured = capsys.readouterr()
    assert "s3cret" not in captured.out + captured.err
