"""End-to-end sweeps: grid of run dirs, manifest, skip-on-rerun, failures recorded, kill + resume."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from distmatch.sweep import threads_per_worker
from distmatch.sweep.cli import sweep

from .conftest import GRID, TINY_SETS


def test_sweep_writes_run_dirs_and_manifest(small_sweep):
    manifest = json.loads((small_sweep / "manifest.json").read_text())
    assert manifest["counts"] == {"completed": 4, "failed": 0, "pending": 0}
    assert manifest["spec"]["run_options"]["steps"] == 4
    assert manifest["provenance"]["commit"] is None or len(manifest["provenance"]["commit"]) == 40
    assert manifest["start"] and manifest["end"] and manifest["wall_seconds"] > 0
    assert manifest["sessions"][-1]["interrupted"] is False
    assert manifest["sessions"][-1]["workers"] == 2
    for run in manifest["runs"]:
        run_dir = small_sweep / run["objective"] / run["dataset"] / f"s{run['seed']}"
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["status"] == "completed" and summary["config"]["eval_samples"] == 100
        assert summary["config"]["threads"] == threads_per_worker(2)
        assert run["status"] == "completed" and run["error"] is None and run["wall_seconds"] > 0


def test_rerun_skips_completed_runs(small_sweep):
    summaries = sorted(small_sweep.glob("*/*/s*/summary.json"))
    before = {p: p.stat().st_mtime_ns for p in summaries}
    result = CliRunner().invoke(sweep, GRID + TINY_SETS + ["--workers", "2", "--out", str(small_sweep), "--quiet"])
    assert result.exit_code == 0, result.output
    assert {p: p.stat().st_mtime_ns for p in summaries} == before
    manifest = json.loads((small_sweep / "manifest.json").read_text())
    assert all(r["skipped"] for r in manifest["runs"])
    assert len(manifest["sessions"]) == 2


def test_failed_run_is_recorded_and_sweep_continues(tmp_path):
    # SGD at lr 10 with λ = 1e6 sends wgan-gp's losses to NaN at step 1; mmd (no penalty) survives 4 steps.
    out = tmp_path / "sw"
    args = ["--objectives", "wgan-gp,mmd", "--datasets", "ring", "--seeds", "0", "--steps", "4",
            "--set", "gp_weight=1e6", "--set", "lr=10", "--set", "optimizer=sgd", "--out", str(out), "--quiet"]
    result = CliRunner().invoke(sweep, args + TINY_SETS)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    runs = {r["objective"]: r for r in json.loads((out / "manifest.json").read_text())["runs"]}
    assert runs["mmd"]["status"] == "completed"
    assert runs["wgan-gp"]["status"] == "failed"
    assert runs["wgan-gp"]["error"].startswith("TrainingDiverged: training diverged at step 1")
    assert "\n" not in runs["wgan-gp"]["error"]
    # A re-run keeps the diverged run failed (no retraining) unless --retry-failed.
    result = CliRunner().invoke(sweep, args + TINY_SETS)
    assert result.exit_code == 1
    runs = {r["objective"]: r for r in json.loads((out / "manifest.json").read_text())["runs"]}
    assert runs["wgan-gp"]["skipped"] and runs["wgan-gp"]["status"] == "failed"


def _wait_for(predicate, timeout: float, proc: subprocess.Popen) -> None:
    t0 = time.time()
    while not predicate():
        if proc.poll() is not None:
            pytest.fail(f"sweep ended (rc {proc.returncode}) before it could be killed")
        if time.time() - t0 > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("timed out waiting for the sweep")
        time.sleep(0.05)


def test_kill_mid_sweep_then_resume_loses_no_completed_run(tmp_path):
    out = tmp_path / "sw"
    args = ["--objectives", "mmd", "--datasets", "ring", "--seeds", "0-1", "--steps", "600",
            "--set", "eval_every=300", "--set", "checkpoint_every=20", *TINY_SETS, "--out", str(out), "--quiet"]
    cmd = [sys.executable, "-m", "distmatch.sweep.cli", "sweep", *args, "--workers", "1"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first, second = out / "mmd/ring/s0", out / "mmd/ring/s1"
    _wait_for(lambda: (first / "summary.json").exists(), 300, proc)
    _wait_for(lambda: (second / "checkpoint.pt").exists(), 120, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: sweep and its worker
    proc.wait()
    interrupted = not (second / "summary.json").exists()
    kept = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in first.iterdir() if p.is_file()}

    result = CliRunner().invoke(sweep, args + ["--workers", "1"])
    assert result.exit_code == 0, result.output
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in first.iterdir() if p.is_file()} == kept
    manifest = json.loads((out / "manifest.json").read_text())
    runs = {r["seed"]: r for r in manifest["runs"]}
    assert manifest["counts"]["completed"] == 2
    assert runs[0]["skipped"]
    if interrupted:
        assert runs[1]["resumed_from"] is not None and runs[1]["resumed_from"] > 0
    assert json.loads((second / "summary.json").read_text())["step"] == 600


def test_a_larger_steps_continues_completed_runs_from_their_checkpoints(tmp_path, tiny_sets):
    grid = ["--objectives", "nonsaturating", "--datasets", "ring", "--seeds", "0"]
    out = tmp_path / "grow"
    first = CliRunner().invoke(sweep, grid + tiny_sets + ["--steps", "4", "--out", str(out), "--quiet"])
    assert first.exit_code == 0, first.output
    grown = CliRunner().invoke(sweep, grid + tiny_sets + ["--steps", "8", "--out", str(out), "--quiet"])
    assert grown.exit_code == 0, grown.output
    run_dir = out / "nonsaturating" / "ring" / "s0"
    steps = [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert json.loads((run_dir / "summary.json").read_text())["step"] == 8 and steps[-1] == 8
    assert steps.count(4) == 1  # continued from the step-4 checkpoint, not retrained
    once = tmp_path / "once"
    direct = CliRunner().invoke(sweep, grid + tiny_sets + ["--steps", "8", "--out", str(once), "--quiet"])
    assert direct.exit_code == 0, direct.output
    import numpy as np
    same = np.load(once / "nonsaturating" / "ring" / "s0" / "samples.npy")
    np.testing.assert_array_equal(np.load(run_dir / "samples.npy"), same)  # constant lr: as if trained at once


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="checks the refusal on a machine without CUDA")
def test_device_cuda_without_a_gpu_is_refused_before_any_run(tmp_path):
    result = CliRunner().invoke(sweep, GRID + TINY_SETS + ["--device", "cuda", "--out", str(tmp_path / "s")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == "Error: --device cuda asked for, but no CUDA device is available"
    assert not (tmp_path / "s").exists()
