"""RunWriter (distmatch.run_writer): it alone writes the run directory; the Trainer only computes
and hands out results."""

import json

import numpy as np
import torch

from distmatch import io
from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.run_writer import RunWriter
from distmatch.rundir import RunDir
from distmatch.trainer import Trainer, TrainingDiverged

TINY = {"steps": 8, "batch_size": 32, "width": 16, "depth": 2, "eval_every": 4, "eval_samples": 200}


def make(tmp_path, name="run", **kw):
    opts = {**TINY, **kw}
    ds = get_dataset(opts.pop("dataset", "8gaussians"))
    return Trainer(resolve(RunConfig(**opts), ds), ds, tmp_path / name, quiet=True)


def files(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_start_writes_the_config_and_nothing_else(tmp_path):
    trainer = make(tmp_path)
    writer = RunWriter(trainer.rundir, trainer.cfg)
    writer.start()
    assert files(trainer.out) == ["config.json"]
    assert RunDir(trainer.out).read_config() == trainer.cfg


def test_log_appends_one_record_per_call(tmp_path):
    trainer = make(tmp_path)
    writer = RunWriter(trainer.rundir, trainer.cfg)
    writer.start()
    writer.log({"step": 0, "mmd": 1.5})
    writer.log({"step": 4, "mmd": float("nan")})
    assert trainer.rundir.read_metrics() == [{"step": 0, "mmd": 1.5}, {"step": 4, "mmd": None}]


def test_checkpoint_is_the_trainers_state_and_moves_the_last_checkpoint_step(tmp_path):
    trainer = make(tmp_path)
    writer = RunWriter(trainer.rundir, trainer.cfg, last_checkpoint_step=None)
    trainer.train_step()
    writer.save_checkpoint(trainer.state_dict())
    assert writer.last_checkpoint_step == 1
    state = trainer.rundir.read_checkpoint()
    assert state["step"] == 1
    for key, value in trainer.generator.state_dict().items():
        torch.testing.assert_close(state["generator"][key], value)


def test_diverged_writes_the_summary_and_names_the_kept_checkpoint(tmp_path):
    trainer = make(tmp_path)
    writer = RunWriter(trainer.rundir, trainer.cfg, last_checkpoint_step=4)
    error = writer.diverged(TrainingDiverged("x; no checkpoint was written yet", what="x"), step=6)
    assert str(error) == f"x; last good checkpoint (step 4) kept in {trainer.rundir.checkpoint}"
    summary = trainer.rundir.read_summary()
    assert summary["status"] == "diverged" and summary["step"] == 6 and summary["error"] == str(error)
    fresh = RunWriter(trainer.rundir, trainer.cfg).diverged(TrainingDiverged("y", what="y"), step=1)
    assert str(fresh) == "y; no checkpoint was written yet"


def test_finish_writes_the_trainers_in_memory_results(tmp_path):
    trainer = make(tmp_path)
    summary = trainer.finish(train_seconds=0.0)  # computes only
    assert not trainer.out.exists() and summary["status"] == "completed"
    RunWriter(trainer.rundir, trainer.cfg).finish(trainer.last_samples, summary)
    np.testing.assert_array_equal(trainer.rundir.read_samples(), trainer.last_samples)
    assert trainer.rundir.read_summary() == json.loads(io.dumps(summary))


def test_image_grids_only_for_image_data(tmp_path):
    points = make(tmp_path, "points")
    RunWriter(points.rundir, points.cfg).save_grid(points)
    assert not points.out.exists()
    digits = make(tmp_path, "digits", dataset="digits", objective="nonsaturating", batch_size=16, width=8,
                  noise_dim=8)
    RunWriter(digits.rundir, digits.cfg).save_grid(digits)
    assert files(digits.out) == ["figures", "figures/grid_step0.png"]


def test_the_trainer_writes_nothing_while_it_steps_evaluates_and_finishes(tmp_path):
    trainer = make(tmp_path)
    for _ in range(3):
        trainer.train_step()
    trainer.eval_record()
    trainer.grid_samples()
    trainer.finish(train_seconds=0.0)
    assert not trainer.out.exists()
