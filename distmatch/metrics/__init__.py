"""Evaluate generated samples against a dataset: cheap metrics during training, all at the end.

The metric functions (torch, POT, scipy) are imported when :func:`evaluate` runs; the registry of
how each metric is shown (:mod:`.registry`) is light.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .registry import METRICS, Metric, metric  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    from ..data import Dataset

CACHE_ENV = "DISTMATCH_CACHE"
IMAGE_EVAL_SAMPLES = {False: 1000, True: 2500}  # image metrics on this many samples (cheap / full)
_CLASSIFIERS: dict[str, object] = {}  # one classifier per cache file and process


def cache_dir() -> Path:
    """Where trained metric classifiers are cached: ``$DISTMATCH_CACHE`` or ``~/.cache/distmatch``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "distmatch")


def image_classifier(dataset: Dataset):
    """The dataset's metric classifier: memoised per process, else loaded from / trained into :func:`cache_dir`."""
    from .classifier import classifier_path, get_classifier

    key = str(classifier_path(dataset, cache_dir()))
    if key not in _CLASSIFIERS:
        _CLASSIFIERS[key] = get_classifier(dataset, cache_dir(), device="cpu")
    return _CLASSIFIERS[key]


CLASSIFIER_METRICS = ("fd", "kid", "precision", "recall", "coverage", "kl")  # need a classifier trained on labels


def classifier_unavailable(dataset: Dataset) -> str | None:
    """Why the classifier metrics cannot be computed for this image dataset (no labels, too small
    images), or None when they can."""
    from .classifier import check_labelled_images

    if dataset.kind != "image":
        return None
    try:
        check_labelled_images(dataset)
    except ValueError as exc:
        return f"no classifier: {exc}"
    if min(dataset.shape[1:]) < 4:
        return f"no classifier: images of {tuple(dataset.shape)} are below its 4x4 minimum"
    if len(np.unique(dataset.labels)) < 2:
        return "no classifier: the labels hold a single class"
    return None


def not_computed(dataset: Dataset, distances: bool) -> dict[str, str]:
    """Metric -> why a run's final evaluation leaves it out (summary.json's ``not_computed``)."""
    out = {} if distances or dataset.kind == "image" else \
        {k: "costly: add --final-metrics all, or run `distmatch eval` later" for k in DISTANCE_METRICS}
    reason = classifier_unavailable(dataset)
    out.update({k: reason for k in CLASSIFIER_METRICS} if reason else {})
    return out


def _pixel_kid(samples: np.ndarray, dataset: Dataset, rng: np.random.Generator, full: bool) -> dict:
    """KID on flattened pixels: the label-free image metric, for data without a classifier."""
    from .images import kid_subsets

    n = IMAGE_EVAL_SAMPLES[full]
    fake = samples.reshape(len(samples), -1)[:n].astype(np.float64)
    real = dataset.heldout(len(fake), rng)  # at most the test split's size
    real = real.reshape(len(real), -1).astype(np.float64)
    size = min(1000 if full else 500, len(fake), len(real))
    kid = kid_subsets(real, fake, 100 if full else 20, size, int(rng.integers(2**31)))
    return {"kid_pixel": float(kid.mean())}


def _image_metrics(samples: np.ndarray, dataset: Dataset, rng: np.random.Generator, full: bool) -> dict:
    """Classifier-feature FD, KID, precision/recall (k=3), class coverage and label KL; pixel KID
    instead when the data cannot train a classifier (:func:`not_computed` says so)."""
    from .images import image_metrics

    if classifier_unavailable(dataset):
        return _pixel_kid(samples, dataset, rng, full)
    seed = int(rng.integers(2**31))
    cheap = {} if full else dict(kid_subsets_n=20, kid_subset_size=500)
    out = image_metrics(samples, dataset, image_classifier(dataset), n=IMAGE_EVAL_SAMPLES[full], seed=seed, **cheap)
    out.pop("seconds", None)  # timed by evaluate as time_image
    return out


def final_rng(seed: int) -> np.random.Generator:
    """The generator of the held-out data draw of a run's final evaluation (the trainer's and
    ``distmatch eval``'s: the same numbers for the same samples)."""
    return np.random.default_rng(seed + 7)


DISTANCE_METRICS = ("sinkhorn", "w1", "w2")  # the costly ones: only with final_metrics="all" (points)


def evaluate(samples: np.ndarray, dataset: Dataset, bandwidths: list[float], rng: np.random.Generator,
             full: bool = False, distances: bool | None = None) -> dict:
    """Metrics of (N, *shape) generated samples.

    ``full``: the end-of-run evaluation (image metrics on 2,500 samples, 1,000 during training).
    ``distances`` (default: ``full``) adds the Sinkhorn divergence and exact W1/W2 for points,
    the costly metrics (seconds at 2,500 points; :data:`DISTANCE_METRICS`).
    Distances compare with N fresh/held-out real samples; each metric's wall time is recorded
    under ``time_<name>``. Images get the classifier metrics of :mod:`.images` plus MMD² on
    flattened pixels; the classifier is trained once per dataset and cached in
    ``$DISTMATCH_CACHE`` (default ``~/.cache/distmatch``).
    """
    from .distances import exact_wasserstein, mmd_unbiased, sinkhorn_divergence
    from .toy import mode_metrics

    distances = full if distances is None else distances
    real = dataset.heldout(len(samples), rng)
    out: dict = {}
    timed = []
    if dataset.centers is not None:
        timed.append(("modes", lambda: mode_metrics(samples, dataset.centers, dataset.std)))
    if dataset.kind == "image":
        timed.append(("image", lambda: _image_metrics(samples, dataset, rng, full)))
    timed.append(("mmd", lambda: {"mmd": mmd_unbiased(samples, real, bandwidths)}))
    if distances and dataset.kind != "image":
        timed.append(("sinkhorn", lambda: {"sinkhorn": sinkhorn_divergence(samples, real)}))
        timed.append(("w1", lambda: {"w1": exact_wasserstein(samples, real, 1, rng=rng)}))
        timed.append(("w2", lambda: {"w2": exact_wasserstein(samples, real, 2, rng=rng)}))
    for name, fn in timed:
        t0 = time.perf_counter()
        out.update(fn())
        out[f"time_{name}"] = round(time.perf_counter() - t0, 4)
    return out
