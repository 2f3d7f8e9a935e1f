"""Saturation in 1-D (WGAN paper, Fig. 2): two far-apart Gaussians, a trained GAN discriminator
and a trained WGAN-GP critic, and the gradient each gives a generator sample at x."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from ..models.mlp import MLPCritic
from ..objectives.base import gan_critic_loss
from ..objectives.wgan_clip import wasserstein_critic_loss
from ..objectives.wgan_gp import gradient_penalty
from .common import single_thread

SATURATION_SLOPE = 0.01  # |dL/dlogit| below this counts as saturated


@dataclass
class SatSettings:
    """Two 1-D Gaussians N(real_mean, std^2) (data) and N(fake_mean, std^2) (generator)."""

    real_mean: float = 2.0
    fake_mean: float = -2.0
    std: float = 0.1
    steps: int = 3000
    batch_size: int = 256
    d_lr: float = 1e-3
    critic_lr: float = 1e-3
    gp_weight: float = 10.0
    width: int = 64
    depth: int = 2
    x_min: float = -4.0
    x_max: float = 4.0
    n_grid: int = 801


@dataclass
class SatResult:
    settings: SatSettings
    seeds: list[int]
    x: np.ndarray  # (G,)
    d_logit: np.ndarray  # (S, G) GAN discriminator logit l(x)
    d_logit_dx: np.ndarray  # (S, G) dl/dx
    critic: np.ndarray  # (S, G) WGAN critic f(x)
    critic_dx: np.ndarray  # (S, G) df/dx

    @property
    def d_prob(self) -> np.ndarray:
        """D(x) = sigmoid(l(x))."""
        return 1.0 / (1.0 + np.exp(-self.d_logit))

    def generator_grads(self) -> dict[str, np.ndarray]:
        """|d loss / dx| a generator sample at x receives, per cost: (S, G) each."""
        d = self.d_prob
        return {"dD/dx": np.abs(d * (1 - d) * self.d_logit_dx),
                "minimax": np.abs(d * self.d_logit_dx),  # d/dx log(1 - D) = -D l'
                "nonsaturating": np.abs((1 - d) * self.d_logit_dx),  # d/dx -log D = -(1 - D) l'
                "wgan": np.abs(self.critic_dx)}  # d/dx -f = -f'


def train_pair(seed: int, s: SatSettings) -> tuple[nn.Module, nn.Module]:
    """A GAN discriminator (BCE, Adam) and a WGAN-GP critic, each trained ``steps`` times from scratch."""
    single_thread()
    torch.manual_seed(seed)
    disc, critic = MLPCritic((1,), s.width, s.depth), MLPCritic((1,), s.width, s.depth)
    d_opt = torch.optim.Adam(disc.parameters(), lr=s.d_lr, betas=(0.5, 0.999))
    c_opt = torch.optim.Adam(critic.parameters(), lr=s.critic_lr, betas=(0.5, 0.9))
    gen = torch.Generator().manual_seed(seed)
    for _ in range(s.steps):
        real = s.real_mean + s.std * torch.randn(s.batch_size, 1, generator=gen)  # (B, 1)
        fake = s.fake_mean + s.std * torch.randn(s.batch_size, 1, generator=gen)  # (B, 1)
        _step(d_opt, gan_critic_loss(disc(real), disc(fake)))
        _step(c_opt, wasserstein_critic_loss(critic(real), critic(fake))
              + s.gp_weight * gradient_penalty(critic, real, fake))
    return disc, critic


def _step(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def value_and_slope(net: nn.Module, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """net(x) and d net / dx on a 1-D grid, float64 for small slopes."""
    xt = torch.tensor(x, dtype=torch.float64).unsqueeze(1).requires_grad_(True)  # (G, 1)
    out = net.double()(xt)  # (G,)
    (dx,) = torch.autograd.grad(out.sum(), xt)
    net.float()
    return out.detach().numpy(), dx.squeeze(1).numpy()


def run_saturation(settings: SatSettings, seeds: Sequence[int], tick: Callable[[], None] | None = None) -> SatResult:
    """Train one pair per seed and evaluate both on the grid."""
    x = np.linspace(settings.x_min, settings.x_max, settings.n_grid)
    cols: dict[str, list] = {"l": [], "dl": [], "f": [], "df": []}
    for seed in seeds:
        disc, critic = train_pair(seed, settings)
        for (v, dv), names in ((value_and_slope(disc, x), ("l", "dl")), (value_and_slope(critic, x), ("f", "df"))):
            cols[names[0]].append(v)
            cols[names[1]].append(dv)
        if tick:
            tick()
    arr = {k: np.array(v) for k, v in cols.items()}
    return SatResult(settings, list(seeds), x, arr["l"], arr["dl"], arr["f"], arr["df"])


# ----------------------------------------------------------------------------- analytic costs
def analytic_costs(logits: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Generator cost and |d cost / d logit| vs D's logit l on a fake sample, per cost."""
    sig = 1.0 / (1.0 + np.exp(-logits))
    softplus = np.logaddexp(0.0, logits)
    return {"minimax": (-softplus, sig),  # log(1 - sigmoid(l)) = -softplus(l)
            "nonsaturating": (np.logaddexp(0.0, -logits), 1.0 - sig),  # -log sigmoid(l)
            "wgan": (-logits, np.ones_like(logits))}  # -f, with the logit read as the critic value


def saturation_logits(threshold: float = SATURATION_SLOPE) -> dict[str, str]:
    """Where each cost's slope falls below ``threshold``: minimax l < -4.6, -log D l > 4.6, W never."""
    t = float(np.log(threshold / (1 - threshold)))
    return {"minimax": f"logit < {t:.2f} (D(G(z)) < {threshold})",
            "nonsaturating": f"logit > {-t:.2f} (D(G(z)) > {1 - threshold})", "wgan": "never"}


# ----------------------------------------------------------------------------- numbers
def at_fake_mode(result: SatResult) -> dict:
    """Per-seed numbers at x = fake_mean: logits, D, gradients and their ratio to the max over x."""
    i = int(np.argmin(np.abs(result.x - result.settings.fake_mean)))
    g = result.generator_grads()
    return {"x": float(result.x[i]), "d_logit": result.d_logit[:, i].tolist(), "D": result.d_prob[:, i].tolist(),
            "dD_dx": g["dD/dx"][:, i].tolist(),
            "dD_dx_over_max": (g["dD/dx"][:, i] / g["dD/dx"].max(1)).tolist(),
            "grad_minimax": g["minimax"][:, i].tolist(), "grad_nonsaturating": g["nonsaturating"][:, i].tolist(),
            "grad_wgan": g["wgan"][:, i].tolist(),
            "wgan_over_max": (g["wgan"][:, i] / g["wgan"].max(1)).tolist()}


def rows(result: SatResult) -> list[dict]:
    """Long-format rows: seed, x, D logit, D(x), critic f(x) and the generator gradient per cost."""
    g = result.generator_grads()
    out = []
    for si, seed in enumerate(result.seeds):
        for j, xv in enumerate(result.x):
            out.append({"seed": seed, "x": round(float(xv), 6), "d_logit": result.d_logit[si, j],
                        "D": result.d_prob[si, j], "critic_f": result.critic[si, j],
                        **{f"grad_{k.replace('/', '_')}": v[si, j] for k, v in g.items()}})
    return out


def summary(result: SatResult) -> dict:
    return {"settings": asdict(result.settings), "seeds": result.seeds, "at_fake_mode": at_fake_mode(result),
            "saturates_where": saturation_logits()}
