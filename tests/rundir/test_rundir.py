"""RunDir: start/resume/overwrite rules, the only deleter, and its lock across real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from distmatch.config import RunConfig
from distmatch.rundir import LOCK, RunDir, RunDirError, exclusive_lock

CFG = RunConfig(objective="mmd", dataset="ring", seed=0, steps=4)


def fake_run(path: Path) -> RunDir:
    """A directory that holds a run: config.json, a log and a figure."""
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"objective": "mmd", "dataset": "ring", "seed": 0, "steps": 4}))
    (path / "metrics.jsonl").write_text('{"step": 0}\n')
    (path / "figures").mkdir()
    (path / "figures" / "samples.png").write_bytes(b"png")
    return RunDir(path)


def test_new_run_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.txt").write_text("mine")
    with pytest.raises(RunDirError, match="holds no distmatch run"):
        RunDir(tmp_path / "d").check_start(CFG, "new")
    assert RunDir(tmp_path / "absent").check_start(CFG, "new") is False


def test_clear_deletes_only_the_runs_own_files(tmp_path):
    rd = fake_run(tmp_path / "r")
    (rd.path / ".checkpoint.pt.abc.tmp.pt").write_bytes(b"left by a kill mid-write")
    rd.clear()
    assert list(rd.path.iterdir()) == []


def test_clear_refuses_foreign_files_and_deletes_nothing(tmp_path):
    rd = fake_run(tmp_path / "r")
    (rd.path / "notes.md").write_text("mine")
    before = sorted(p.name for p in rd.path.rglob("*"))
    with pytest.raises(RunDirError, match="notes.md"):
        rd.clear()
    assert sorted(p.name for p in rd.path.rglob("*")) == before


@pytest.mark.parametrize("where", ["cwd", "home", "parent-of-cwd"])
def test_clear_never_touches_protected_directories(tmp_path, monkeypatch, where):
    rd = fake_run(tmp_path / "r")
    if where == "cwd":
        monkeypatch.chdir(rd.path)
    elif where == "home":
        monkeypatch.setenv("HOME", str(rd.path))
    else:
        (rd.path / "sub").mkdir()
        monkeypatch.chdir(rd.path / "sub")
    with pytest.raises(RunDirError, match="refusing to delete"):
        rd.clear()
    assert rd.config.exists()


def test_session_removes_a_directory_it_created_when_left_empty(tmp_path):
    rd = RunDir(tmp_path / "new" / "run")
    with pytest.raises(RuntimeError):
        with rd.session(CFG, "new"):
            assert (rd.path / LOCK).exists()
            raise RuntimeError("the run failed before writing anything")
    assert not rd.path.exists()


def test_resume_without_checkpoint_empties_the_log(tmp_path):
    rd = fake_run(tmp_path / "r")
    assert rd.resume_state(CFG) is None
    assert rd.metrics.read_text() == ""


def test_lock_is_exclusive_within_and_released_after(tmp_path):
    path = tmp_path / LOCK
    with exclusive_lock(path, "thing"):
        with pytest.raises(RunDirError, match=f"pid {os.getpid()}"):
            with exclusive_lock(path, "thing"):
                pass
    assert not path.exists()
    with exclusive_lock(path, "thing"):
        pass


def _start_run(out: Path, steps: int, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "distmatch.cli", "run", "--dataset", "ring", "--steps", str(steps),
            "--batch-size", "32", "--width", "8", "--eval-every", "50", "--eval-samples", "100", "--quiet",
            "--out", str(out), *extra]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, proc: subprocess.Popen, timeout: float = 60) -> None:
    t0 = time.time()
    while not predicate():
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < timeout
        time.sleep(0.05)


def test_two_processes_same_out_then_kill_and_resume(tmp_path):
    out = tmp_path / "r"
    first = _start_run(out, 100_000)
    _wait_for(lambda: (out / "checkpoint.pt").exists(), first)
    second = _start_run(out, 100_000, "--overwrite")  # must not delete a run that is training
    _, err = second.communicate(timeout=120)
    assert second.returncode == 1 and "in use by another distmatch process" in err and "Traceback" not in err
    first.send_signal(signal.SIGKILL)  # the lock file stays behind, but the kernel released the lock
    first.wait()
    assert (out / LOCK).exists()
    import torch
    at = torch.load(out / "checkpoint.pt", weights_only=True)["step"]
    cfg = json.loads((out / "config.json").read_text())
    resumed = subprocess.run([sys.executable, "-m", "distmatch.cli", "run", "--dataset", "ring", "--steps", str(at + 10),
                              "--batch-size", "32", "--width", "8", "--eval-every", "50", "--eval-samples", "100",
                              "--quiet", "--out", str(out), "--resume"], capture_output=True, text=True, timeout=300)
    # steps is a runtime field: the killed 100,000-step run may be finished with a smaller total
    # (not below its checkpoint's step).
    assert resumed.returncode == 0, resumed.stderr
    assert "stale lock" in resumed.stderr and f"pid {first.pid}" in resumed.stderr
    assert json.loads((out / "summary.json").read_text())["status"] == "completed"
    assert cfg["seed"] == 0 and not (out / LOCK).exists()
