"""The MMD^2 front end: default backend, estimator properties, bandwidth helpers, input validation
(the tiled backend against the naive reference: test_tiled_mmd.py)."""

import math

import pytest
import torch
from torch.testing import assert_close

from distmatch.kernels import geometric_bandwidths, median_bandwidth, mmd2, mmd2_naive
from distmatch.kernels._common import is_sqrt2_ladder


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
        ({"x": torch.randn(5), "y": torch.randn(5, 1)}, "2-D"),
        ({"x": torch.randn(5, 2), "y": torch.randn(5, 3)}, "same dimension"),
        ({"x": torch.randn(0, 2), "y": torch.randn(5, 2)}, "non-empty"),
        ({"bandwidths": [1.0, -1.0]}, "positive"),
        ({"bandwidths": []}, "at least one"),
        ({"estimator": "nope"}, "estimator"),
        ({"kernel": "nope"}, "kernel"),
        ({"backend": "nope"}, "backend"),
        ({"x": torch.randn(5, 2, dtype=torch.float64)}, "dtype"),
        ({"x": torch.randn(1, 2), "estimator": "unbiased"}, "at least 2"),
        ({"x": torch.randint(0, 3, (5, 2))}, "float32 or float64"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = {"x": torch.randn(5, 2), "y": torch.randn(4, 2), "bandwidths": [1.0]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        mmd2(**args)


def test_geometric_bandwidths_rejects_bad_input():
    with pytest.raises(ValueError):
        geometric_bandwidths(-1.0, 3)
    with pytest.raises(ValueError):
        geometric_bandwidths(1.0, 0)
