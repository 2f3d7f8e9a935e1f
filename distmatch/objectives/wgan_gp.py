"""WGAN with gradient penalty (Gulrajani et al. 2017)."""

from __future__ import annotations

from .._lazy import nn, torch

from .base import ObjectiveOption, TrainingDefaults
from .wgan_clip import WassersteinObjective


def interpolates(real: torch.Tensor, fake: torch.Tensor, pack: int = 1) -> torch.Tensor:
    """x_hat = a x + (1 - a) G(z), a ~ U[0, 1] per critic input, requiring grad.

    ``a`` has shape (N, 1, ..., 1), so the same code serves points (N, D) and images (N, C, H, W);
    a packed critic (``pack`` = m) judges m consecutive samples as one input, which share one ``a``.
    """
    alpha = torch.rand((real.shape[0] // pack,) + (1,) * (real.dim() - 1), device=real.device, dtype=real.dtype)
    alpha = alpha.repeat_interleave(pack, dim=0) if pack > 1 else alpha
    return (alpha * real + (1 - alpha) * fake).requires_grad_(True)  # (N, *shape)


def unit_gradient_penalty(grad: torch.Tensor, pack: int = 1, eps: float = 1e-12) -> torch.Tensor:
    """mean (||g|| - 1)^2 over critic inputs (a pack's m gradients form one vector); ``eps`` under
    the square root keeps the norm's gradient finite at 0 (the StudioGAN NaN bug)."""
    norm = torch.sqrt(grad.reshape(grad.shape[0] // pack, -1).pow(2).sum(1) + eps)  # (N / pack,)
    return ((norm - 1.0) ** 2).mean()


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """mean (||grad f(x_hat)|| - 1)^2 at random interpolates x_hat (:func:`interpolates`)."""
    pack = getattr(critic, "pack", 1)
    x_hat = interpolates(real, fake, pack)  # (N, *shape)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)  # (N, *shape)
    return unit_gradient_penalty(grad, pack, eps)


class WGANGP(WassersteinObjective):
    name = "wgan-gp"
    # points: 5 critic steps, each a double backward: 57 s wall on a slow 2-core host;
    # images: 5 critic steps + penalty: ~90 s CPU; FD 375 -> ~14
    run_defaults = {"points": dict(steps=1250), "image": dict(steps=1500)}
    options = {"gp_weight": ObjectiveOption(None, "gradient-penalty weight λ [points: 0.1, images: 10]")}
    defaults = TrainingDefaults("adam", 1e-4, (0.5, 0.9), 5, "WGAN-GP (Gulrajani et al. 2017)")
    critic_batchnorm = False

    def __init__(self, gp_weight: float = 10.0):
        if not gp_weight >= 0:
            raise ValueError(f"--gp-weight must be >= 0, got {gp_weight}")
        self.gp_weight = gp_weight

    @classmethod
    def from_config(cls, config) -> "WGANGP":
        return cls(config.gp_weight)

    def critic_loss(self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return super().critic_loss(critic, real, fake) + self.gp_weight * gradient_penalty(critic, real, fake)

    def settings(self) -> dict:
        return {"gp_weight": self.gp_weight}
