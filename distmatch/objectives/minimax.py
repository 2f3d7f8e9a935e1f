"""Original (saturating) GAN: G minimises log(1 - D(G(z))) (Goodfellow et al. 2014)."""

from __future__ import annotations

from .._lazy import nn, torch

from .base import GANObjective


def minimax_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """mean log(1 - sigmoid(l)) = mean(-softplus(l)); its gradient vanishes as D(G(z)) -> 0."""
    return -nn.functional.softplus(fake_logits).mean()


class Minimax(GANObjective):
    name = "minimax"
    run_defaults = {"points": dict(steps=3000), "image": dict(steps=1500)}  # images: ~30 s CPU
    generator_loss_from_logits = staticmethod(minimax_generator_loss)
