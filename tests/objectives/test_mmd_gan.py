"""mmd-gan: loss signs and symmetry, adaptive bandwidths, the witness penalty, defaults, tiny runs."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from distmatch.config import RunConfig, median_heuristic_ladder, metric_bandwidths, resolve
from distmatch.data import get_dataset
from distmatch.kernels.mmd import mmd2_naive
from distmatch.objectives import build_objective
from distmatch.objectives.mmd_gan import MEDIAN_LADDER, MMDGAN, median_ladder, witness_penalty
from distmatch.rundir import CHECKPOINT

from .conftest import TINY_TOY


def linear_critic(weight) -> nn.Linear:
    """A float64 linear embedding f(x) = W x (no bias)."""
    w = torch.as_tensor(weight, dtype=torch.float64)
    layer = nn.Linear(w.shape[1], w.shape[0], bias=False).double()
    with torch.no_grad():
        layer.weight.copy_(w)
    return layer


def batches(seed=0, n=32):
    g = torch.Generator().manual_seed(seed)
    real = torch.randn(n, 2, generator=g, dtype=torch.float64)
    fake = torch.randn(n, 2, generator=g, dtype=torch.float64) * 0.5 + 1.0
    return real, fake


def test_critic_loss_is_minus_embedded_mmd2_and_minus_generator_loss():
    critic = linear_critic([[1.0, 0.5], [-0.3, 2.0], [0.0, 1.0]])  # R^2 -> R^3
    real, fake = batches()
    obj = MMDGAN(bandwidths=[0.5, 2.0])
    with torch.no_grad():
        expected = mmd2_naive(critic(real), critic(fake), [0.5, 2.0])
    assert expected.item() > 0.05
    torch.testing.assert_close(obj.critic_loss(critic, real, fake), -expected)
    torch.testing.assert_close(obj.generator_loss(critic, fake, real), expected)


def test_median_bandwidths_make_the_loss_invariant_to_the_embedding_scale():
    real, fake = batches(1)
    obj = MMDGAN()  # bandwidths from the batch's embeddings
    small = obj.generator_loss(linear_critic([[0.01, 0.002], [0.0, 0.01]]), fake, real)
    large = obj.generator_loss(linear_critic([[10.0, 2.0], [0.0, 10.0]]), fake, real)
    torch.testing.assert_close(small, large)
    assert small.item() > 0.1
    # a fixed unit bandwidth cannot see a clipped-size embedding at all
    tiny = MMDGAN(bandwidths=[1.0]).generator_loss(linear_critic([[0.01, 0.002], [0.0, 0.01]]), fake, real)
    assert tiny.item() < 1e-3 * small.item()


def test_median_ladder_values():
    a = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    b = torch.tensor([[3.0]], dtype=torch.float64)
    # pairwise distances 1, 2, 3: median 2
    assert median_ladder(a, b) == pytest.approx([2.0 * f for f in MEDIAN_LADDER])


def test_generator_step_moves_fakes_towards_real():
    critic = linear_critic([[1.0, 0.0], [0.0, 1.0]])
    real, _ = batches(2)
    fake = (real + torch.tensor([3.0, 0.0], dtype=torch.float64)).requires_grad_(True)
    MMDGAN(bandwidths=[1.0, 4.0]).generator_loss(critic, fake, real).backward()
    assert (-fake.grad[:, 0]).mean() < 0  # descending the loss decreases x_1 (towards real)


def test_critic_ascent_increases_the_discrepancy():
    real, fake = batches(3)
    critic = linear_critic([[0.2, 0.1], [0.1, -0.2]])
    obj = MMDGAN(bandwidths=[1.0])
    before = -obj.critic_loss(critic, real, fake).item()
    opt = torch.optim.SGD(critic.parameters(), lr=0.5)
    for _ in range(5):
        opt.zero_grad()
        obj.critic_loss(critic, real, fake).backward()
        opt.step()
    assert -obj.critic_loss(critic, real, fake).item() > 1.5 * before


def test_clipping_only_without_penalty():
    clipped, penalised = MMDGAN(clip=0.05), MMDGAN(clip=0.05, gp_weight=1.0)
    for obj, expected in ((clipped, [0.05, -0.05]), (penalised, [1.0, -2.0])):
        critic = linear_critic([[1.0, -2.0]])
        obj.after_critic_step(critic)
        torch.testing.assert_close(critic.weight.data[0], torch.tensor(expected, dtype=torch.float64))
    assert clipped.critic_batchnorm and not penalised.critic_batchnorm


def test_witness_penalty_matches_closed_form():
    """One point per side, identity embedding on a line, one bandwidth s: the witness is
    h(x) = k(x, a) - k(x, b) with h'(x) = -(x - a) k(x, a) / s^2 + (x - b) k(x, b) / s^2."""
    n, a, b, s = 16, 0.3, -0.9, 0.7
    critic = linear_critic([[1.0]])
    real = torch.full((n, 1), a, dtype=torch.float64)
    fake = torch.full((n, 1), b, dtype=torch.float64)
    torch.manual_seed(5)
    got = witness_penalty(critic, real, fake, critic(real), critic(fake), [s])
    torch.manual_seed(5)
    alpha = torch.rand(n, 1, dtype=torch.float64)
    x = alpha * a + (1 - alpha) * b
    k = lambda c: torch.exp(-(x - c) ** 2 / (2 * s * s))
    grad = -(x - a) * k(a) / s**2 + (x - b) * k(b) / s**2
    torch.testing.assert_close(got, ((grad.abs() - 1) ** 2).mean(), rtol=1e-6, atol=1e-9)


