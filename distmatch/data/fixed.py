"""A fixed training set (``--train-samples N``): N points drawn once from the data, then served in
epochs — each epoch a fresh permutation — as PacGAN trains on 100,000 fixed samples."""

from __future__ import annotations

import numpy as np

from .base import Dataset

TRAIN_SET_KEY = 0x7A1  # separates the training set's draws from every other seeded stream


class FixedTrainingSet:
    """``n`` points of ``dataset`` drawn with ``seed``, served in order of per-epoch permutations.

    ``position`` (points served so far) is the whole state: epoch e's permutation is drawn from
    (seed, e), so a checkpoint that stores ``position`` resumes exactly."""

    def __init__(self, dataset: Dataset, n: int, seed: int):
        if int(n) < 1:
            raise ValueError(f"train_samples must be a positive integer, got {n}")
        self.seed, self.n = int(seed), int(n)
        self.points = dataset.sample(self.n, np.random.default_rng([self.seed, TRAIN_SET_KEY]))  # (n, *shape)
        self.position = 0
        self._epoch, self._perm = -1, np.empty(0, dtype=np.int64)

    @property
    def epochs(self) -> float:
        """Passes over the training set so far."""
        return self.position / self.n

    def _permutation(self, epoch: int) -> np.ndarray:
        if epoch != self._epoch:
            self._epoch = epoch
            self._perm = np.random.default_rng([self.seed, TRAIN_SET_KEY, epoch]).permutation(self.n)
        return self._perm

    def next(self, k: int) -> np.ndarray:
        """The next ``k`` points (k, *shape), crossing into the next epoch when this one runs out."""
        parts = []
        while k > 0:
            epoch, offset = divmod(self.position, self.n)
            take = min(k, self.n - offset)
            parts.append(self.points[self._permutation(epoch)[offset:offset + take]])
            self.position += take
            k -= take
        return np.concatenate(parts)
