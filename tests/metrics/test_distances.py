import numpy as np
import pytest

from distmatch.metrics.distances import exact_wasserstein, mmd_unbiased, sinkhorn_divergence


def test_exact_w_of_a_translation_is_the_shift():
    x = np.random.default_rng(0).normal(size=(200, 2))
    shift = np.array([3.0, 4.0])  # far larger than the spread: the optimal plan is the translation
    for p in (1, 2):
        assert exact_wasserstein(x, x + shift, p=p) == pytest.approx(5.0, rel=1e-6)


def test_exact_w_hand_case():
    x = np.array([[0.0], [1.0]])
    y = np.array([[0.0], [3.0]])
    assert exact_wasserstein(x, y, p=1) == pytest.approx(1.0)  # (0 + 2) / 2
    assert exact_wasserstein(x, y, p=2) == pytest.approx(np.sqrt(2.0))  # sqrt((0 + 4) / 2)


def test_sinkhorn_zero_on_identical_and_positive_otherwise():
    x = np.random.default_rng(1).normal(size=(300, 2))
    assert abs(sinkhorn_divergence(x, x)) < 1e-6
    y = x + 1.0
    # for a translation, S_eps -> W2^2 / 2 = |shift|^2 / 2 = 1 as blur -> 0
    assert sinkhorn_divergence(x, y) == pytest.approx(1.0, rel=0.05)


def test_sinkhorn_backends_agree():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(150, 2)), rng.normal(size=(120, 2)) + 0.3
    assert sinkhorn_divergence(x, y) == pytest.approx(sinkhorn_divergence(x, y, backend="geomloss"), rel=1e-8)


def test_mmd_unbiased_brute_force():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(7, 2)), rng.normal(size=(9, 2)) + 0.5
    bw = [0.5, 1.0, 2.0]

    def k(a, b):
        d2 = ((a[:, None] - b[None]) ** 2).sum(-1)
        return sum(np.exp(-d2 / (2 * s * s)) for s in bw)

    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    expected = ((kxx.sum() - np.trace(kxx)) / (7 * 6) + (kyy.sum() - np.trace(kyy)) / (9 * 8) - 2 * kxy.mean())
    assert mmd_unbiased(x, y, bw) == pytest.approx(expected, rel=1e-9)


def test_sinkhorn_metric_converges_on_wide_data():
    """blur 0.01 on the 'grid' toy (diameter ~11): the default eps-scaling must still converge."""
    from distmatch.data import get_dataset

    ds = get_dataset("grid")
    real = ds.sample(400, np.random.default_rng(0))
    fake = real[:, ::-1] * 1.3 + np.random.default_rng(1).normal(scale=0.3, size=real.shape)
    values = [sinkhorn_divergence(fake, real), sinkhorn_divergence(real, ds.sample(400, np.random.default_rng(2)))]
    # positive for different sets; non-negative (finite-sample bias only) for two real draws
    assert values[0] > 0.1 and 0 <= values[1] < values[0] / 3
