"""Original (saturating) GAN: G minimises log(1 - D(G(z))) (Goodfellow et al. 2014)."""

from __future__ import annotations

import torch
from torch import nn

from .base import Objective, TrainingDefaults, gan_critic_loss


def minimax_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """mean log(1 - sigmoid(l)) = mean(-softplus(l)); its gradient vanishes as D(G(z)) -> 0."""
    return -nn.functional.softplus(fake_logits).mean()


class Minimax(Objective):
    name = "minimax"
    description = "original GAN; G minimises log(1 - D(G(z))) (saturating)"
    defaults = TrainingDefaults("adam", 2e-4, (0.5, 0.999), 1, "DCGAN (Radford et al. 2016)")

    def critic_loss(self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return gan_critic_loss(critic(real), critic(fake))

    def generator_loss(self, critic: nn.Module | None, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return minimax_generator_loss(critic(fake))
