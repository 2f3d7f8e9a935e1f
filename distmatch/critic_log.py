"""What the log records about the adversarial game at each evaluation, measured on a batch of its
own (its own noise and data draws, so training is unchanged by how often it is measured):

* a GAN's discriminator (logits): D(x) and D(G(z)) as mean sigmoid of the logits, and its
  accuracy (real with logit > 0, fake with logit < 0);
* a Wasserstein critic: its mean values f(x) and f(G(z)) (their difference estimates W1);
* every objective: the norm of the generator's gradient, averaged over the steps since the last
  evaluation (collected by the trainer, :func:`grad_norm`).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import torch
from torch import nn

from .noise import NoiseSampler

PROBE_SEED_OFFSET = 7_777_777  # the probe's noise and data seeds differ from every sampling seed


def grad_norm(params: Iterable[nn.Parameter]) -> float:
    """L2 norm of all the parameters' gradients (parameters without one count as 0)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    return float(torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))))


@torch.no_grad()
def probe_critic(critic: nn.Module, generator: nn.Module, decode, kind: str, real_np: np.ndarray,
                 noise: NoiseSampler) -> dict:
    """The critic's view of one real and one generated batch, as in training (train mode), with
    its batch-norm statistics put back afterwards; {} when its output is not a scalar per sample."""
    if kind not in ("logit", "value"):
        return {}
    buffers = {k: v.clone() for k, v in critic.named_buffers()}
    device = next(critic.parameters()).device
    real = torch.from_numpy(real_np).to(device)
    was_training = generator.training
    generator.eval()
    fake = decode(generator(noise.sample(len(real))))
    generator.train(was_training)
    try:
        real_out, fake_out = critic(real).flatten(), critic(fake).flatten()
    finally:
        critic.load_state_dict({**critic.state_dict(), **buffers})
    if kind == "value":
        return {"critic_real": float(real_out.mean()), "critic_fake": float(fake_out.mean())}
    accuracy = ((real_out > 0).float().sum() + (fake_out < 0).float().sum()) / (2 * len(real_out))
    return {"d_real": float(torch.sigmoid(real_out).mean()), "d_fake": float(torch.sigmoid(fake_out).mean()),
            "critic_acc": float(accuracy)}


def probe_sources(cfg, step: int, device) -> tuple[np.random.Generator, NoiseSampler]:
    """The probe's own data and noise draws for evaluation step ``step`` (seeded, training RNG untouched)."""
    seed = cfg.seed * 1_000_003 + step + PROBE_SEED_OFFSET
    return np.random.default_rng(seed), NoiseSampler(cfg.noise, cfg.noise_dim, seed, device)
