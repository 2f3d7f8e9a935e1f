"""A throwaway objective that lives outside the package, to prove that adding one takes one module
plus one registry entry (here the ``DISTMATCH_OBJECTIVES`` environment variable)."""

from __future__ import annotations

import torch

from distmatch.objectives.base import Objective, TrainingDefaults


def energy_distance(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """2 E|x - y| - E|x - x'| - E|y - y'| (Székely & Rizzo), a V-statistic on two batches."""
    x, y = x.flatten(1), y.flatten(1)
    return 2 * torch.cdist(x, y).mean() - torch.cdist(x, x).mean() - torch.cdist(y, y).mean()


class Energy(Objective):
    """Energy distance to the data batch, no critic (a test plug-in)."""

    name = "energy"
    defaults = TrainingDefaults("adam", 1e-3, (0.5, 0.999), 0, "test plug-in", "cosine")
    uses_critic = False
    run_defaults = {"points": dict(steps=300, batch_size=128)}

    def generator_loss(self, critic, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return energy_distance(fake, real)
