"""Sinkhorn generative model (Genevay, Peyré, Cuturi 2018): no critic, debiased Sinkhorn loss.

The generator minimises S_ε(G(z), x), the debiased entropic OT divergence with cost ‖a-b‖²/2 and
ε = blur², computed log-domain with ε-scaling; gradients come from the envelope theorem, so no
Sinkhorn iteration is unrolled.
"""

from __future__ import annotations

from .._lazy import nn, torch

from .base import Objective, ObjectiveOption, TrainingDefaults, option_value


class Sinkhorn(Objective):
    name = "sinkhorn"
    run_defaults = {"points": dict(steps=2000, batch_size=256), "image": dict(steps=1500, batch_size=256)}
    options = {"blur": ObjectiveOption(0.05, "entropic blur (ε = blur², in data units)")}
    defaults = TrainingDefaults("adam", 1e-3, (0.5, 0.999), 0, "Genevay et al. 2018; Adam with cosine decay",
                                "cosine")
    uses_critic = False

    def __init__(self, blur: float = 0.05, scaling: float = 0.5):
        if not blur > 0:
            raise ValueError(f"--blur must be > 0, got {blur}")
        self.blur, self.scaling = blur, scaling

    @classmethod
    def from_config(cls, config) -> "Sinkhorn":
        return cls(option_value(config, "blur", cls))

    def generator_loss(self, critic: nn.Module | None, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        from ..kernels import sinkhorn
        return sinkhorn(fake.flatten(1), real.flatten(1), blur=self.blur, scaling=self.scaling)

    def settings(self) -> dict:
        return {"blur": self.blur, "scaling": self.scaling}
