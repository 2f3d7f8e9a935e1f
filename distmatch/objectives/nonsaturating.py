"""Non-saturating GAN: G maximises log D(G(z)) (Goodfellow et al. 2014, the -log D trick)."""

from __future__ import annotations

from .._lazy import nn, torch

from .base import GANObjective


def nonsaturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """mean -log sigmoid(l) = mean softplus(-l); strong gradient when D(G(z)) -> 0."""
    return nn.functional.softplus(-fake_logits).mean()


class NonSaturating(GANObjective):
    name = "nonsaturating"
    run_defaults = {"points": dict(steps=3000), "image": dict(steps=1500)}  # images: ~26 s CPU; FD 375 -> ~6
    generator_loss_from_logits = staticmethod(nonsaturating_generator_loss)
