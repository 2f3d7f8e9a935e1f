"""distmatch.sweep.manifest: <out>/manifest.json round-trips, merges sessions and specs without
losing a record, and a corrupted manifest is refused, never silently replaced."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from distmatch.io import FileFormatError
from distmatch.sweep.manifest import MANIFEST, Manifest, now, read_manifest
from distmatch.sweep.spec import SweepSpec


def _spec(objectives=("mmd", "minimax"), seeds=(0,), **options) -> SweepSpec:
    return SweepSpec(list(objectives), ["ring"], list(seeds), {"steps": 4, **options})


def _manifest(out, spec: SweepSpec, workers: int = 1) -> Manifest:
    return Manifest(out, spec, spec.runs(), {"backend": "local", "workers": workers})


def test_no_manifest_reads_as_empty(tmp_path):
    assert read_manifest(tmp_path) == {}


def test_round_trip_with_counts_and_session(tmp_path):
    spec = _spec(seeds=(0, 1))
    m = _manifest(tmp_path, spec, workers=2)
    m.update("mmd/ring/s0", {"status": "completed", "wall_seconds": 1.5})
    m.update("minimax/ring/s1", {"status": "failed", "error": "TrainingDiverged: x"})
    m.finish()
    data = read_manifest(tmp_path)
    assert data == json.loads(json.dumps(m.data))  # what is on disk is the manifest, exactly
    assert data["counts"] == data["counts_all"] == {"completed": 1, "failed": 1, "pending": 2}
    assert [r["key"] for r in data["runs"]] == ["mmd/ring/s0", "minimax/ring/s0", "mmd/ring/s1", "minimax/ring/s1"]
    run = data["runs"][0]
    assert run == {"key": "mmd/ring/s0", "objective": "mmd", "dataset": "ring", "seed": 0, "dir": "mmd/ring/s0",
                   "status": "completed", "error": None, "wall_seconds": 1.5}
    assert data["spec"] == data["specs"][0] == spec.to_dict()
    (session,) = data["sessions"]
    assert session["workers"] == 2 and session["spec"] == 0 and session["interrupted"] is False
    assert data["start"] == session["start"] and data["end"] == session["end"] is not None
    assert set(data["provenance"]) >= {"commit", "torch", "time"}
    assert [p.name for p in tmp_path.iterdir()] == [MANIFEST]  # written atomically: no temp file left


def test_an_interrupted_session_is_recorded(tmp_path):
    m = _manifest(tmp_path, _spec())
    m.update("mmd/ring/s0", {"status": "completed"})
    assert read_manifest(tmp_path)["sessions"][-1]["end"] is None  # killed now: the record so far is kept
    m.finish(interrupted=True)
    assert read_manifest(tmp_path)["sessions"][-1]["interrupted"] is True


def test_a_new_spec_is_merged_and_earlier_records_are_kept(tmp_path):
    first = _manifest(tmp_path, _spec(("mmd", "minimax")))
    first.update("mmd/ring/s0", {"status": "completed", "wall_seconds": 2.0, "resumed_from": 3})
    first.update("minimax/ring/s0", {"status": "failed", "error": "boom"})
    first.finish()

    second = _manifest(tmp_path, _spec(("mmd", "wgan-gp")))  # one run shared, one new; minimax not in it
    second.write()
    data = read_manifest(tmp_path)
    runs = {r["key"]: r for r in data["runs"]}
    assert set(runs) == {"mmd/ring/s0", "minimax/ring/s0", "wgan-gp/ring/s0"}
    assert runs["mmd/ring/s0"]["status"] == "completed" and runs["mmd/ring/s0"]["resumed_from"] == 3
    assert runs["minimax/ring/s0"]["error"] == "boom" and runs["wgan-gp/ring/s0"]["status"] == "pending"
    assert data["counts"] == {"completed": 1, "failed": 0, "pending": 1}  # this spec's runs
    assert data["counts_all"] == {"completed": 1, "failed": 1, "pending": 1}
    assert data["specs"] == [_spec(("mmd", "minimax")).to_dict(), _spec(("mmd", "wgan-gp")).to_dict()]
    assert [s["spec"] for s in data["sessions"]] == [0, 1]

    third = _manifest(tmp_path, _spec(("mmd", "minimax")))  # the first spec again: not stored twice
    third.write()
    data = read_manifest(tmp_path)
    assert len(data["specs"]) == 2 and [s["spec"] for s in data["sessions"]] == [0, 1, 0]


def test_a_manifest_with_only_the_old_single_spec_key_is_read(tmp_path):
    old = _spec(("minimax",))
    (tmp_path / MANIFEST).write_text(json.dumps({"spec": old.to_dict(), "runs": [], "sessions": []}))
    m = _manifest(tmp_path, _spec(("mmd",)))
    assert m.specs == [old.to_dict(), _spec(("mmd",)).to_dict()] and m.session["spec"] == 1


@pytest.mark.parametrize("text,message", [
    ('{"runs": [', "not valid JSON"),
    ("[]", "expected a JSON object"),
    ('{"runs": {"a": 1}}', "not a distmatch sweep manifest"),
    ('{"runs": [{"status": "completed"}]}', "not a distmatch sweep manifest"),
    ('{"runs": [], "sessions": [1]}', "not a distmatch sweep manifest"),
])
def test_a_corrupted_manifest_is_refused_and_left_alone(tmp_path, text, message):
    path = tmp_path / MANIFEST
    path.write_text(text)
    with pytest.raises(FileFormatError) as exc:
        read_manifest(tmp_path)
    assert message in str(exc.value) and str(path) in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(FileFormatError):
        _manifest(tmp_path, _spec())
    assert path.read_text() == text


def test_now_is_utc_iso_seconds():
    stamp = dt.datetime.fromisoformat(now())
    assert stamp.utcoffset() == dt.timedelta(0) and stamp.microsecond == 0
    assert abs((dt.datetime.now(dt.timezone.utc) - stamp).total_seconds()) < 60


@pytest.mark.parametrize("data", [
    {"runs": [], "sessions": [], "specs": "x"},
    {"runs": [{"key": "wgan-gp/ring/s0"}], "sessions": []},  # a run of another spec
    {"runs": [], "sessions": [{"end": None}]},
], ids=["specs-a-string", "run-without-status", "session-without-start"])
def test_every_malformed_manifest_is_a_file_format_error(tmp_path, data):
    (tmp_path / MANIFEST).write_text(json.dumps(data))
    with pytest.raises(FileFormatError, match="manifest"):
        _manifest(tmp_path, _spec()).write()
