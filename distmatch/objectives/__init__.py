"""Registry of objectives: resolve a name once, then call the common interface."""

from __future__ import annotations

from .base import Objective, TrainingDefaults
from .minimax import Minimax
from .mmd import MMD
from .nonsaturating import NonSaturating
from .sinkhorn import Sinkhorn
from .wgan_clip import WGANClip
from .wgan_gp import WGANGP

OBJECTIVES: dict[str, type[Objective]] = {cls.name: cls for cls in (MMD, Minimax, NonSaturating, WGANClip, WGANGP, Sinkhorn)}


def objective_class(name: str) -> type[Objective]:
    """Look up an objective class by name, with a clear error listing the choices."""
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ValueError(f"unknown objective {name!r}; choose one of {', '.join(OBJECTIVES)}") from None


def build_objective(config) -> Objective:
    """Instantiate the objective a resolved ``RunConfig`` names."""
    return objective_class(config.objective).from_config(config)


__all__ = ["OBJECTIVES", "Objective", "TrainingDefaults", "build_objective", "objective_class"]
