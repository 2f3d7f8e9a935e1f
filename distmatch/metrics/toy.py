"""Mode metrics for mixtures with known centres (PacGAN / VEEGAN protocol)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def nearest_mode(samples: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and distance to the nearest centre for each (N, D) sample; returns ((N,), (N,))."""
    dist, idx = cKDTree(centers).query(samples, k=1)
    return idx, dist


def mode_histogram(samples: np.ndarray, centers: np.ndarray, std: float, radius: float = 3.0) -> np.ndarray:
    """Counts of high-quality samples (within ``radius``·std of their nearest centre) per mode; (K,) ints."""
    idx, dist = nearest_mode(samples, centers)
    return np.bincount(idx[dist <= radius * std], minlength=len(centers))


def kl_to_uniform(counts: np.ndarray) -> float:
    """KL(p ‖ uniform) of a histogram of K bins, in nats; NaN for an empty histogram.

    KL = Σ_k p_k log(p_k · K), with 0 log 0 = 0: 0 for perfect balance, log K for a single bin.
    The one implementation behind the reverse KL of mode histograms and the label KL of images.
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total == 0:
        return float("nan")
    p = counts[counts > 0] / total
    return float(np.sum(p * np.log(p * len(counts))))


def reverse_kl(counts: np.ndarray) -> float:
    """KL(p_generated ‖ uniform) of a mode histogram (:func:`kl_to_uniform`); NaN when no sample is high quality."""
    return kl_to_uniform(counts)


def mode_metrics(samples: np.ndarray, centers: np.ndarray, std: float, radius: float = 3.0) -> dict:
    """Modes covered, % high-quality samples and reverse KL for (N, 2) samples.

    A sample is high quality if it lies within ``radius``·std of its nearest centre; a mode is
    covered if at least one high-quality sample is nearest to it.
    """
    counts = mode_histogram(samples, centers, std, radius)
    return {
        "modes": int(np.sum(counts > 0)),
        "n_modes": int(len(centers)),
        "hq": float(100.0 * counts.sum() / len(samples)),
        "rkl": reverse_kl(counts),
    }
