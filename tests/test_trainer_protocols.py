"""Trainer under the PacGAN protocol's settings: simultaneous updates, packing, a fixed training
set, and the combinations that are refused."""

import json

import numpy as np
import pytest
import torch

from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.objectives.wgan_gp import gradient_penalty
from distmatch.models.packing import Packed
from distmatch.settings import SettingError
from distmatch.trainer import Trainer

SMALL = dict(steps=8, batch_size=16, width=16, depth=2, eval_every=4, eval_samples=200, dataset="ring")


def make(tmp_path=None, **kw):
    opts = {**SMALL, **kw}
    ds = get_dataset(opts["dataset"])
    cfg = resolve(RunConfig(**opts), ds)
    return Trainer(cfg, ds, None if tmp_path is None else tmp_path, quiet=True)


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def test_simultaneous_step_moves_both_players_by_their_gradients_at_the_same_point():
    kw = dict(objective="nonsaturating", optimizer="sgd", lr=0.05, update="simultaneous", pack=2)
    trainer, twin = make(**kw), make(**kw)  # same seed: same weights, same batches, same noise
    real, z = twin.real_batch(), twin.noise.sample(twin.n_batch)
    fake = twin.generator(z)
    c_loss = torch.nn.functional.softplus(-twin.critic(real)).mean() + \
        torch.nn.functional.softplus(twin.critic(fake.detach())).mean()
    g_loss = torch.nn.functional.softplus(-twin.critic(fake)).mean()  # -log D(G(z)), D before its step
    c_grads = torch.autograd.grad(c_loss, list(twin.critic.parameters()))
    g_grads = torch.autograd.grad(g_loss, list(twin.generator.parameters()))
    c0, g0 = _params(trainer.critic), _params(trainer.generator)
    trainer.train_step()
    for p, p0, g in zip(trainer.critic.parameters(), c0, c_grads):  # SGD's first step: p - lr * grad
        torch.testing.assert_close(p.detach(), p0 - 0.05 * g)
    for p, p0, g in zip(trainer.generator.parameters(), g0, g_grads):
        torch.testing.assert_close(p.detach(), p0 - 0.05 * g)
    alternating = make(**{**kw, "update": "alternating"})
    alternating.train_step()  # the generator then steps against the updated critic: a different point
    assert not all(torch.equal(a, b) for a, b in zip(alternating.generator.parameters(), trainer.generator.parameters()))


def test_packed_batches_hold_pack_times_batch_size_samples():
    trainer = make(objective="wgan-gp", pack=3)
    assert isinstance(trainer.critic, Packed) and trainer.real_batch().shape == (48, 2)
    assert trainer.critic(trainer.real_batch()).shape == (16,)


def test_packed_gradient_penalty_takes_the_norm_over_each_pack():
    torch.manual_seed(0)
    w = torch.randn(4)
    critic = Packed(lambda x: x @ w, 2)  # linear in the packed input: gradient w for every pack
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    expected = (w.norm() - 1) ** 2
    torch.testing.assert_close(gradient_penalty(critic, real, fake), expected)


def test_fixed_training_set_and_simultaneous_updates_resume_exactly(tmp_path, crash_then_resume):
    kw = dict(objective="nonsaturating", update="simultaneous", pack=2, train_samples=40, critic="maxout",
              generator_norm="batch", init_std=0.02, steps=16)
    full = make(tmp_path / "full", **kw)
    full.fit()
    ds = get_dataset("ring")
    cfg = resolve(RunConfig(**{**SMALL, **kw}), ds)
    assert crash_then_resume(cfg, ds, tmp_path / "split", crash_step=10) == 8
    np.testing.assert_array_equal(np.load(tmp_path / "full" / "samples.npy"),
                                  np.load(tmp_path / "split" / "samples.npy"))
    assert full.train_set.position == 16 * 16 * 2  # steps x batch x pack points served
    state = torch.load(tmp_path / "split" / "checkpoint.pt", weights_only=True)
    assert state["train_position"] == 16 * 16 * 2


def test_a_checkpoint_with_a_bad_training_set_position_is_refused(tmp_path):
    from distmatch.io import FileFormatError

    trainer = make(tmp_path / "run", objective="nonsaturating", train_samples=40, steps=4)
    trainer.fit()
    state = trainer.state_dict()
    for bad in (None, -5, "x"):
        with pytest.raises(FileFormatError, match="does not fit"):
            make(tmp_path / "run", objective="nonsaturating", train_samples=40, steps=4).load_state_dict(
                {**state, "train_position": bad})


@pytest.mark.parametrize("settings, message", [
    (dict(objective="mmd", pack=2), "mmd has no critic"),
    (dict(objective="wgan-gp", update="simultaneous", critic_steps=5), "one critic step"),
    (dict(objective="nonsaturating", critic="maxout", model="dcgan", dataset="digits"), "maxout critic is an MLP"),
    (dict(objective="nonsaturating", generator_norm="batch", dataset="digits"), "MLP generators"),
])
def test_combinations_that_cannot_work_are_refused(settings, message):
    with pytest.raises(SettingError, match=message):
        make(**settings)


def test_the_default_protocol_is_unchanged_by_the_new_settings(tmp_path):
    """pack 1, the default critic, no norm, torch's init, alternating updates and fresh batches:
    the same numbers as a config that never heard of them (config files written before them)."""
    a = make(tmp_path / "a", objective="nonsaturating")
    a.fit()
    stored = json.loads((tmp_path / "a" / "config.json").read_text())
    old = {k: v for k, v in stored.items() if k not in ("pack", "critic", "maxout_pieces", "critic_width",
                                                        "critic_depth", "generator_norm", "init_std", "update",
                                                        "train_samples", "preset")}
    cfg = RunConfig.from_dict({**old, "betas": tuple(old["betas"])})
    b = Trainer(cfg, get_dataset("ring"), tmp_path / "b", quiet=True)
    b.fit()
    np.testing.assert_array_equal(np.load(tmp_path / "a" / "samples.npy"), np.load(tmp_path / "b" / "samples.npy"))
