"""Image metrics: FD / KID / precision-recall against independent computations, label metrics and
image_metrics on real, noise and collapsed sets (the classifier itself: test_classifier.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.usefixtures("one_thread")

from distmatch.metrics.images import (
    class_coverage,
    frechet_distance,
    image_metrics,
    kernel_distance,
    kid_subsets,
    label_kl,
    precision_recall,
)

# ----------------------------------------------------------------------------- fixtures


# ----------------------------------------------------------------------------- Frechet distance


def _fd_independent(a: np.ndarray, b: np.ndarray) -> float:
    """FD via the symmetric form tr((S_a^1/2 S_b S_a^1/2)^1/2), using eigh only."""
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(s_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(root_a @ s_b @ root_a)
    diff = a.mean(0) - b.mean(0)
    return float(diff @ diff + np.trace(s_a) + np.trace(s_b) - 2 * np.sqrt(np.clip(inner, 0, None)).sum())


def test_fd_matches_independent_computation():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(250, 6)) @ rng.normal(size=(6, 6)) + 0.5
    torch.testing.assert_close(frechet_distance(a, b), _fd_independent(a, b), rtol=1e-7, atol=1e-9)


def test_fd_closed_form_for_two_gaussians():
    """Diagonal covariances: FD = |mu_a - mu_b|^2 + sum (sqrt(var_a) - sqrt(var_b))^2."""
    rng = np.random.default_rng(1)
    mu_a, mu_b = np.array([0.0, 1.0, -1.0]), np.array([1.0, 1.0, 0.5])
    var_a, var_b = np.array([1.0, 4.0, 0.25]), np.array([2.0, 1.0, 0.25])
    a = mu_a + rng.normal(size=(200_000, 3)) * np.sqrt(var_a)
    b = mu_b + rng.normal(size=(200_000, 3)) * np.sqrt(var_b)
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    torch.testing.assert_close(frechet_distance(a, b), float(expected), rtol=0.02, atol=0.02)


def test_fd_identical_and_singular():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(50, 4))
    assert 0.0 <= frechet_distance(a, a) < 1e-6
    dead = np.concatenate([a, np.zeros((50, 3))], axis=1)  # dead ReLU units: singular covariance
    fd = frechet_distance(dead, dead + 1.0)
    assert math.isfinite(fd)
    torch.testing.assert_close(fd, 7.0, rtol=1e-5, atol=1e-5)


def test_fd_rejects_bad_input():
    with pytest.raises(ValueError, match="same F"):
        frechet_distance(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="at least 2"):
        frechet_distance(np.zeros((1, 2)), np.zeros((5, 2)))


# ----------------------------------------------------------------------------- KID


def _mmd2_loops(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased polynomial MMD^2 written as explicit sums over pairs."""
    m, d = len(x), x.shape[1]
    k = lambda u, v: (u @ v / d + 1) ** 3
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / m**2
    return float(xx + yy - 2 * xy)


def test_kid_matches_pairwise_sums():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 3)) + 0.3
    torch.testing.assert_close(kernel_distance(x, y, n_subsets=1, subset_size=7), _mmd2_loops(x, y),
                               rtol=1e-10, atol=1e-12)


def test_kid_is_unbiased_and_detects_shift():
    rng = np.random.default_rng(4)
    same = np.array([kernel_distance(rng.normal(size=(60, 5)), rng.normal(size=(60, 5)), n_subsets=1)
                     for _ in range(200)])
    assert abs(same.mean()) < 3 * same.std() / math.sqrt(len(same))  # mean 0 within 3 standard errors
    assert (same < 0).any()  # unbiased: not clipped at zero
    shifted = kernel_distance(rng.normal(size=(60, 5)), rng.normal(size=(60, 5)) + 1.0)
    assert shifted > 10 * same.std()
    assert kid_subsets(rng.normal(size=(30, 2)), rng.normal(size=(40, 2)), n_subsets=5).shape == (5,)


