"""distmatch.training: train_into trains, resumes or continues a run under its lock, then draws the
run's figures; whoever starts a run (CLI, API, sweep worker) gets the same directory."""

from __future__ import annotations

import pytest

from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.rundir import RunDir, RunDirError
from distmatch.training import Outcome, train_into

TINY = {"steps": 12, "batch_size": 32, "width": 16, "depth": 2, "eval_every": 4, "eval_samples": 200}


# ----------------------------------------------------------------------------- moved from test_trainer.py
def test_train_into_draws_the_figures_and_reports_a_finished_run(tmp_path):
    from distmatch.rundir import RunDir
    from distmatch.training import train_into

    ds = get_dataset("8gaussians")
    cfg = resolve(RunConfig(**TINY), ds)
    rundir = RunDir(tmp_path / "r")
    outcome = train_into(rundir, cfg, ds)
    assert outcome.summary["status"] == "completed" and outcome.resumed_from is None
    figures = {name: (tmp_path / "r" / "figures" / name).read_bytes() for name in ("samples.png", "curves.png")}
    from distmatch.report.plots import plot_run

    plot_run(tmp_path / "r")  # drawn again from the directory alone (`distmatch plot`): the same bytes
    assert all((tmp_path / "r" / "figures" / name).read_bytes() == data for name, data in figures.items())
    again = train_into(rundir, cfg, ds, mode="resume")
    assert again.summary is None and "nothing to do" in again.message


def test_continue_starts_fresh_then_resumes_where_the_run_stopped(tmp_path):
    ds = get_dataset("ring")
    rundir = RunDir(tmp_path / "r")
    resumed = []
    short = resolve(RunConfig(**{**TINY, "dataset": "ring", "steps": 4, "eval_every": 2}), ds)
    first = train_into(rundir, short, ds, mode="continue", figures=False, on_resume=resumed.append)
    assert first.resumed_from is None and first.summary["step"] == 4 and resumed == []
    assert not rundir.figures.exists()  # figures=False draws nothing
    longer = resolve(RunConfig(**{**TINY, "dataset": "ring", "steps": 6, "eval_every": 2}), ds)
    second = train_into(rundir, longer, ds, mode="continue", figures=False, on_resume=resumed.append)
    assert second == Outcome(second.summary, 4) and resumed == [4]  # the callback sees the step before training
    assert second.summary["step"] == 6 and [r["step"] for r in rundir.read_metrics()] == [0, 2, 4, 6]


def test_new_refuses_a_directory_that_holds_a_run_and_leaves_it_alone(tmp_path):
    ds = get_dataset("ring")
    cfg = resolve(RunConfig(**{**TINY, "dataset": "ring", "steps": 2, "eval_every": 2}), ds)
    rundir = RunDir(tmp_path / "r")
    train_into(rundir, cfg, ds, figures=False)
    before = {p.name: p.read_bytes() for p in rundir.path.iterdir() if p.is_file()}
    with pytest.raises(RunDirError, match="already holds a run"):
        train_into(rundir, cfg, ds, mode="new", figures=False)
    assert {p.name: p.read_bytes() for p in rundir.path.iterdir() if p.is_file()} == before


def test_tensorboard_is_checked_before_anything_is_written(tmp_path, monkeypatch):
    import distmatch.tensorboard_log as tb

    def missing():
        raise tb.TensorBoardUnavailable(tb.INSTALL_HINT)

    monkeypatch.setattr(tb, "require_tensorboard", missing)
    ds = get_dataset("ring")
    cfg = resolve(RunConfig(**{**TINY, "dataset": "ring", "tensorboard": True}), ds)
    with pytest.raises(tb.TensorBoardUnavailable, match="pip install"):
        train_into(RunDir(tmp_path / "r"), cfg, ds)
    assert not (tmp_path / "r").exists()
