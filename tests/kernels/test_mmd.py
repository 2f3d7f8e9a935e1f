"""Tiled CPU MMD^2 against the naive reference; estimator properties; input validation."""

import math

import pytest
import torch
from torch.testing import assert_close

from distmatch.kernels import geometric_bandwidths, median_bandwidth, mmd2, mmd2_naive
from distmatch.kernels._common import is_sqrt2_ladder

BANDWIDTHS = {
    "ladder3": geometric_bandwidths(0.9, 3),
    "ladder1": [0.7],
    "nonladder": [0.3, 1.1, 2.5],
}
KERNELS = [("gaussian", "ladder3"), ("gaussian", "ladder1"), ("gaussian", "nonladder"),
           ("imq", "nonladder"), ("energy", "ladder1")]


@pytest.mark.parametrize("kernel,bw", KERNELS)
@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
@pytest.mark.parametrize("d", [1, 2, 5, 12])
def test_tiled_matches_naive_f64(points, kernel, bw, estimator, d):
    x, y = points(37, d, seed=1), points(29, d, 0.4, seed=2)  # odd sizes, tile 8 does not divide
    x.requires_grad_(), y.requires_grad_()
    got = mmd2(x, y, BANDWIDTHS[bw], estimator, kernel, backend="tiled", tile=8)
    want = mmd2_naive(x, y, BANDWIDTHS[bw], estimator, kernel)
    assert_close(got, want, rtol=1e-5, atol=1e-12)
    for g, w in zip(torch.autograd.grad(got, [x, y]), torch.autograd.grad(want, [x, y])):
        assert_close(g, w, rtol=1e-5, atol=1e-10)


@pytest.mark.parametrize("kernel,bw", KERNELS)
def test_tiled_matches_naive_f32(points, kernel, bw):
    x, y = points(301, 3, dtype=torch.float32, seed=3), points(257, 3, 0.5, dtype=torch.float32, seed=4)
    got = mmd2(x, y, BANDWIDTHS[bw], "biased", kernel, backend="tiled", tile=64)
    want = mmd2_naive(x.double(), y.double(), BANDWIDTHS[bw], "biased", kernel).float()
    assert_close(got, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kernel,bw", KERNELS)
def test_gradcheck_tiled(points, kernel, bw):
    x, y = points(7, 2, seed=5).requires_grad_(), points(6, 2, 0.3, seed=6).requires_grad_()
    f = lambda a, b: mmd2(a, b, BANDWIDTHS[bw], "unbiased", kernel, backend="tiled", tile=4)
    assert torch.autograd.gradcheck(f, (x, y), eps=1e-6, atol=1e-7)


def test_default_backend_on_cpu_is_tiled_and_large_d(points):
    x, y = points(50, 64, seed=7), points(40, 64, 0.1, seed=8)
    bw = [median_bandwidth(x, y)]
    assert_close(mmd2(x, y, bw), mmd2_naive(x, y, bw), rtol=1e-6, atol=1e-12)


def test_self_distance_is_zero(points, dtype):
    x = points(123, 2, dtype=dtype, seed=9)
    val = mmd2(x, x, geometric_bandwidths(1.0, 4))
    assert abs(float(val)) < (1e-5 if dtype == torch.float32 else 1e-12)


def test_unbiased_estimator_is_unbiased():
    g = torch.Generator().manual_seed(0)
    bw, draws, n = geometric_bandwidths(1.0, 3), 300, 16
    ub, b = torch.empty(draws), torch.empty(draws)
    for k in range(draws):
        x, y = torch.randn(n, 2, generator=g), torch.randn(n, 2, generator=g)
        ub[k], b[k] = mmd2(x, y, bw, "unbiased"), mmd2(x, y, bw, "biased")
    se_u, se_b = ub.std() / math.sqrt(draws), b.std() / math.sqrt(draws)
    assert abs(float(ub.mean())) < 4 * float(se_u)
    assert float(b.mean()) > 10 * float(se_b)


def test_tensor_bandwidths_and_ladder_detection(points):
    sig = geometric_bandwidths(2.0, 5)
    assert is_sqrt2_ladder(sig) and is_sqrt2_ladder(sig[::-1]) and not is_sqrt2_ladder([1.0, 2.0])
    assert_close(sig[2], 2.0)
    x, y = points(20, 3, seed=10), points(15, 3, 1.0, seed=11)
    assert_close(mmd2(x, y, torch.tensor(sig)), mmd2(x, y, sig))


def test_median_bandwidth(points):
    x = torch.tensor([[0.0], [1.0], [3.0]])
    assert median_bandwidth(x) == pytest.approx(2.0)
    assert median_bandwidth(torch.zeros(5, 2)) == 1.0
    big = points(5000, 2, seed=12)
    assert 1.0 < median_bandwidth(big, max_points=500) < 2.5


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(x=torch.randn(5), y=torch.randn(5, 1)), "2-D"),
        (dict(x=torch.randn(5, 2), y=torch.randn(5, 3)), "same dimension"),
        (dict(x=torch.randn(0, 2), y=torch.randn(5, 2)), "non-empty"),
        (dict(bandwidths=[1.0, -1.0]), "positive"),
        (dict(bandwidths=[]), "at least one"),
        (dict(estimator="nope"), "estimator"),
        (dict(kernel="nope"), "kernel"),
        (dict(backend="nope"), "backend"),
        (dict(x=torch.randn(5, 2, dtype=torch.float64)), "dtype"),
        (dict(x=torch.randn(1, 2), estimator="unbiased"), "at least 2"),
        (dict(x=torch.randint(0, 3, (5, 2))), "float32 or float64"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = dict(x=torch.randn(5, 2), y=torch.randn(4, 2), bandwidths=[1.0])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        mmd2(**args)


def test_geometric_bandwidths_rejects_bad_input():
    with pytest.raises(ValueError):
        geometric_bandwidths(-1.0, 3)
    with pytest.raises(ValueError):
        geometric_bandwidths(1.0, 0)


@pytest.mark.parametrize("dtype,rtol", [(torch.float64, 1e-9), (torch.float32, 1e-4)])
def test_ratio2_ladder_with_restarts_matches_naive(dtype, rtol):
    """The default median-heuristic ladder (7 octaves, 12 squarings) takes the restart path."""
    from distmatch.kernels._common import ladder_squarings

    sig = [1.5 / 2**k for k in range(7)]
    assert ladder_squarings(sig) == (2,) * 6 and ladder_squarings([1.0, 0.8]) is None
    g = torch.Generator().manual_seed(5)
    x = torch.randn(203, 2, generator=g, dtype=dtype) * 0.3
    y = torch.randn(157, 2, generator=g, dtype=dtype) * 0.3 + 0.05
    xr, yr = x.clone().requires_grad_(True), y.clone().requires_grad_(True)
    got = mmd2(xr, yr, sig, backend="tiled", tile=64)
    got.backward()
    xn, yn = x.double().requires_grad_(True), y.double().requires_grad_(True)
    want = mmd2_naive(xn, yn, sig)
    want.backward()
    torch.testing.assert_close(got.double(), want, rtol=rtol, atol=0)
    torch.testing.assert_close(xr.grad.double(), xn.grad, rtol=rtol * 10, atol=rtol * 1e-2)
