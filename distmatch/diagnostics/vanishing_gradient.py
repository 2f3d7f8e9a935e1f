"""Vanishing generator gradients against an improving discriminator (Arjovsky & Bottou 2017, Fig. 2).

A generator is fixed (untrained, or after ``pretrain_steps`` non-saturating GAN steps); a
discriminator is trained from scratch against it, and a Wasserstein critic separately. Every
``record_every`` critic iterations we record the norm of the generator's parameter gradient under

* the minimax cost      E log(1 - D(G(z)))  (saturates as D(G(z)) -> 0),
* the -log D cost       E -log D(G(z)),
* the Wasserstein cost  -E f(G(z))          (f the separately trained critic),

and the discriminator's accuracy on a real and a fake batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from ..config import RunConfig, resolve
from ..data import Dataset, get_dataset
from ..models import build_critic
from ..objectives.base import gan_critic_loss
from ..objectives.minimax import minimax_generator_loss
from ..objectives.nonsaturating import nonsaturating_generator_loss
from ..objectives.wgan_clip import wasserstein_critic_loss, wasserstein_generator_loss
from ..objectives.wgan_gp import gradient_penalty
from ..critic_log import grad_norm
from .common import single_thread

COSTS = ("minimax", "nonsaturating", "wgan")
COST_LABELS = {"minimax": r"minimax  $\log(1-D(G(z)))$", "nonsaturating": r"$-\log D(G(z))$",
               "wgan": r"Wasserstein  $-f(G(z))$"}


@dataclass
class VGSettings:
    """Settings of one vanishing-gradient experiment (recorded with the data)."""

    dataset: str = "8gaussians"
    d_steps: int = 2000
    record_every: int = 10
    pretrain_steps: int = 0
    d_lr: float = 1e-3
    batch_size: int = 256
    eval_batch: int = 512
    wgan_critic: str = "gp"
    gp_weight: float = 10.0
    clip: float = 0.01


@dataclass
class VGResult:
    """Recorded curves, each (n_seeds, n_records), at ``iterations``."""

    settings: VGSettings
    seeds: list[int]
    iterations: list[int]
    grads: dict[str, np.ndarray]  # cost -> (n_seeds, T) generator gradient norms
    accuracy: np.ndarray  # (n_seeds, T) discriminator accuracy on real + fake
    d_fake: np.ndarray  # (n_seeds, T) mean D(G(z))
    model: str


# ----------------------------------------------------------------------------- set-up
def fixed_generator(dataset: Dataset, seed: int, pretrain_steps: int) -> tuple[nn.Module, RunConfig]:
    """The generator of a non-saturating GAN run after ``pretrain_steps`` steps (0: untrained)."""
    from ..trainer import Trainer

    cfg = resolve(RunConfig(objective="nonsaturating", dataset=dataset.name, seed=seed,
                            steps=max(pretrain_steps, 1), threads=1), dataset)
    trainer = Trainer(cfg, dataset, None, quiet=True)  # steps only: no run directory
    for _ in range(pretrain_steps):
        trainer.train_step()
    for p in trainer.generator.parameters():
        p.requires_grad_(True)
    return trainer.generator, cfg


def fresh_critic(cfg: RunConfig, dataset: Dataset) -> nn.Module:
    """A critic of the run's model family, without batchnorm (per-sample outputs)."""
    return build_critic(cfg.model, dataset.shape, cfg.width, cfg.depth, batchnorm=False)


def wgan_update(kind: str, s: VGSettings) -> tuple[Callable, Callable[[nn.Module], None]]:
    """(optimizer factory, after-step hook) of the wgan-gp critic (its paper optimiser: Adam 1e-4,
    betas .5/.9) or of the wgan-clip critic (RMSProp 5e-5, weights clipped to [-clip, clip]), as
    the objectives declare them."""
    from ..objectives import OBJECTIVES

    if kind == "gp":
        gp = OBJECTIVES["wgan-gp"].defaults
        return (lambda ps: torch.optim.Adam(ps, lr=gp.lr, betas=gp.betas)), (lambda c: None)
    clipped = OBJECTIVES["wgan-clip"]
    return (lambda ps: torch.optim.RMSprop(ps, lr=clipped.defaults.lr)), clipped(s.clip).after_critic_step


