"""End-to-end trainer behaviour: run dir contents, determinism, resume, NaN guard."""

import json

import numpy as np
import pytest
import torch

from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.objectives import OBJECTIVES
from distmatch.rundir import CHECKPOINT
from distmatch.trainer import Trainer, TrainingDiverged

TINY = {"steps": 12, "batch_size": 32, "width": 16, "depth": 2, "eval_every": 4, "eval_samples": 200}


def train(tmp_path, name="run", **kw):
    opts = {**TINY, **kw}
    ds = get_dataset(opts.pop("dataset", "8gaussians"))
    cfg = resolve(RunConfig(**opts), ds)
    trainer = Trainer(cfg, ds, tmp_path / name, quiet=True)
    return trainer, trainer.fit()


@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_run_dir_contents(tmp_path, objective):
    _, summary = train(tmp_path, objective=objective, extra={"ae_steps": 5} if objective == "gmmn-ae" else {})
    out = tmp_path / "run"
    for name in ("config.json", "metrics.jsonl", CHECKPOINT, "samples.npy", "summary.json"):
        assert (out / name).exists(), name
    assert not (out / "figures" / "samples.png").exists()  # the Trainer trains; figures are drawn by train_into
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [0, 4, 8, 12]
    assert np.load(out / "samples.npy").shape == (200, 2)
    m = summary["metrics"]
    assert {"modes", "hq", "rkl", "mmd"} <= set(m) and not {"sinkhorn", "w1", "w2"} & set(m)
    assert set(summary["not_computed"]) == {"sinkhorn", "w1", "w2"}  # the default final_metrics="cheap"
    assert summary["status"] == "completed" and summary["step"] == 12


def test_final_metrics_all_adds_the_distances_with_the_cheap_ones_unchanged(tmp_path):
    _, cheap = train(tmp_path, name="cheap")
    _, full = train(tmp_path, name="full", final_metrics="all")
    assert {"sinkhorn", "w1", "w2"} <= set(full["metrics"]) and full["not_computed"] == {}
    for key in ("modes", "hq", "rkl", "mmd"):
        np.testing.assert_equal(full["metrics"][key], cheap["metrics"][key])  # NaN == NaN here


def test_same_seed_same_samples(tmp_path):
    train(tmp_path, "a", objective="wgan-gp", seed=3)
    train(tmp_path, "b", objective="wgan-gp", seed=3)
    train(tmp_path, "c", objective="wgan-gp", seed=4)
    a, b, c = (np.load(tmp_path / n / "samples.npy") for n in "abc")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("objective", ["mmd", "wgan-gp"])
def test_resume_equals_uninterrupted(tmp_path, objective, crash_then_resume):
    train(tmp_path, "full", objective=objective, steps=16)
    ds = get_dataset("8gaussians")
    cfg = resolve(RunConfig(**{**TINY, "objective": objective, "steps": 16}), ds)
    # killed mid-run, two steps after the step-8 checkpoint
    assert crash_then_resume(cfg, ds, tmp_path / "split", crash_step=10) == 8
    np.testing.assert_array_equal(np.load(tmp_path / "full" / "samples.npy"),
                                  np.load(tmp_path / "split" / "samples.npy"))
    full = (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()
    split = (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(l)["step"] for l in split] == [json.loads(l)["step"] for l in full]


def test_nan_guard_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    ds = get_dataset("8gaussians")
    cfg = resolve(RunConfig(**{**TINY, "objective": "mmd", "checkpoint_every": 2}), ds)
    trainer = Trainer(cfg, ds, tmp_path / "nan", quiet=True)
    real_loss = trainer.objective.generator_loss

    def poisoned(critic, fake, real):
        loss = real_loss(critic, fake, real)
        return loss * float("nan") if trainer.step >= 5 else loss

    monkeypatch.setattr(trainer.objective, "generator_loss", poisoned)
    with pytest.raises(TrainingDiverged, match="step 6.*step 4"):
        trainer.fit()
    state = torch.load(tmp_path / "nan" / CHECKPOINT, weights_only=False)
    assert state["step"] == 4
    assert all(torch.isfinite(p).all() for p in state["generator"].values())
    assert json.loads((tmp_path / "nan" / "summary.json").read_text())["status"] == "diverged"
    assert not list((tmp_path / "nan").glob(".*tmp"))  # no temp files left behind


def test_user_points_any_dimension(tmp_path):
    pts = np.random.default_rng(0).normal(size=(300, 3)).astype(np.float32)
    np.save(tmp_path / "pts.npy", pts)
    _, summary = train(tmp_path, dataset=str(tmp_path / "pts.npy"), objective="wgan-gp", final_metrics="all")
    assert "modes" not in summary["metrics"] and summary["metrics"]["w2"] > 0
    assert np.load(tmp_path / "run" / "samples.npy").shape == (200, 3)


@pytest.mark.parametrize("dim", [1, 2, 5])
def test_point_noise_defaults_to_data_dimension(tmp_path, dim):
    np.save(tmp_path / "pts.npy", np.random.default_rng(0).normal(size=(100, dim)))
    ds = get_dataset(str(tmp_path / "pts.npy"))
    assert resolve(RunConfig(dataset=str(tmp_path / "pts.npy")), ds).noise_dim == dim
    assert resolve(RunConfig(dataset="pts", noise_dim=7), ds).noise_dim == 7
    assert resolve(RunConfig(dataset="ring"), get_dataset("ring")).noise_dim == 2


def test_a_trainer_without_a_directory_steps_and_samples_but_does_not_fit():
    """The diagnostics drive train_step and sample on a Trainer with out_dir=None; nothing is written."""
    ds = get_dataset("8gaussians")
    trainer = Trainer(resolve(RunConfig(**TINY), ds), ds, None, quiet=True)
    trainer.train_step()
    assert trainer.step == 1 and trainer.sample(10, seed=1).shape == (10, 2)
    with pytest.raises(ValueError, match="out_dir"):
        trainer.fit()
