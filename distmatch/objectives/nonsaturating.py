"""Non-saturating GAN: G maximises log D(G(z)) (Goodfellow et al. 2014, the -log D trick)."""

from __future__ import annotations

import torch
from torch import nn

from .base import Objective, TrainingDefaults, gan_critic_loss


def nonsaturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """mean -log sigmoid(l) = mean softplus(-l); strong gradient when D(G(z)) -> 0."""
    return nn.functional.softplus(-fake_logits).mean()


class NonSaturating(Objective):
    name = "nonsaturating"
    description = "GAN with the -log D(G(z)) generator loss (non-saturating)"
    defaults = TrainingDefaults("adam", 2e-4, (0.5, 0.999), 1, "DCGAN (Radford et al. 2016)")

    def critic_loss(self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return gan_critic_loss(critic(real), critic(fake))

    def generator_loss(self, critic: nn.Module | None, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return nonsaturating_generator_loss(critic(fake))
