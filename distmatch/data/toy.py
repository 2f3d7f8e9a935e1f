"""2-D toy mixtures with known mode centres and spread (definitions and sources in docs/protocols.md)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .base import Dataset


def _mixture(centers: np.ndarray, std: float, scale: float = 1.0) -> Callable[[int, np.random.Generator], np.ndarray]:
    """Sampler for an equal-weight Gaussian mixture; all points are divided by ``scale``."""

    def generate(n: int, rng: np.random.Generator) -> np.ndarray:
        idx = rng.integers(0, len(centers), size=n)  # (n,)
        pts = centers[idx] + std * rng.standard_normal((n, 2))  # (n, 2)
        return (pts / scale).astype(np.float32)

    return generate


def _circle(k: int, radius: float) -> np.ndarray:
    angles = 2 * np.pi * np.arange(k) / k  # 2πk/K, k = 0..K-1 (no repeated end point)
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _square_grid(values: list[float]) -> np.ndarray:
    return np.array([[a, b] for a in values for b in values], dtype=np.float64)


def _toy(name: str, centers: np.ndarray, std: float, scale: float = 1.0) -> Dataset:
    from .registry import description

    return Dataset(
        name=name, kind="toy", shape=(2,), description=description(name),
        centers=(centers / scale).astype(np.float32), std=std / scale,
        generate=_mixture(centers, std, scale),
    )


def _swissroll_generate(n: int, rng: np.random.Generator) -> np.ndarray:
    from sklearn.datasets import make_swiss_roll  # imported here: sklearn costs ~1 s at start-up

    seed = int(rng.integers(0, 2**31 - 1))
    pts, _ = make_swiss_roll(n_samples=n, noise=0.25, random_state=seed)
    return (pts[:, [0, 2]] / 7.5).astype(np.float32)


def eight_gaussians() -> Dataset:
    """WGAN-GP toy: 8 centres on a circle of radius 2, std 0.02, all divided by 1.414."""
    return _toy("8gaussians", _circle(8, 2.0), 0.02, 1.414)


def twentyfive_gaussians() -> Dataset:
    """WGAN-GP toy: centres 2·{-2..2}², std 0.05, all divided by 2.828."""
    return _toy("25gaussians", _square_grid([-4.0, -2.0, 0.0, 2.0, 4.0]), 0.05, 2.828)


def ring() -> Dataset:
    """PacGAN/VEEGAN ring: 8 centres on the unit circle, std 0.01."""
    return _toy("ring", _circle(8, 1.0), 0.01)


def grid() -> Dataset:
    """PacGAN/VEEGAN grid: 25 centres {-4,-2,0,2,4}², std 0.05."""
    return _toy("grid", _square_grid([-4.0, -2.0, 0.0, 2.0, 4.0]), 0.05)


def swissroll() -> Dataset:
    """WGAN-GP swiss roll: sklearn make_swiss_roll(noise=0.25) columns (0, 2) / 7.5; no discrete modes."""
    from .registry import description

    return Dataset(name="swissroll", kind="toy", shape=(2,), description=description("swissroll"),
                   generate=_swissroll_generate)

