"""Every objective trains on digits through the shared trainer: run dir, grids, image metrics,
determinism and resume == uninterrupted."""

import json
import math

import numpy as np
import pytest

from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.train import CHECKPOINT, Trainer

TINY = dict(dataset="digits", steps=4, batch_size=16, width=8, noise_dim=8, eval_every=2, eval_samples=200)
IMAGE_KEYS = {"fd", "kid", "precision", "recall", "coverage", "kl", "classifier_accuracy", "mmd"}


@pytest.fixture(scope="module")
def digits():
    return get_dataset("digits")


def train(tmp_path, digits, name="run", **kw):
    cfg = resolve(RunConfig(**{**TINY, **kw}), digits)
    trainer = Trainer(cfg, digits, tmp_path / name, quiet=True)
    return trainer, trainer.fit()


@pytest.mark.parametrize("objective", ["mmd", "minimax", "nonsaturating", "wgan-clip", "wgan-gp", "sinkhorn"])
def test_every_objective_runs_on_digits(tmp_path, digits, objective):
    trainer, summary = train(tmp_path, digits, objective=objective)
    out = tmp_path / "run"
    for name in ("config.json", "metrics.jsonl", CHECKPOINT, "samples.npy", "summary.json", "figures/samples.png",
                 "figures/curves.png", "figures/grid_step0.png", "figures/grid_step2.png", "figures/grid_step4.png"):
        assert (out / name).exists(), name
    samples = np.load(out / "samples.npy")
    assert samples.shape == (200, 1, 8, 8) and np.all(np.abs(samples) <= 1)
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [0, 2, 4]
    for m in records[1:] + [summary["metrics"]]:
        assert IMAGE_KEYS <= set(m)
        assert all(math.isfinite(m[k]) for k in IMAGE_KEYS), m
    assert summary["metrics"]["classifier_accuracy"] > 0.9
    assert summary["config"]["model"] == "dcgan"
    if objective == "wgan-gp":
        assert trainer.critic is not None and not any("BatchNorm" in type(m).__name__ for m in trainer.critic.modules())


def test_mlp_generator_on_digits(tmp_path, digits):
    trainer, summary = train(tmp_path, digits, objective="mmd", model="mlp", width=32, depth=2)
    assert type(trainer.generator).__name__ == "MLPGenerator"
    samples = np.load(tmp_path / "run" / "samples.npy")
    assert samples.shape == (200, 1, 8, 8) and np.all(np.abs(samples) <= 1)  # tanh output
    assert math.isfinite(summary["metrics"]["fd"])


def test_image_defaults(digits):
    cfg = resolve(RunConfig(dataset="digits", objective="wgan-gp"), digits)
    assert cfg.model == "dcgan" and cfg.gp_weight == 10.0 and cfg.width == 32
    mmd = resolve(RunConfig(dataset="digits", objective="mmd"), digits)
    assert mmd.bandwidths and mmd.bandwidth_source


def test_same_seed_same_samples(tmp_path, digits):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        train(tmp_path, digits, name, objective="nonsaturating", seed=seed)
    a, b, c = (np.load(tmp_path / n / "samples.npy") for n in "abc")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    la, lb = ((tmp_path / n / "metrics.jsonl").read_text() for n in "ab")
    def strip(text):
        return [{k: v for k, v in json.loads(line).items() if not k.startswith("time_")} for line in text.splitlines()]

    assert strip(la) == strip(lb)


@pytest.mark.parametrize("objective", ["wgan-gp", "nonsaturating"])
def test_resume_equals_uninterrupted(tmp_path, digits, objective):
    kw = dict(objective=objective, steps=8, eval_every=4)
    train(tmp_path, digits, "full", **kw)
    cfg = resolve(RunConfig(**{**TINY, **kw}), digits)
    killed = Trainer(cfg, digits, tmp_path / "split", quiet=True)
    real_step = killed.train_step

    def crash_at_6():
        if killed.step == 6:
            raise KeyboardInterrupt  # two steps after the step-4 checkpoint
        real_step()

    killed.train_step = crash_at_6
    with pytest.raises(KeyboardInterrupt):
        killed.fit()
    trainer = Trainer(cfg, digits, tmp_path / "split", quiet=True)
    assert trainer.resume() and trainer.step == 4
    trainer.fit()
    np.testing.assert_array_equal(np.load(tmp_path / "full" / "samples.npy"),
                                  np.load(tmp_path / "split" / "samples.npy"))
    steps = lambda n: [json.loads(l)["step"] for l in (tmp_path / n / "metrics.jsonl").read_text().splitlines()]
    assert steps("split") == steps("full") == [0, 4, 8]
