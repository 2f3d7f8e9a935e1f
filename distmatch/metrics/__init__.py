"""Evaluate generated samples against a dataset: cheap metrics during training, all at the end."""

from __future__ import annotations

import time

import numpy as np

from ..data import Dataset
from .distances import exact_wasserstein, mmd_unbiased, sinkhorn_divergence
from .toy import mode_metrics


def evaluate(samples: np.ndarray, dataset: Dataset, bandwidths: list[float], rng: np.random.Generator,
             full: bool = False) -> dict:
    """Metrics of (N, *shape) generated samples; ``full`` adds Sinkhorn and exact W1/W2.

    Distances compare with N fresh/held-out real samples; each metric's wall time is recorded
    under ``time_<name>``.
    """
    real = dataset.heldout(len(samples), rng)
    out: dict = {}
    timed = []
    if dataset.centers is not None:
        timed.append(("modes", lambda: mode_metrics(samples, dataset.centers, dataset.std)))
    timed.append(("mmd", lambda: {"mmd": mmd_unbiased(samples, real, bandwidths)}))
    if full:
        timed.append(("sinkhorn", lambda: {"sinkhorn": sinkhorn_divergence(samples, real)}))
        timed.append(("w1", lambda: {"w1": exact_wasserstein(samples, real, 1, rng=rng)}))
        timed.append(("w2", lambda: {"w2": exact_wasserstein(samples, real, 2, rng=rng)}))
    for name, fn in timed:
        t0 = time.perf_counter()
        out.update(fn())
        out[f"time_{name}"] = round(time.perf_counter() - t0, 4)
    return out
