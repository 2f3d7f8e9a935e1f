"""Image metrics without Inception or downloads.

The classifier of :mod:`.classifier` (a small CNN trained here on the real training split and
cached) stands in for Inception: its penultimate features and its predictions (the class histogram
of generated samples) feed:

- ``frechet_distance``: FD between Gaussians fitted to two feature sets (FID protocol, own features).
- ``kernel_distance``: KID, unbiased MMD^2 with the cubic polynomial kernel, averaged over subsets
  (Binkowski et al. 2018).
- ``precision_recall``: k-NN radius precision / recall (Kynkaanniemi et al. 2019, k = 3).
- ``class_coverage`` / ``label_kl``: share of classes generated and KL(predicted histogram || uniform).
- ``stacked_mode_metrics``: Stacked MNIST's modes covered (of 1,000) and KL to uniform, from the
  per-channel digit predictions of a :class:`~.classifier.ChannelClassifier`.
- ``image_metrics``: all of the above for a batch of generated images, as one flat dict.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import scipy.linalg
import torch

from ..data.base import Dataset
from .classifier import (  # noqa: F401
    ChannelClassifier,
    ImageClassifier,
    accuracy,
    check_labelled_images,
    classifier_path,
    get_classifier,
    train_classifier,
)


def _as_features(a: np.ndarray, b: np.ndarray, min_rows: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Both feature sets as float64 (N, F) arrays, or ValueError naming ``what``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"{what} needs two (N, F) feature arrays with the same F, got {a.shape} and {b.shape}")
    if len(a) < min_rows or len(b) < min_rows:
        raise ValueError(f"{what} needs at least {min_rows} samples per set, got {len(a)} and {len(b)}")
    return a, b


def _sqrtm(m: np.ndarray) -> np.ndarray:
    """scipy's matrix square root, silent about singular input (the caller checks finiteness)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        return scipy.linalg.sqrtm(m)


def frechet_distance(feat_a: np.ndarray, feat_b: np.ndarray, eps: float = 1e-6) -> float:
    """Frechet distance between Gaussians fitted to (N, F) and (M, F) features.

    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^{1/2})``. The matrix root comes from
    ``scipy.linalg.sqrtm``; when it is not finite ``eps * I`` is added to both covariances,
    its tiny imaginary part (round-off) is dropped and a tiny negative total is clipped to 0.
    """
    a, b = _as_features(feat_a, feat_b, 2, "frechet_distance")
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    covmean = _sqrtm(s_a @ s_b)
    if not np.all(np.isfinite(covmean)):
        offset = eps * np.eye(len(s_a))
        covmean = _sqrtm((s_a + offset) @ (s_b + offset))
    if np.iscomplexobj(covmean):
        imag = np.max(np.abs(covmean.imag)) if covmean.size else 0.0
        if imag > 1e-3 * max(1.0, np.max(np.abs(covmean.real))):
            warnings.warn(f"frechet_distance: sqrtm has a large imaginary part ({imag:.3g}); using the real part",
                          stacklevel=2)
        covmean = covmean.real
    diff = mu_a - mu_b
    fd = diff @ diff + np.trace(s_a) + np.trace(s_b) - 2.0 * np.trace(covmean)
    return max(float(fd), 0.0)