def test_penalised_critic_loss_adds_the_penalty():
    real, fake = batches(4)
    critic = linear_critic([[1.0, 0.5], [0.2, 1.0]])
    plain, penalised = MMDGAN(bandwidths=[1.0]), MMDGAN(bandwidths=[1.0], gp_weight=3.0)
    torch.manual_seed(0)
    gp = witness_penalty(critic, real, fake, critic(real), critic(fake), [1.0])
    torch.manual_seed(0)
    expected = plain.critic_loss(critic, real, fake) + 3 * gp
    torch.testing.assert_close(penalised.critic_loss(critic, real, fake), expected)


def test_from_config_and_refusals():
    obj = build_objective(RunConfig(objective="mmd-gan", clip=0.02, gp_weight=0.0, extra={"embedding_dim": 5}))
    assert (obj.clip, obj.penalised, obj.critic_out_features, obj.bandwidths) == (0.02, False, 5, None)
    with pytest.raises(ValueError, match="embedding_dim"):
        MMDGAN(embedding_dim=0)
    with pytest.raises(ValueError, match="gp-weight"):
        MMDGAN(gp_weight=-1.0)


def test_defaults_per_data_kind():
    assert (MMDGAN.defaults.optimizer, MMDGAN.defaults.lr, MMDGAN.defaults.critic_steps) == ("rmsprop", 5e-5, 5)
    toy, digits = get_dataset("8gaussians"), get_dataset("digits")
    t = resolve(RunConfig(objective="mmd-gan"), toy)
    assert (t.gp_weight, t.critic_steps, t.optimizer, t.lr_schedule) == (1.0, 1, "adam", "cosine")
    i = resolve(RunConfig(objective="mmd-gan", dataset="digits"), digits)
    assert (i.gp_weight, i.model, i.batch_size) == (0.0, "dcgan", 256)  # clipping on images
    # the kernel lives on the embedding: the data-space MMD metric keeps the data's own ladder
    assert t.bandwidths is None and "embeddings" in t.bandwidth_source
    sample = toy.sample(1000, np.random.default_rng(0))
    assert metric_bandwidths(t, toy) == pytest.approx(median_heuristic_ladder(sample))


@pytest.mark.parametrize("gp_weight", [0.0, 1.0])
def test_tiny_toy_run(tiny_run, tmp_path, gp_weight):
    trainer, summary = tiny_run(objective="mmd-gan", gp_weight=gp_weight)
    assert summary["status"] == "completed" and summary["metrics"]["modes"] >= 0
    assert np.load(tmp_path / "run" / "samples.npy").shape == (200, 2)
    assert trainer.critic(torch.zeros(3, 2)).shape == (3, 16)
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [0, 4, 8, 12]
    assert all(np.isfinite(r["g_loss"]) and r["g_loss"] >= 0 and np.isfinite(r["d_loss"]) for r in records[1:])
    if gp_weight == 0.0:  # -MMD^2 (with the penalty it may be positive)
        assert all(r["d_loss"] <= 0 for r in records[1:])
    state = torch.load(tmp_path / "run" / CHECKPOINT, weights_only=True)
    if gp_weight == 0.0:  # every critic weight inside the clip box
        assert max(v.abs().max().item() for v in state["critic"].values()) <= 0.01 + 1e-7


def test_tiny_digits_run(tiny_run, tmp_path):
    trainer, summary = tiny_run(objective="mmd-gan", dataset="digits")
    assert np.load(tmp_path / "run" / "samples.npy").shape == (200, 1, 8, 8)
    assert {"fd", "coverage"} <= set(summary["metrics"]) and np.isfinite(summary["metrics"]["fd"])
    assert trainer.critic(torch.zeros(4, 1, 8, 8)).shape == (4, 16)


def test_resume_equals_uninterrupted(tiny_run, tmp_path, crash_then_resume):
    tiny_run("full", objective="mmd-gan", steps=16)
    ds = get_dataset("8gaussians")
    cfg = resolve(RunConfig(**{**TINY_TOY, "objective": "mmd-gan", "steps": 16}), ds)
    assert crash_then_resume(cfg, ds, tmp_path / "split", crash_step=10) == 8
    np.testing.assert_array_equal(np.load(tmp_path / "full" / "samples.npy"),
                                  np.load(tmp_path / "split" / "samples.npy"))
