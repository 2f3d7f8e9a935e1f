"""Registry of objectives: a name, where its class lives, and one line on what it optimises.

Adding an objective = one module + one line in ``REGISTRY``. Classes are imported on first use,
so listing names and descriptions (``distmatch --help``, ``distmatch list``) never loads torch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Objective

REGISTRY: dict[str, tuple[str, str]] = {
    "mmd": ("mmd:MMD", "GMMN: multi-bandwidth Gaussian-kernel MMD to the data batch, no discriminator"),
    "minimax": ("minimax:Minimax", "original GAN; G minimises log(1 - D(G(z))) (saturating)"),
    "nonsaturating": ("nonsaturating:NonSaturating", "GAN with the -log D(G(z)) generator loss (non-saturating)"),
    "wgan-clip": ("wgan_clip:WGANClip", "Wasserstein critic kept Lipschitz by clipping weights to [-c, c]"),
    "wgan-gp": ("wgan_gp:WGANGP", "Wasserstein critic with a gradient penalty lambda (||grad f|| - 1)^2"),
    "sinkhorn": ("sinkhorn:Sinkhorn",
                 "Sinkhorn divergence (debiased entropic OT, blur = sqrt(eps)) to the data batch, no critic"),
    "mmd-gan": ("mmd_gan:MMDGAN", "MMD GAN: Gaussian-kernel MMD on a critic embedding f(x); f maximises it (clipped or penalised)"),
    "gmmn-ae": ("gmmn_ae:GMMNAE",
                "GMMN+AE: an auto-encoder first, then a GMMN matching its codes by MMD; samples are decoded"),
}


class _Objectives(Mapping):
    """Name -> objective class, importing each class's module when it is first looked up."""

    def __getitem__(self, name: str) -> type[Objective]:
        module, cls = REGISTRY[name][0].split(":")
        return getattr(import_module(f"{__name__}.{module}"), cls)

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)


OBJECTIVES: Mapping[str, type[Objective]] = _Objectives()


def describe(name: str) -> str:
    """The registry's one-line description of an objective."""
    return REGISTRY[name][1]


def objective_class(name: str) -> type[Objective]:
    """Look up an objective class by name, with a clear error listing the choices."""
    if name not in REGISTRY:
        raise ValueError(f"unknown objective {name!r}; choose one of {', '.join(REGISTRY)}")
    return OBJECTIVES[name]


def build_objective(config) -> Objective:
    """Instantiate the objective a resolved ``RunConfig`` names."""
    return objective_class(config.objective).from_config(config)


def __getattr__(name: str):
    """``Objective`` and ``TrainingDefaults`` from base.py, imported on first use."""
    if name in ("Objective", "TrainingDefaults"):
        return getattr(import_module(f"{__name__}.base"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["OBJECTIVES", "REGISTRY", "Objective", "TrainingDefaults", "build_objective", "describe",
           "objective_class"]
