"""The log's view of the adversarial game: D(x), D(G(z)) and accuracy for GANs, f(x) and f(G(z))
for Wasserstein critics, the generator's gradient norm for everyone; measured without touching
training."""

import json

import numpy as np
import pytest
import torch

from distmatch.config import RunConfig, resolve
from distmatch.critic_log import grad_norm, probe_critic, probe_sources
from distmatch.data import get_dataset
from distmatch.trainer import Trainer

TINY = dict(steps=12, batch_size=32, width=16, depth=2, eval_samples=200)


def train(tmp_path, name, **kw):
    ds = get_dataset("8gaussians")
    cfg = resolve(RunConfig(**{**TINY, "eval_every": 4, **kw}), ds)
    trainer = Trainer(cfg, ds, tmp_path / name, quiet=True)
    trainer.fit()
    records = [json.loads(line) for line in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
    return trainer, records


def test_gan_record_equals_a_recomputation_with_the_final_critic(tmp_path):
    trainer, records = train(tmp_path, "gan", objective="minimax")
    last = records[-1]
    assert {"d_real", "d_fake", "critic_acc", "g_grad_norm"} <= set(last)
    assert "critic_real" not in last and "g_grad_norm" not in records[0]  # step 0: no generator step yet
    data_rng, noise = probe_sources(trainer.cfg, trainer.step, trainer.device)
    real = torch.from_numpy(trainer.dataset.sample(trainer.cfg.batch_size, data_rng))
    with torch.no_grad():
        trainer.generator.eval()
        fake = trainer.generator(noise.sample(len(real)))
        lr, lf = trainer.critic(real).flatten(), trainer.critic(fake).flatten()
    assert last["d_real"] == pytest.approx(torch.sigmoid(lr).mean().item(), rel=1e-6)
    assert last["d_fake"] == pytest.approx(torch.sigmoid(lf).mean().item(), rel=1e-6)
    assert last["critic_acc"] == pytest.approx(((lr > 0).sum() + (lf < 0).sum()).item() / (2 * len(lr)))


def test_wasserstein_and_kernel_records(tmp_path):
    _, wgan = train(tmp_path, "wgan", objective="wgan-gp")
    assert {"critic_real", "critic_fake", "g_grad_norm"} <= set(wgan[-1]) and "d_real" not in wgan[-1]
    _, mmd = train(tmp_path, "mmd", objective="mmd")
    assert "g_grad_norm" in mmd[-1] and not {"d_real", "critic_real"} & set(mmd[-1])
    assert all(r["g_grad_norm"] > 0 for r in mmd[1:])


def test_probing_changes_no_training_state(tmp_path):
    """Evaluating (and probing the critic, whose batch-norm statistics are put back) every 4 steps
    or only at the end gives the same final samples."""
    often, _ = train(tmp_path, "often", objective="nonsaturating")
    rare, _ = train(tmp_path, "rare", objective="nonsaturating", eval_every=12)
    np.testing.assert_array_equal(np.load(tmp_path / "often" / "samples.npy"), np.load(tmp_path / "rare" / "samples.npy"))
    for a, b in zip(often.critic.state_dict().values(), rare.critic.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_grad_norm_is_the_l2_norm_over_all_parameters():
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    net(torch.randn(5, 3)).sum().backward()
    manual = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in net.parameters())).item()
    assert grad_norm(net.parameters()) == pytest.approx(manual, rel=1e-6)
    assert grad_norm(torch.nn.Linear(2, 2).parameters()) == 0.0  # no gradients yet


def test_feature_critics_record_nothing_scalar():
    critic = torch.nn.Linear(2, 4)
    assert probe_critic(critic, torch.nn.Identity(), lambda s: s, "features", np.zeros((3, 2), np.float32), None) == {}
