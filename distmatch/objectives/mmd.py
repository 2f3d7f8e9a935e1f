"""Generative moment matching network (Li, Swersky, Zemel 2015; Dziugaite et al. 2015).

No critic: the generator minimises sqrt(MMD^2) between a generated batch and a data batch
under a sum of Gaussian kernels of several bandwidths.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .base import Objective, TrainingDefaults


class MMD(Objective):
    name = "mmd"
    defaults = TrainingDefaults("adam", 1e-3, (0.5, 0.999), 0,
                                "GMMN (Li et al. 2015); Adam with cosine decay in place of SGD", "cosine")
    uses_critic = False

    def __init__(self, bandwidths: Sequence[float], estimator: str = "biased"):
        if len(bandwidths) == 0 or min(bandwidths) <= 0:
            raise ValueError(f"--bandwidths must be positive numbers, got {list(bandwidths)}")
        self.bandwidths = [float(b) for b in bandwidths]
        self.estimator = estimator

    @classmethod
    def from_config(cls, config) -> "MMD":
        return cls(config.bandwidths, config.mmd_estimator)

    def generator_loss(self, critic: nn.Module | None, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        from ..kernels import mmd2
        m2 = mmd2(fake.flatten(1), real.flatten(1), self.bandwidths, estimator=self.estimator)
        return torch.sqrt(m2.clamp_min(0) + 1e-12)  # GMMN trains on sqrt(MMD^2)

    def settings(self) -> dict:
        return {"bandwidths": self.bandwidths, "estimator": self.estimator}
