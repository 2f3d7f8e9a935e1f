"""The one dataset interface every objective, metric and plot uses."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Dataset:
    """A source of real samples.

    Attributes
    ----------
    name : registry name or file path.
    kind : ``'toy'`` (2-D mixture with known modes), ``'points'`` (user file) or ``'image'``.
    shape : per-sample shape, e.g. ``(2,)`` for toys or ``(1, 8, 8)`` for digits.
    centers : (K, D) mode centres, or None when modes are unknown.
    std : standard deviation of each mode (for the high-quality radius), or None.
    train : (N, *shape) float32 array the sampler draws from, or None for generative toys.
    test : (N', *shape) float32 held-out array for evaluation, or None for generative toys.
    labels, test_labels : integer class labels for image data, else None.
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    description: str = ""
    centers: np.ndarray | None = None
    std: float | None = None
    train: np.ndarray | None = None
    test: np.ndarray | None = None
    labels: np.ndarray | None = None
    test_labels: np.ndarray | None = None
    generate: object = field(default=None, repr=False)  # callable (n, rng) -> (n, *shape) array
    source_id: str = ""

    @property
    def dim(self) -> int:
        """Number of scalars per sample."""
        return int(np.prod(self.shape))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` training samples as a float32 (n, *shape) array."""
        if self.generate is not None:
            return np.asarray(self.generate(n, rng), dtype=np.float32)
        idx = rng.integers(0, len(self.train), size=n)
        return self.train[idx]

    def heldout(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` held-out samples (fresh draws for generative toys, the test split otherwise)."""
        if self.generate is not None:
            return np.asarray(self.generate(n, rng), dtype=np.float32)
        pool = self.test if self.test is not None else self.train
        if n >= len(pool):
            return pool
        return pool[rng.choice(len(pool), size=n, replace=False)]
