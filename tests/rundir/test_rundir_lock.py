"""distmatch.rundir_lock: the flock with its holder record, stale-holder takeover, and the locked session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from distmatch import rundir, rundir_lock
from distmatch.config import RunConfig
from distmatch.rundir import LOCK, RunDir, RunDirError
from distmatch.rundir_lock import exclusive_lock, session

CFG = RunConfig(objective="mmd", dataset="ring", seed=0, steps=4)

HOLDER = """
import sys, time
from pathlib import Path
from distmatch.rundir_lock import exclusive_lock
with exclusive_lock(Path(sys.argv[1]), "probe"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_another_process_is_named_then_its_stale_record_is_taken_over(tmp_path):
    path = tmp_path / LOCK
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert f"pid {holder.pid} on " in path.read_text()
        busy = f"in use by another distmatch process \\(pid {holder.pid} on "
        with pytest.raises(RunDirError, match=busy), exclusive_lock(path, "thing"):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)  # the kernel drops the flock; the record stays behind
        holder.wait()
    assert f"pid {holder.pid} on " in path.read_text()
    notes: list[str] = []
    with exclusive_lock(path, "thing", on_stale=notes.append):
        assert path.read_text().startswith(f"pid {os.getpid()} on ")  # our record replaced the stale one
    assert len(notes) == 1 and "stale lock" in notes[0] and f"pid {holder.pid} on " in notes[0]
    assert not path.exists()


def test_stale_note_goes_to_stderr_by_default(tmp_path, capsys):
    path = tmp_path / LOCK
    path.write_text("pid 999999 on elsewhere, since 2020-01-01 00:00:00")
    started = time.time()
    with exclusive_lock(path, "sweep directory s"):
        pass
    err = capsys.readouterr().err
    assert "note: sweep directory s had a stale lock" in err and "pid 999999 on elsewhere" in err
    assert time.time() - started < 5  # taken over at once, no waiting


def _fake_run(path: Path) -> RunDir:
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"objective": "mmd", "dataset": "ring", "seed": 0, "steps": 4}))
    (path / "metrics.jsonl").write_text('{"step": 0}\n')
    return RunDir(path)


def test_session_continue_resumes_under_the_lock_and_overwrite_clears_first(tmp_path):
    rd = _fake_run(tmp_path / "r")
    with session(rd, CFG, "continue") as resuming:
        assert resuming is True and (rd.path / LOCK).exists() and rd.metrics.exists()
    assert not (rd.path / LOCK).exists() and rd.metrics.exists()
    with session(rd, CFG, "overwrite") as resuming:
        assert resuming is False and sorted(p.name for p in rd.path.iterdir()) == [LOCK]
    assert rd.path.is_dir() and list(rd.path.iterdir()) == []  # it existed before: kept, empty


def test_session_refuses_before_creating_anything(tmp_path):
    rd = RunDir(tmp_path / "absent")
    with pytest.raises(RunDirError, match="there is no run there"), session(rd, CFG, "resume"):
        pass
    assert not rd.path.exists()


def test_rundir_keeps_the_old_names_and_session_stays_lazy(tmp_path):
    assert rundir.exclusive_lock is rundir_lock.exclusive_lock
    rd = RunDir(tmp_path / "lazy")
    cm = rd.session(CFG, "new")
    assert not rd.path.exists()  # nothing runs before __enter__, as with the generator method it was
    with cm as resuming:
        assert resuming is False and (rd.path / LOCK).exists()
    assert not rd.path.exists()  # created by the session and left empty: removed
