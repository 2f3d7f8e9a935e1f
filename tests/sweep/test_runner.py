"""distmatch.sweep.runner: which runs a sweep still has to do, in what order, with how many threads,
and that one run never stops the sweep (its error becomes one line in the manifest)."""

from __future__ import annotations

import json
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import pytest

from distmatch.sweep import build_spec, runner, threads_per_worker
from distmatch.sweep.runner import (
    cap_threads,
    estimated_cost,
    execute_run,
    one_line_error,
    partition,
    run_sweep,
)
from distmatch.sweep.spec import RunSpec, SweepSpec


def _summary(run_dir, **fields) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "summary.json").write_text(json.dumps(fields))


# ----------------------------------------------------------------------------- moved from test_sweep.py, test_spec.py
def test_threads_per_worker():
    assert threads_per_worker(2, cores=2) == 1
    assert threads_per_worker(1, cores=8) == 8
    assert threads_per_worker(3, cores=8) == 2
    assert threads_per_worker(16, cores=2) == 1


def test_runs_are_ordered_longest_first():
    """The pool starts the costliest runs first: wgan-gp (5 critic steps per generator step) before
    minimax (1), before mmd with fewer steps; equal costs keep the grid order."""
    from distmatch.sweep.runner import estimated_cost, longest_first

    spec = build_spec(["mmd", "minimax", "wgan-gp"], ["8gaussians"], "0-1", {"steps": 100, "batch_size": 64})
    ordered = longest_first(spec.runs())
    assert [r.objective for r in ordered] == ["wgan-gp", "wgan-gp", "minimax", "minimax", "mmd", "mmd"]
    assert [r.seed for r in ordered[:2]] == [0, 1]
    costs = {r.objective: estimated_cost(r) for r in ordered}
    assert costs["wgan-gp"] == 100 * 6 * 64 and costs["minimax"] == 100 * 2 * 64 and costs["mmd"] == 100 * 64


# ----------------------------------------------------------------------------- threads
@pytest.mark.parametrize("default,cap,want", [(None, 3, 3), (0, 3, 3), (1, 3, 1), (8, 3, 3), (2, 2, 2)])
def test_cap_threads(default, cap, want):
    assert cap_threads(default, cap) == want


# ----------------------------------------------------------------------------- what is left to do
def test_partition_skips_finished_runs_and_continues_short_ones(tmp_path):
    spec = SweepSpec(["mmd"], ["ring"], [0, 1, 2, 3, 4], {"steps": 4})
    runs = spec.runs()
    _summary(runs[0].directory(tmp_path), status="completed", step=4)
    _summary(runs[1].directory(tmp_path), status="completed", step=2)  # the spec now asks for more steps
    _summary(runs[2].directory(tmp_path), status="diverged", step=1, error="loss is NaN at step 1")
    runs[3].directory(tmp_path).mkdir(parents=True)
    (runs[3].directory(tmp_path) / "summary.json").write_text("{broken")  # unreadable: trained again
    done, todo = partition(runs, tmp_path, retry_failed=False)
    assert done == {"mmd/ring/s0": {"status": "completed", "error": None, "skipped": True},
                    "mmd/ring/s2": {"status": "failed", "error": "TrainingDiverged: loss is NaN at step 1",
                                    "skipped": True}}
    assert [r.seed for r in todo] == [1, 3, 4]  # equal costs keep the grid order
    done, todo = partition(runs, tmp_path, retry_failed=True)
    assert list(done) == ["mmd/ring/s0"] and [r.seed for r in todo] == [1, 2, 3, 4]


def test_a_completed_run_counts_as_finished_when_the_spec_sets_no_steps(tmp_path):
    run = RunSpec("mmd", "ring", 0)
    _summary(run.directory(tmp_path), status="completed", step=2)
    assert runner.completed_summary(run.directory(tmp_path)) == {"status": "completed", "step": 2}
    assert runner.diverged_error(run.directory(tmp_path)) is None
    done, todo = partition([run], tmp_path, retry_failed=False)
    assert list(done) == ["mmd/ring/s0"] and todo == []
    assert runner.completed_summary(tmp_path / "nowhere") is None and runner.diverged_error(tmp_path / "nowhere") is None


def test_each_dataset_is_read_once_when_ordering(monkeypatch):
    import distmatch.data

    calls = []
    real = distmatch.data.get_dataset
    monkeypatch.setattr(distmatch.data, "get_dataset", lambda *a: calls.append(a) or real(*a))
    spec = SweepSpec(["mmd", "minimax", "wgan-gp"], ["ring"], [0, 1], {"steps": 10})
    runner.longest_first(spec.runs())
    assert len(calls) == 2  # once per (dataset, data dir, seed), not once per run


def test_a_run_that_cannot_be_resolved_costs_nothing():
    assert estimated_cost(RunSpec("mmd", "no-such-dataset", 0, {"steps": 10})) == 0.0
    assert estimated_cost(RunSpec("mmd", "ring", 0, {"steps": 10, "batch_size": 8})) == 10 * 8


# ----------------------------------------------------------------------------- one run, never raising
def test_one_line_error():
    assert one_line_error(ValueError("bad\n   value\tthere")) == "ValueError: bad value there"
    assert one_line_error(KeyError()) == "KeyError"
    long = one_line_error(RuntimeError("x" * 1000))
    assert len(long) == 300 and long.startswith("RuntimeError: xxx")