# ----------------------------------------------------------------------------- measurements
def generator_grad(generator: nn.Module, z: torch.Tensor, critic: nn.Module, cost: str) -> float:
    """Norm of d cost / d theta_G at the fixed noise batch z."""
    generator.zero_grad(set_to_none=True)
    scores = critic(generator(z))  # (B,)
    loss = {"minimax": minimax_generator_loss, "nonsaturating": nonsaturating_generator_loss,
            "wgan": wasserstein_generator_loss}[cost](scores)
    loss.backward()
    norm = grad_norm(generator.parameters())
    generator.zero_grad(set_to_none=True)
    return norm


@torch.no_grad()
def accuracy(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> tuple[float, float]:
    """(accuracy on real + fake with threshold D = 1/2, mean D(fake))."""
    lr, lf = critic(real), critic(fake)
    acc = 0.5 * ((lr > 0).float().mean() + (lf < 0).float().mean())
    return float(acc), float(torch.sigmoid(lf).mean())


# ----------------------------------------------------------------------------- one seed
def run_seed(dataset: Dataset, seed: int, s: VGSettings, tick: Callable[[int], None] | None = None) -> dict:
    """Train D and a Wasserstein critic from scratch against a fixed G; record the curves for one seed."""
    single_thread()
    generator, cfg = fixed_generator(dataset, seed, s.pretrain_steps)
    torch.manual_seed(10_000 + seed)
    disc, critic = fresh_critic(cfg, dataset), fresh_critic(cfg, dataset)
    d_opt = torch.optim.Adam(disc.parameters(), lr=s.d_lr, betas=(0.5, 0.999))
    make_opt, after_step = wgan_update(s.wgan_critic, s)
    c_opt = make_opt(critic.parameters())
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    z_eval = torch.randn(s.eval_batch, cfg.noise_dim, generator=gen)
    real_eval = torch.from_numpy(dataset.sample(s.eval_batch, rng))
    with torch.no_grad():
        fake_eval = generator(z_eval)
    rec: dict[str, list] = {"iterations": [], "accuracy": [], "d_fake": [], **{c: [] for c in COSTS}}

    def record(it: int) -> None:
        rec["iterations"].append(it)
        for cost in COSTS:
            rec[cost].append(generator_grad(generator, z_eval, critic if cost == "wgan" else disc, cost))
        acc, d_fake = accuracy(disc, real_eval, fake_eval)
        rec["accuracy"].append(acc)
        rec["d_fake"].append(d_fake)

    record(0)
    for it in range(1, s.d_steps + 1):
        real = torch.from_numpy(dataset.sample(s.batch_size, rng))
        with torch.no_grad():
            fake = generator(torch.randn(s.batch_size, cfg.noise_dim, generator=gen))
        _step(d_opt, gan_critic_loss(disc(real), disc(fake)))
        _step(c_opt, _wgan_loss(critic, real, fake, s))
        after_step(critic)
        if it % s.record_every == 0 or it == s.d_steps or it < s.record_every:  # every step at first
            record(it)
            if tick and it % s.record_every == 0:
                tick(s.record_every)
    rec["model"] = cfg.model
    return rec


def _wgan_loss(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, s: VGSettings) -> torch.Tensor:
    loss = wasserstein_critic_loss(critic(real), critic(fake))
    return loss + s.gp_weight * gradient_penalty(critic, real, fake) if s.wgan_critic == "gp" else loss


def _step(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


# ----------------------------------------------------------------------------- experiment
def check_dataset(name: str) -> Dataset:
    """The dataset, or ValueError when images are asked for without DCGAN support."""
    dataset = get_dataset(name)
    if dataset.kind == "image":
        try:
            from ..models import dcgan  # noqa: F401
        except ImportError:
            raise ValueError(f"dataset {name!r} needs image models (distmatch/models/dcgan.py), "
                             f"which this build lacks; use a toy dataset such as 8gaussians") from None
    return dataset


def run_vanishing_gradient(settings: VGSettings, seeds: Sequence[int],
                           tick: Callable[[int], None] | None = None) -> VGResult:
    """Run every seed and stack the curves."""
    dataset = check_dataset(settings.dataset)
    recs = [run_seed(dataset, seed, settings, tick) for seed in seeds]
    stack = lambda key: np.array([r[key] for r in recs], dtype=np.float64)  # noqa: E731
    return VGResult(settings, list(seeds), recs[0]["iterations"], {c: stack(c) for c in COSTS},
                    stack("accuracy"), stack("d_fake"), recs[0]["model"])


def log10_change(result: VGResult, cost: str) -> np.ndarray:
    """Per-seed log10(final / start gradient norm).

    Start is the first record after training began (iteration ``record_every``): at iteration 0
    the critics are random initialisations whose gradients mean nothing.
    """
    g = result.grads[cost]
    start = g[:, start_index(result)]
    return np.log10(np.maximum(g[:, -1], 1e-45) / np.maximum(start, 1e-45))


def start_index(result: VGResult) -> int:
    """Index of the record at iteration ``record_every`` (the reference 'start' of a drop)."""
    its = result.iterations
    k = min(result.settings.record_every, its[-1])
    return its.index(k) if k in its else min(1, len(its) - 1)


def first_iteration_reaching(result: VGResult, level: float = 0.99) -> list[int | None]:
    """Per seed, the first recorded D iteration with accuracy >= level (None if never)."""
    its = np.asarray(result.iterations)
    return [int(its[np.argmax(a >= level)]) if (a >= level).any() else None for a in result.accuracy]


def drop_message(result: VGResult) -> str:
    """One line per cost, e.g. 'minimax: grad norm fell 10^3.8 over 2,000 D steps (seeds 0,1,2)'."""
    n = f"{result.iterations[start_index(result)]:,}-{result.iterations[-1]:,}"
    parts = []
    for cost in COSTS:
        ch = log10_change(result, cost)
        verb = "fell" if ch.mean() < 0 else "rose"
        name = {"nonsaturating": "-log D", "wgan": "wgan-" + result.settings.wgan_critic}.get(cost, cost)
        parts.append(f"{name}: grad norm {verb} 10^{abs(ch.mean()):.1f} (x{10 ** ch.mean():.2g}, "
                     f"per seed log10 {', '.join(f'{v:+.1f}' for v in ch)}) over D steps {n}")
    reach = first_iteration_reaching(result)
    parts.append(f"D accuracy >= 0.99 after {reach} iterations; final {result.accuracy[:, -1].mean():.3f} "
                 f"(seeds {','.join(map(str, result.seeds))})")
    return "\n".join(parts)


def rows(result: VGResult) -> list[dict]:
    """Long-format rows: seed, iteration, grad norms per cost, accuracy, mean D(G(z))."""
    out = []
    for i, seed in enumerate(result.seeds):
        for j, it in enumerate(result.iterations):
            row = {"seed": seed, "d_iteration": it}
            row.update({f"grad_{c}": result.grads[c][i, j] for c in COSTS})
            row.update({"d_accuracy": result.accuracy[i, j], "mean_D_fake": result.d_fake[i, j]})
            out.append(row)
    return out


def summary(result: VGResult) -> dict:
    """Drops (log10 per seed), accuracies and first iteration at >= 0.99 accuracy."""
    return {"log10_change": {c: log10_change(result, c).tolist() for c in COSTS},
            "final_accuracy": result.accuracy[:, -1].tolist(),
            "first_iteration_accuracy_ge_0.99": first_iteration_reaching(result),
            "model": result.model, "message": drop_message(result), "nan_free": bool(all(
                math.isfinite(v) for c in COSTS for v in result.grads[c].ravel()))}
