"""Registry of objectives: a name, where its class lives, and one line on what it optimises.

Adding an objective = one module + one line in ``REGISTRY``. Classes are imported on first use,
so listing names and descriptions (``distmatch --help``, ``distmatch list``) never loads torch.

An objective that lives outside the package is registered without editing it through the
environment: ``DISTMATCH_OBJECTIVES="energy=mypkg.energy:Energy,other=..."`` (an importable
``module:Class``; its description is the first line of the class docstring). Worker processes of a
sweep inherit it.
"""

from __future__ import annotations

import os
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


PLUGINS_ENV = "DISTMATCH_OBJECTIVES"
PLUGIN_ERRORS: list[str] = []  # malformed or unloadable entries; the CLI refuses to start while there are any
PLUGINS: set[str] = set()  # registry names that came from the environment (absolute module paths)


def _register_plugins(spec: str) -> None:
    """Add ``name=module:Class`` entries (comma-separated) to the registry; a malformed entry or a
    name that is taken goes to :data:`PLUGIN_ERRORS` instead."""
    for entry in filter(None, (e.strip() for e in spec.split(","))):
        name, _, target = (part.strip() for part in entry.partition("="))
        module, _, cls = target.partition(":")
        if not name or not module or not cls or ":" in cls:
            PLUGIN_ERRORS.append(f"{PLUGINS_ENV}: expected name=module:Class, got {entry!r}")
        elif name in REGISTRY:
            PLUGIN_ERRORS.append(f"{PLUGINS_ENV}: objective {name!r} already exists")
        else:
            REGISTRY[name] = (target, "")
            PLUGINS.add(name)


def _check_plugins() -> None:
    """Import each plug-in once: one that cannot be imported, or is not an Objective subclass, leaves
    the registry and goes to :data:`PLUGIN_ERRORS` (never a traceback at start-up)."""
    from .base import Objective

    for name in sorted(PLUGINS):
        target = REGISTRY[name][0]
        try:
            cls = OBJECTIVES[name]
            ok = isinstance(cls, type) and issubclass(cls, Objective)
            problem = "" if ok else "it is not a subclass of distmatch.objectives.base.Objective"
        except Exception as exc:  # noqa: BLE001 - any import failure of a user's module
            problem = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        if problem:
            PLUGIN_ERRORS.append(f"{PLUGINS_ENV}: cannot use {name}={target}: {problem}")
            del REGISTRY[name]
            PLUGINS.discard(name)


class _Objectives(Mapping):
    """Name -> objective class, importing each class's module when it is first looked up
    (built-in entries name a module of this package, plug-ins an importable module)."""

    def __getitem__(self, name: str) -> type[Objective]:
        module, cls = REGISTRY[name][0].split(":")
        return getattr(import_module(module if name in PLUGINS else f"{__name__}.{module}"), cls)

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)


OBJECTIVES: Mapping[str, type[Objective]] = _Objectives()
_register_plugins(os.environ.get(PLUGINS_ENV, ""))


def describe(name: str) -> str:
    """The registry's one-line description of an objective (a plugin's: its docstring's first line)."""
    text = REGISTRY[name][1]
    if not text:
        text = ((OBJECTIVES[name].__doc__ or "").strip().splitlines() or [""])[0]
    return text


def objective_class(name: str) -> type[Objective]:
    """Look up an objective class by name, with a clear error listing the choices."""
    if name not in REGISTRY:
        raise ValueError(f"unknown objective {name!r}; choose one of {', '.join(REGISTRY)}")
    return OBJECTIVES[name]


def option_declarations() -> dict[str, tuple[object, list[tuple[str, str]]]]:
    """Every objective option of the registry: name -> (default, [(objective, help), ...]).

    Objective classes load without torch, so the ``run`` command builds its options from this.
    Two objectives declaring the same option must agree on its default."""
    _check_plugins()
    out: dict[str, tuple[object, list[tuple[str, str]]]] = {}
    for name in REGISTRY:
        for key, option in OBJECTIVES[name].options.items():
            default, helps = out.setdefault(key, (option.default, []))
            if default != option.default and option.default is not None and default is not None:
                raise ValueError(f"objectives disagree on the default of {key!r}: {default!r} vs {option.default!r}")
            out[key] = (default if default is not None else option.default, helps + [(name, option.help)])
    return out


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