def test_execute_run_records_a_failure_instead_of_raising(tmp_path):
    record = execute_run(RunSpec("mmd", "no-such-dataset", 0, {"steps": 2}), str(tmp_path), threads=1)
    assert record["status"] == "failed" and record["resumed_from"] is None
    assert record["error"].startswith("DataError: ") and "no-such-dataset" in record["error"]
    assert "\n" not in record["error"] and record["wall_seconds"] >= 0


def test_a_worker_whose_code_changed_refuses_the_run_before_touching_it(tmp_path, monkeypatch):
    def never(*args):
        raise AssertionError("trained with changed code")

    monkeypatch.setattr(runner, "_train_run", never)
    record = execute_run(RunSpec("mmd", "ring", 0, {"steps": 2}), str(tmp_path), threads=1, code="0" * 16)
    assert record["status"] == "failed" and record["error"].startswith("CodeChanged: the distmatch code changed")
    assert "\n" not in record["error"] and list(tmp_path.iterdir()) == []


def test_a_worker_with_the_sweeps_code_trains(tmp_path, monkeypatch):
    from distmatch.provenance import code_fingerprint

    monkeypatch.setattr(runner, "_train_run", lambda run, out, threads, device: {"status": "completed", "resumed_from": None})
    record = execute_run(RunSpec("mmd", "ring", 0, {"steps": 2}), str(tmp_path), threads=1, code=code_fingerprint())
    assert record["status"] == "completed" and record["error"] is None


def test_execute_run_lets_ctrl_c_through(tmp_path, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_train_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        execute_run(RunSpec("mmd", "ring", 0), str(tmp_path), threads=1)


def test_execute_run_continues_the_run_on_cpu_with_capped_threads(tmp_path, monkeypatch):
    import torch

    import distmatch.training
    from distmatch.training import Outcome

    seen = {}

    def fake_train_into(rundir, cfg, dataset, mode):
        seen.update(dir=rundir.path, threads=cfg.threads, device=cfg.device, mode=mode, torch=torch.get_num_threads())
        return Outcome({"status": "completed"}, resumed_from=5)

    monkeypatch.setattr(distmatch.training, "train_into", fake_train_into)
    before = torch.get_num_threads()
    try:
        run = RunSpec("mmd", "ring", 0, {"steps": 2, "threads": 4})
        record = execute_run(run, str(tmp_path), threads=1)
    finally:
        torch.set_num_threads(before)  # a worker sets its own thread count; this test runs in-process
    assert record["status"] == "completed" and record["error"] is None and record["resumed_from"] == 5
    assert seen == {"dir": run.directory(tmp_path), "threads": 1, "device": "cpu", "mode": "continue", "torch": 1}


def test_a_lost_worker_is_a_failed_record():
    broken, other = Future(), Future()
    broken.set_exception(BrokenProcessPool("gone"))
    other.set_exception(TypeError("cannot pickle\n'lock'"))
    assert runner._result(broken)["status"] == "failed" and "re-run the sweep" in runner._result(broken)["error"]
    assert runner._result(other) == {"status": "failed", "error": "TypeError: cannot pickle 'lock'"}


# ----------------------------------------------------------------------------- the sweep
def test_a_sweep_with_every_run_finished_starts_no_worker(tmp_path, monkeypatch):
    spec = SweepSpec(["mmd", "minimax"], ["ring"], [0], {"steps": 4})
    for run in spec.runs():
        _summary(run.directory(tmp_path), status="completed", step=4)
    monkeypatch.setattr(runner, "ProcessPoolExecutor", None)  # would fail if a pool were started
    manifest = run_sweep(spec, tmp_path, workers=2, progress=False)
    assert manifest["counts"] == {"completed": 2, "failed": 0, "pending": 0}
    assert all(r["skipped"] for r in manifest["runs"]) and manifest["sessions"][-1]["interrupted"] is False
    assert manifest["sessions"][-1]["threads_per_worker"] == threads_per_worker(2)
    from distmatch.provenance import code_fingerprint
    assert manifest["sessions"][-1]["code"] == code_fingerprint()  # the code this session ran


def test_execute_run_trains_on_the_sweeps_device(tmp_path, monkeypatch):
    """--device cuda reaches the run's settings (resolve keeps it; the trainer checks CUDA at start)."""
    import distmatch.training
    from distmatch.training import Outcome

    seen = {}

    def fake_train_into(rundir, cfg, dataset, mode):
        seen["device"] = cfg.device
        return Outcome({"status": "completed"}, resumed_from=None)

    monkeypatch.setattr(distmatch.training, "train_into", fake_train_into)
    record = execute_run(RunSpec("mmd", "ring", 0, {"steps": 2}), str(tmp_path), threads=1, device="cuda")
    assert record["status"] == "completed" and seen == {"device": "cuda"}


def test_run_sweep_refuses_an_unknown_device_and_records_the_device(tmp_path):
    spec = build_spec("mmd", "ring", "0", run_options={"steps": 2, "eval_every": 2})
    with pytest.raises(ValueError, match="unknown sweep device 'tpu'"):
        run_sweep(spec, tmp_path / "a", device="tpu")
    assert not (tmp_path / "a").exists()
    manifest = run_sweep(spec, tmp_path / "b", workers=1, progress=False)
    assert manifest["sessions"][-1]["device"] == "cpu" and manifest["counts"]["completed"] == 1


def test_the_fork_server_preloads_modules_that_exist():
    """A misspelt preload would be skipped silently by the fork server (it ignores ImportError)."""
    import importlib

    for name in runner.PRELOAD:
        assert importlib.import_module(name).__name__ == name