def _poly_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(N, M) cubic polynomial kernel (x.y / F + 1)^3 of (N, F) and (M, F) features."""
    k = x @ y.T / x.shape[1] + 1.0
    return k * k * k


def _mmd2_from_blocks(k_xx: np.ndarray, k_yy: np.ndarray, k_xy: np.ndarray) -> float:
    """Unbiased MMD^2 from (m, m) kernel blocks: off-diagonal means within, full mean across."""
    m = len(k_xx)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.mean())


KID_PRECOMPUTE_MAX = 3000  # below this many samples in all, one kernel matrix serves every subset


def kid_subsets(feat_a: np.ndarray, feat_b: np.ndarray, n_subsets: int = 100, subset_size: int = 1000,
                seed: int = 0) -> np.ndarray:
    """(n_subsets,) unbiased polynomial-kernel MMD^2 estimates on random equal-size subsets.

    Each subset draws m = min(N, M, subset_size) rows of each set without replacement. For small
    sets the (N+M)^2 kernel matrix is computed once and indexed (same numbers, much faster).
    """
    a, b = _as_features(feat_a, feat_b, 2, "kernel_distance")
    if n_subsets < 1:
        raise ValueError(f"n_subsets must be >= 1, got {n_subsets}")
    m = min(len(a), len(b), int(subset_size))
    rng = np.random.default_rng(seed)
    full = len(a) + len(b) <= KID_PRECOMPUTE_MAX
    if full:
        both = np.concatenate([a, b])
        k_all = _poly_kernel(both, both)  # (N+M, N+M)
    out = np.empty(int(n_subsets))
    for i in range(len(out)):
        ia = rng.choice(len(a), m, replace=False)
        ib = rng.choice(len(b), m, replace=False)
        if full:
            jb = ib + len(a)
            out[i] = _mmd2_from_blocks(k_all[np.ix_(ia, ia)], k_all[np.ix_(jb, jb)], k_all[np.ix_(ia, jb)])
        else:
            x, y = a[ia], b[ib]
            out[i] = _mmd2_from_blocks(_poly_kernel(x, x), _poly_kernel(y, y), _poly_kernel(x, y))
    return out


def kernel_distance(feat_a: np.ndarray, feat_b: np.ndarray, n_subsets: int = 100, subset_size: int = 1000,
                    seed: int = 0) -> float:
    """KID (Binkowski et al. 2018): mean of ``kid_subsets``; unbiased, so it can be slightly < 0."""
    return float(kid_subsets(feat_a, feat_b, n_subsets, subset_size, seed).mean())


def _kth_nn_radius(x: torch.Tensor, k: int, chunk: int) -> torch.Tensor:
    """(N,) distance from each row of (N, F) ``x`` to its k-th nearest other row."""
    out = [torch.cdist(x[i:i + chunk], x).kthvalue(k + 1, dim=1).values for i in range(0, len(x), chunk)]
    return torch.cat(out)  # the (k+1)-th smallest skips the zero self-distance


def _in_any_ball(query: torch.Tensor, centers: torch.Tensor, radii: torch.Tensor, chunk: int) -> torch.Tensor:
    """(Q,) bool: whether each query row lies within radii[j] of some centers[j]."""
    out = [(torch.cdist(query[i:i + chunk], centers) <= radii[None]).any(1) for i in range(0, len(query), chunk)]
    return torch.cat(out)


def precision_recall(real_feat: np.ndarray, fake_feat: np.ndarray, k: int = 3,
                     chunk: int = 1024) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) with k-NN radii.

    precision: share of fake samples inside the k-NN ball of some real sample;
    recall: share of real samples inside the k-NN ball of some fake sample.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    r, f = _as_features(real_feat, fake_feat, k + 1, "precision_recall")
    real, fake = torch.from_numpy(r), torch.from_numpy(f)
    precision = _in_any_ball(fake, real, _kth_nn_radius(real, k, chunk), chunk).double().mean()
    recall = _in_any_ball(real, fake, _kth_nn_radius(fake, k, chunk), chunk).double().mean()
    return float(precision), float(recall)


# ----------------------------------------------------------------------------- labels
def _label_counts(pred_labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes,) number of predictions per class; ValueError on labels outside [0, n_classes)."""
    pred = np.asarray(pred_labels).astype(np.int64).ravel()
    if len(pred) == 0:
        raise ValueError("need at least one predicted label")
    if pred.min() < 0 or pred.max() >= n_classes:
        raise ValueError(f"predicted labels must lie in [0, {n_classes}), got [{pred.min()}, {pred.max()}]")
    return np.bincount(pred, minlength=n_classes)


def class_coverage(pred_labels: np.ndarray, n_classes: int, threshold: float = 0.01) -> float:
    """Share of the ``n_classes`` classes that receive at least ``threshold`` of the predictions."""
    counts = _label_counts(pred_labels, n_classes)
    return float(np.mean(counts / counts.sum() >= threshold))


def label_kl(pred_labels: np.ndarray, n_classes: int, eps: float = 1e-10) -> float:
    """KL(p || uniform) of the predicted-label histogram p, in nats (0 = balanced, log K = one class).

    ``eps`` is added to every class count before normalising so the logarithm stays finite; it
    shifts the result by O(eps) (a single-class histogram gives log K - O(K eps log eps)).
    """
    from .toy import kl_to_uniform

    return kl_to_uniform(_label_counts(pred_labels, n_classes).astype(np.float64) + eps)


def stacked_mode_metrics(pred_labels: np.ndarray, n_modes: int = 1000) -> dict:
    """Stacked MNIST protocol (VEEGAN, PacGAN) from (N,) predicted stack labels in [0, n_modes).

    ``modes_1k``: modes with at least one sample; ``kl_1k``: KL(mode histogram || uniform) in
    nats (:func:`~.toy.kl_to_uniform`, no smoothing: exactly log 1000 for a single mode);
    ``n_stacks``: how many samples they were computed from (the protocol uses 26,000).
    """
    from .toy import kl_to_uniform

    counts = _label_counts(pred_labels, n_modes)
    return {"modes_1k": int(np.count_nonzero(counts)), "kl_1k": kl_to_uniform(counts),
            "n_stacks": int(counts.sum())}


