"""Every objective trains on digits through the shared trainer: run dir, grids, image metrics."""

import json
import math

import numpy as np
import pytest

from distmatch.config import RunConfig, resolve
from distmatch.rundir import CHECKPOINT

IMAGE_KEYS = {"fd", "kid", "precision", "recall", "coverage", "kl", "classifier_accuracy", "mmd"}


@pytest.mark.parametrize("objective", ["mmd", "minimax", "nonsaturating", "wgan-clip", "wgan-gp", "sinkhorn"])
def test_every_objective_runs_on_digits(tmp_path, train_digits, objective):
    trainer, summary = train_digits(objective=objective)
    out = tmp_path / "run"
    for name in ("config.json", "metrics.jsonl", CHECKPOINT, "samples.npy", "summary.json",
                 "figures/grid_step0.png", "figures/grid_step2.png", "figures/grid_step4.png"):
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


def test_mlp_generator_on_digits(tmp_path, train_digits):
    trainer, summary = train_digits(objective="mmd", model="mlp", width=32, depth=2)
    assert type(trainer.generator).__name__ == "MLPGenerator"
    samples = np.load(tmp_path / "run" / "samples.npy")
    assert samples.shape == (200, 1, 8, 8) and np.all(np.abs(samples) <= 1)  # tanh output
    assert math.isfinite(summary["metrics"]["fd"])


def test_image_defaults(digits):
    cfg = resolve(RunConfig(dataset="digits", objective="wgan-gp"), digits)
    assert cfg.model == "dcgan" and cfg.gp_weight == 10.0 and cfg.width == 32
    mmd = resolve(RunConfig(dataset="digits", objective="mmd"), digits)
    assert mmd.bandwidths and mmd.bandwidth_source