# ----------------------------------------------------------------------------- precision / recall


def test_precision_recall_same_distribution_is_high():
    rng = np.random.default_rng(5)
    p, r = precision_recall(rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2)))
    assert p >= 0.9 and r >= 0.9


def test_precision_recall_subset_and_disjoint():
    rng = np.random.default_rng(6)
    real = rng.normal(size=(600, 2))
    half = real[real[:, 0] > 0]  # fake covers only half of the real support
    p, r = precision_recall(real, half)
    assert p == 1.0 and 0.3 < r < 0.7
    p, r = precision_recall(real, real + 100.0)
    assert p == 0.0 and r == 0.0
    with pytest.raises(ValueError, match="at least 4"):
        precision_recall(real, real[:3], k=3)


# ----------------------------------------------------------------------------- labels


def test_class_coverage_and_kl_on_labels():
    uniform = np.repeat(np.arange(10), 50)
    assert class_coverage(uniform, 10) == 1.0
    assert label_kl(uniform, 10) == pytest.approx(0.0, abs=1e-9)
    collapsed = np.full(500, 3)
    assert class_coverage(collapsed, 10) == pytest.approx(0.1)
    assert label_kl(collapsed, 10) == pytest.approx(math.log(10), abs=1e-6)
    rare = np.concatenate([np.zeros(995, dtype=int), np.ones(5, dtype=int)])  # class 1 at 0.5 % < 1 %
    assert class_coverage(rare, 10) == pytest.approx(0.1)
    assert class_coverage(rare, 10, threshold=0.005) == pytest.approx(0.2)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        class_coverage(np.array([0, 10]), 10)


# ----------------------------------------------------------------------------- front end


def test_fd_real_vs_real_much_smaller_than_noise(classifier, digits):
    rng = np.random.default_rng(0)
    real = digits.train[rng.choice(len(digits.train), 360, replace=False)]
    noise = rng.uniform(-1, 1, (360, 1, 8, 8)).astype(np.float32)
    ours = image_metrics(real, digits, classifier, kid_subsets_n=20)
    theirs = image_metrics(noise, digits, classifier, kid_subsets_n=20)
    assert ours["fd"] * 10 <= theirs["fd"]
    assert ours["kid"] * 10 <= theirs["kid"] and abs(ours["kid"]) < 0.05 * theirs["kid"]
    # k-NN precision/recall in 128-d with 360 samples sits near 0.9 for real vs real
    assert ours["precision"] >= 0.85 and ours["recall"] >= 0.85
    assert theirs["recall"] < 0.1
    assert ours["coverage"] == 1.0 and ours["kl"] < 0.05
    assert ours["n_real"] == 360 and ours["n_fake"] == 360
    assert set(ours) >= {"fd", "kid", "kid_std", "precision", "recall", "coverage", "kl",
                         "classifier_accuracy", "n_fake", "n_real", "feature_extractor", "seconds"}


def test_collapsed_set(classifier, digits):
    zeros = digits.train[digits.labels == 0]
    collapsed = np.repeat(zeros, 4, axis=0)  # one class repeated
    out = image_metrics(collapsed, digits, classifier, kid_subsets_n=20)
    assert out["recall"] < 0.3
    assert out["coverage"] == pytest.approx(0.1)
    assert out["kl"] == pytest.approx(math.log(10), abs=0.1)


def test_image_metrics_validates_fake(classifier, digits):
    with pytest.raises(ValueError, match="shape"):
        image_metrics(np.zeros((10, 1, 9, 9), np.float32), digits, classifier)
    with pytest.raises(ValueError, match="NaN"):
        image_metrics(np.full((10, 64), np.nan, np.float32), digits, classifier)
    flat = image_metrics(torch.as_tensor(digits.test[:50]).flatten(1), digits, classifier, n=50)
    assert flat["n_fake"] == 50
