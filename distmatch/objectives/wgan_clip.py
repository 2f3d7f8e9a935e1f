"""WGAN with weight clipping (Arjovsky, Chintala, Bottou 2017, Algorithm 1)."""

from __future__ import annotations

from .._lazy import nn, torch

from .base import Objective, ObjectiveOption, TrainingDefaults, option_value


def wasserstein_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Critic minimises E[f(G(z))] - E[f(x)], i.e. maximises the Kantorovich-Rubinstein estimate."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """Generator minimises -E[f(G(z))]."""
    return -fake_scores.mean()


class WassersteinObjective(Objective):
    """A Wasserstein critic f: the critic maximises E f(x) - E f(G(z)), the generator minimises -E f(G(z)).
    Subclasses differ only in how f is kept Lipschitz (weight clipping, gradient penalty)."""

    critic_output = "value"

    def critic_loss(self, critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return wasserstein_critic_loss(critic(real), critic(fake))

    def generator_loss(self, critic: nn.Module | None, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        return wasserstein_generator_loss(critic(fake))


class WGANClip(WassersteinObjective):
    name = "wgan-clip"
    run_defaults = {"points": dict(steps=2000), "image": dict(steps=1500)}
    options = {"clip": ObjectiveOption(0.01, "critic weights clipped to [-c, c]")}
    defaults = TrainingDefaults("rmsprop", 5e-5, (0.5, 0.999), 5, "WGAN (Arjovsky et al. 2017), Alg. 1")

    def __init__(self, clip: float = 0.01):
        if not clip > 0:
            raise ValueError(f"--clip must be > 0, got {clip}")
        self.clip = clip

    @classmethod
    def from_config(cls, config) -> "WGANClip":
        return cls(option_value(config, "clip", cls))

    def after_critic_step(self, critic: nn.Module) -> None:
        with torch.no_grad():
            for p in critic.parameters():
                p.clamp_(-self.clip, self.clip)

    def settings(self) -> dict:
        return {"clip": self.clip}