def stacked_modes(fake: np.ndarray | torch.Tensor, dataset: Dataset, classifier: ChannelClassifier) -> dict:
    """:func:`stacked_mode_metrics` of all generated (N, C, H, W) ``fake`` (the protocol: 26,000),
    with the classifier's single-digit test accuracy as ``classifier_accuracy``."""
    if not isinstance(classifier, ChannelClassifier):
        raise TypeError(f"stacked mode metrics need a per-channel classifier (a stacked dataset's), "
                        f"got {type(classifier).__name__} for {dataset.name!r}")
    pred = classifier.predict(_as_images(fake, dataset.shape))
    return {**stacked_mode_metrics(pred, classifier.n_classes), "classifier_accuracy": float(classifier.test_accuracy)}


# ----------------------------------------------------------------------------- front end
def _as_images(fake: np.ndarray | torch.Tensor, shape: tuple[int, ...]) -> np.ndarray:
    """Generated samples as a finite float32 (N, *shape) array, or ValueError."""
    x = fake.detach().cpu().numpy() if torch.is_tensor(fake) else np.asarray(fake)
    x = x.astype(np.float32, copy=False)
    if x.ndim < 2 or math.prod(x.shape[1:]) != math.prod(shape):
        raise ValueError(f"generated samples must have shape (N, {', '.join(map(str, shape))}), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("generated samples contain NaN or inf")
    return x.reshape(len(x), *shape)


def image_metrics(fake: np.ndarray | torch.Tensor, dataset: Dataset,
                  classifier: ImageClassifier | ChannelClassifier, n: int = 2000, k: int = 3, seed: int = 0,
                  kid_subsets_n: int = 100, kid_subset_size: int = 1000, mode_samples: int | None = None) -> dict:
    """All image metrics of generated ``fake`` (N, C, H, W) against the held-out test split.

    Uses up to ``n`` fake samples and up to ``n`` test images (digits has 360). Returns
    fd, kid, kid_std, precision, recall, coverage, kl, classifier_accuracy, n_fake, n_real,
    n_classes, feature_extractor (cache id) and seconds (wall time of the whole evaluation).
    ``coverage``: share of classes with at least 1 % of the predictions, or with a tenth of
    their uniform share when that is less (more than 10 classes: 0.01 % for Stacked MNIST).

    With a :class:`~.classifier.ChannelClassifier` (Stacked MNIST) it adds
    :func:`stacked_mode_metrics` (modes_1k, kl_1k, n_stacks) of the first ``mode_samples`` fake
    samples (None: all of them, not only ``n``; the protocol uses 26,000), and
    ``classifier_accuracy`` is the accuracy on single held-out digits.
    """
    start = time.perf_counter()
    check_labelled_images(dataset)
    x = _as_images(fake, dataset.shape)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(x), n, replace=False) if len(x) > n else np.arange(len(x))
    real = dataset.heldout(n, rng)
    stacked, pred = {}, None
    if isinstance(classifier, ChannelClassifier):  # one pass over the samples the modes and the rest need
        m = len(x) if mode_samples is None else min(len(x), int(mode_samples))
        need = np.union1d(np.arange(m), chosen)  # sorted: its first m entries are 0..m-1
        labels, feats = classifier.predict_features(x if len(need) == len(x) else x[need])
        stacked = stacked_mode_metrics(labels[:m], classifier.n_classes)
        at = np.searchsorted(need, chosen)
        f_fake, pred = feats[at], labels[at]
    else:
        f_fake = classifier.features(x[chosen])
    x = x[chosen]
    f_real = classifier.features(real)
    kid = kid_subsets(f_real, f_fake, kid_subsets_n, kid_subset_size, seed)
    precision, recall = precision_recall(f_real, f_fake, k)
    pred = classifier.predict(x) if pred is None else pred
    return {
        "fd": frechet_distance(f_real, f_fake),
        "kid": float(kid.mean()),
        "kid_std": float(kid.std()),
        "precision": precision,
        "recall": recall,
        "coverage": class_coverage(pred, classifier.n_classes, threshold=min(0.01, 0.1 / classifier.n_classes)),
        "kl": label_kl(pred, classifier.n_classes),
        "classifier_accuracy": float(classifier.test_accuracy),
        "n_fake": len(x),
        "n_real": len(real),
        "n_classes": int(classifier.n_classes),
        "feature_extractor": classifier.tag,
        **stacked,
        "seconds": time.perf_counter() - start,
    }
