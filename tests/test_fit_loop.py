"""The training loop (distmatch.fit_loop): what it asks the trainer for and hands to the RunWriter, in order."""

import json

import pytest

from distmatch import fit_loop
from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.run_writer import RunWriter
from distmatch.trainer import Trainer, TrainingDiverged

TINY = {"steps": 8, "batch_size": 32, "width": 16, "depth": 2, "eval_every": 4, "eval_samples": 200}


def make(tmp_path, **kw):
    ds = get_dataset("8gaussians")
    return Trainer(resolve(RunConfig(**{**TINY, **kw}), ds), ds, tmp_path / "run", quiet=True)


def test_every_file_goes_through_the_writer(tmp_path, monkeypatch):
    """The loop's writes, in order: config, then per evaluation a record, grid and snapshot, a
    checkpoint at the end, then samples and summary."""
    calls = []
    for name in ("start", "log", "save_grid", "save_snapshot", "save_checkpoint", "close", "finish"):
        real = getattr(RunWriter, name)
        monkeypatch.setattr(RunWriter, name, lambda self, *a, _n=name, _r=real: (calls.append(_n), _r(self, *a))[1])
    summary = make(tmp_path, checkpoint_every=100).fit()
    evaluation = ["log", "save_grid", "save_snapshot"]
    assert calls == ["start", *evaluation * 3, "save_checkpoint", "close", "finish"]
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["step"] == summary["step"] == 8


def test_a_divergence_in_the_loop_is_recorded_by_the_writer(tmp_path, monkeypatch):
    trainer = make(tmp_path, checkpoint_every=2)
    real_step = trainer.train_step

    def diverging():
        real_step()
        if trainer.step == 3:
            raise TrainingDiverged("training diverged at step 3: g_loss = nan; no checkpoint was written yet",
                                   what="training diverged at step 3: g_loss = nan")

    trainer.train_step = diverging
    with pytest.raises(TrainingDiverged, match=r"step 3: g_loss = nan; last good checkpoint \(step 2\)"):
        fit_loop.fit(trainer)
    assert trainer.rundir.read_summary()["status"] == "diverged"
    assert trainer.rundir.read_checkpoint()["step"] == 2
