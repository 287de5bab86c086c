"""Property tests: every importer on generated and corrupted input.

Whatever the input, an import never crashes (it either raises ImportSourceError and
writes nothing, or returns a summary), never imports part of an entry or part of a
batch (added + skipped + rejected == total, and the graph gained exactly the added
entries, each with its backlog job), and gives a reason for every rejection. One API
(one FalkorDB) serves all examples of a test, since starting one takes a while.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from backend.jobs.records import BACKLOG
from backend.root import Charlie
from backend.transfer.importer_source import ImportSummary, run_import
from backend.transfer.importing import ImportSourceError

# Hypothesis keeps caches in a directory of its own; keep it out of the source tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "charlie-hypothesis")
EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    database=None,  # No example database: every run generates afresh, writes nothing.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any code point at all: NUL, lone surrogates, controls, unassigned.
wild_text = st.text(st.characters(exclude_categories=()), max_size=60)
texts = st.one_of(
    wild_text,
    st.text(max_size=300),
    st.sampled_from(
        ["", "   ", "# Title\n\nBody", "\\. \\- \\( ![](dayone-moment://X)", "a\x00b", "\ud800"]
    ),
)
zones = st.one_of(
    st.sampled_from(
        ["Europe/Lisbon", "Asia/Tokyo", "America/New_York", "UTC", "+02:00", "GMT-5", ""]
    ),
    st.sampled_from(["Not/AZone", "../../etc/passwd", "+99:99", "Europe/"]),
    wild_text,
)
iso_dates = st.datetimes(timezones=st.sampled_from([None, UTC])).map(lambda d: d.isoformat())
dates = st.one_of(
    iso_dates, wild_text, st.sampled_from(["2024-02-30", "2024-03-05", "9999-12-31T23:59:59+14:00"])
)
junk = st.one_of(st.none(), st.integers(), st.floats(), st.lists(st.integers(), max_size=2))


def ids(api: Charlie) -> set[str]:
    return {
        row[0]
        for row in api.backend.store.graph(api.journals.get()).read("MATCH (e:Episode) RETURN e.id")
    }


def corrupt(data: st.DataObject, raw: bytes) -> bytes:
    """The bytes as they are, truncated, or with some bytes overwritten."""
    how = data.draw(st.sampled_from(["keep", "keep", "truncate", "overwrite"]))
    if how == "truncate" and raw:
        return raw[: data.draw(st.integers(0, len(raw) - 1))]
    if how == "overwrite" and raw:
        at = data.draw(st.integers(0, len(raw) - 1))
        patch = data.draw(st.binary(min_size=1, max_size=8))
        return raw[:at] + patch + raw[at + len(patch) :]
    return raw


def import_checked(api: Charlie, name: str, source: Path, **kwargs: Any) -> ImportSummary | None:
    """Import and check the invariants; None when the source was refused as a whole."""
    before = ids(api)
    queued_before = api.queue.job_counts()["queued"]
    try:
        summary = run_import(api.backend, name, source, **kwargs)
    except ImportSourceError as exc:
        event(f"{name}: source refused")
        assert str(exc).strip()
        assert ids(api) == before, "a refused source must write nothing"
        assert api.queue.job_counts()["queued"] == queued_before
        return None
    event(f"{name}: {'added some' if summary.added else 'added none'}")
    event(f"{name}: {'rejected some' if summary.rejected else 'rejected none'}")
    event(f"{name}: {'skipped some' if summary.skipped else 'skipped none'}")
    after = ids(api)
    assert summary.added + summary.skipped + len(summary.rejected) == summary.total
    assert len(summary.added_ids) == summary.added
    if kwargs.get("dry_run"):
        assert after == before
    else:
        assert before <= after and after - before == set(summary.added_ids)
        assert api.queue.job_counts()["queued"] == queued_before + summary.added
        journal_id = api.journals.get().id
        for entry_id in summary.added_ids:
            record = api.backend.jobs.get(f"enrich:{journal_id}:{entry_id}")
            assert record is not None and record.priority == BACKLOG
    for rejected in summary.rejected:
        assert rejected.where.strip() and rejected.reason.strip()
        (rejected.where + rejected.reason).encode("utf-8")  # printable as is
    return summary


sound_text = st.text(min_size=1, max_size=200).filter(lambda s: s.strip())
sound_dayone = st.fixed_dictionaries(
    {
        "uuid": st.uuids().map(lambda u: u.hex.upper()),
        "creationDate": st.datetimes(
            datetime(1900, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)
        ).map(lambda d: d.isoformat()),
        "text": sound_text,
    },
    optional={"timeZone": zones},
)
dayone_entries = st.one_of(
    sound_dayone,
    sound_dayone,
    st.fixed_dictionaries(
        {"creationDate": dates, "text": texts},
        optional={"uuid": st.one_of(st.uuids().map(str), wild_text, junk), "timeZone": zones},
    ),
    junk,
)


@EXAMPLES
@given(data=st.data(), entries=st.lists(dayone_entries, max_size=8), ascii_only=st.booleans())
def test_dayone_json_never_crashes_or_half_imports(
    api: Charlie, data: st.DataObject, entries: list[Any], ascii_only: bool
) -> None:
    doc = {"metadata": {"version": "1.0"}, "entries": entries}
    raw = json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "Journal.json"
        source.write_bytes(corrupt(data, raw))
        import_checked(api, "dayone", source)


member_names = st.one_of(
    st.sampled_from(["Journal.json", "Work.json", "Travel.json", "export/Journal.json"]),
    st.sampled_from(
        [
            "../up.json",
            "/abs.json",
            "a/../../b.json",
            "C:\\x.json",
            "photos/p.jpeg",
            "__MACOSX/._Journal.json",
            ".hidden.json",
        ]
    ),
    st.text("abc./\\-", min_size=1, max_size=10).map(lambda s: s + ".json"),
)


@EXAMPLES
@given(
    data=st.data(),
    members=st.lists(
        st.tuples(
            member_names,
            st.lists(dayone_entries, min_size=1, max_size=3),
            st.sampled_from([True, True, False]),
        ),
        min_size=1,
        max_size=4,
        unique_by=lambda m: m[0],
    ),
)
def test_dayone_zip_never_crashes_or_half_imports(
    api: Charlie, data: st.DataObject, members: list[tuple[str, list[Any], bool]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "Export.zip"
        with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, entries, valid in members:
                payload = (
                    json.dumps({"entries": entries}).encode()
                    if valid
                    else data.draw(st.binary(max_size=200))
                )
                archive.writestr(name, payload)
        source.write_bytes(corrupt(data, source.read_bytes()))
        before = sorted(os.listdir(tmp))
        import_checked(api, "dayone", source)
        assert sorted(os.listdir(tmp)) == before


sound_jrnl = st.fixed_dictionaries(
    {
        "date": st.dates(min_value=date(1900, 1, 1)).map(str),
        "time": st.times().map(lambda t: t.strftime("%H:%M")),
        "title": st.text(max_size=80).map(lambda s: s.replace("\n", " ")),
        "body": sound_text,
    }
)
jrnl_entries = st.one_of(
    sound_jrnl,
    sound_jrnl,
    st.fixed_dictionaries(
        {"date": st.one_of(st.dates().map(str), wild_text, junk)},
        optional={
            "time": st.one_of(st.times().map(lambda t: t.strftime("%H:%M")), wild_text, junk),
            "title": st.one_of(texts, junk),
            "body": st.one_of(texts, junk),
            "starred": st.booleans(),
        },
    ),
    junk,
)


@EXAMPLES
@given(data=st.data(), entries=st.lists(jrnl_entries, max_size=8), wrap=st.booleans())
def test_jrnl_never_crashes_or_half_imports(
    api: Charlie, data: st.DataObject, entries: list[Any], wrap: bool
) -> None:
    doc: Any = {"tags": {}, "entries": entries} if wrap else entries
    raw = json.dumps(doc).encode()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "journal.json"
        source.write_bytes(corrupt(data, raw))
        summary = import_checked(api, "jrnl", source)
        assert wrap or summary is None, "a bare list is not a jrnl export"


front_keys = st.sampled_from(["date", "title", "id", "timezone", "journal", "Date", "tags"])
front_values = st.one_of(
    iso_dates,
    st.sampled_from(['"2024-01-02"', "2024-01-02 03:04", "'quoted'", '"\\x85 \\u2028"', ""]),
    zones,
    wild_text.map(lambda s: s.replace("\n", " ")),
)


@st.composite
def file_contents(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "text", "front", "rtf"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    body = draw(texts)
    if kind == "front":
        fields = draw(st.lists(st.tuples(front_keys, front_values), max_size=5))
        head = "".join(f"{k}: {v}\n" for k, v in fields)
        closing = draw(st.sampled_from(["---\n", "...\n", ""]))
        body = f"---\n{head}{closing}{body}"
    if kind == "rtf":
        body = "{\\rtf1\\ansi " + body.replace("\\", "\\\\") + "\\par}"
    return body.encode(draw(st.sampled_from(["utf-8", "utf-16", "utf-8-sig"])), "surrogatepass")


file_names = st.tuples(
    st.sampled_from(["", "sub/", "sub/deeper/", ".hidden/", "2024/"]),
    st.one_of(
        st.sampled_from(["2024-03-05 0730 x", "2024-13-40", "2023-07-14T18-45", ".dot", "note"]),
        st.text("abcxyz019- _.", min_size=1, max_size=12),
    ),
    st.sampled_from([".md", ".markdown", ".txt", ".rtf", ".MD", ".png"]),
).map(lambda t: "".join(t))


@EXAMPLES
@given(
    files=st.dictionaries(
        file_names, st.tuples(file_contents(), st.integers(0, 2**32)), max_size=8
    ),
    recursive=st.booleans(),
)
def test_files_never_crash_or_half_import_and_dry_run_predicts(
    api: Charlie, files: dict[str, tuple[bytes, int]], recursive: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "notes"
        root.mkdir()
        for name, (content, mtime) in files.items():
            path = root / name
            if path.name in (".", "..") or any(p in (".", "..") for p in Path(name).parts):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():
                continue
            path.write_bytes(content)
            os.utime(path, (mtime, mtime))
        preview = import_checked(api, "files", root, recursive=recursive, dry_run=True)
        real = import_checked(api, "files", root, recursive=recursive)
        if preview is None or real is None:
            assert preview is None and real is None
            return
        assert (preview.added, preview.skipped, len(preview.rejected)) == (
            real.added,
            real.skipped,
            len(real.rejected),
        )
        again = import_checked(api, "files", root, recursive=recursive)
        assert again is not None and again.added == 0


@EXAMPLES
@given(raw=st.binary(max_size=3000), suffix=st.sampled_from([".json", ".zip", ".md", ".txt"]))
def test_random_bytes_never_crash_any_importer(api: Charlie, raw: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"source{suffix}"
        source.write_bytes(raw)
        for name in ("dayone", "jrnl", "files"):
            import_checked(api, name, source)
