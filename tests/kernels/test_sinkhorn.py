"""Tiled Sinkhorn divergence against GeomLoss (tensorized) and POT's exact EMD."""

import math

import numpy as np
import ot
import pytest
import torch
from geomloss import SamplesLoss
from torch.testing import assert_close

from distmatch.kernels import SinkhornInfo, fused_cpu, sinkhorn


def _geomloss(x, y, p, blur, scaling, debias):
    return SamplesLoss("sinkhorn", p=p, blur=blur, scaling=scaling, debias=debias, backend="tensorized")(x, y)


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("blur,scaling", [(0.05, 0.5), (0.2, 0.8), (0.01, 0.5)])
@pytest.mark.parametrize("debias", [True, False])
@pytest.mark.parametrize("d", [1, 3])
def test_matches_geomloss(points, p, blur, scaling, debias, d):
    x = points(37, d, seed=1).requires_grad_()
    y = (0.8 * points(29, d, seed=2) + 0.5).requires_grad_()
    got = sinkhorn(x, y, blur, scaling, p, debias, backend="tiled", tile=8)
    want = _geomloss(x, y, p, blur, scaling, debias)
    assert_close(got, want, rtol=1e-4, atol=1e-8)
    for g, w in zip(torch.autograd.grad(got, [x, y]), torch.autograd.grad(want, [x, y])):
        assert_close(g, w, rtol=1e-4, atol=1e-7)


def test_matches_geomloss_float32(points):
    x, y = points(200, 2, dtype=torch.float32, seed=3), points(150, 2, 1.0, dtype=torch.float32, seed=4)
    got = sinkhorn(x, y, 0.05, 0.5, backend="tiled", tile=64)
    assert_close(got, _geomloss(x, y, 2, 0.05, 0.5, True), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("p", [1, 2])
def test_identical_inputs_give_zero_without_nan(points, p):
    x = points(64, 2, seed=5).requires_grad_()
    val = sinkhorn(x, x.detach().clone(), blur=0.05, p=p)
    (g,) = torch.autograd.grad(val, [x])
    assert abs(float(val.detach())) < 1e-10
    assert torch.isfinite(g).all() and g.abs().max() < 1e-8


def test_single_point_clouds_do_not_crash():
    x = torch.zeros(1, 2, dtype=torch.float64)
    val = sinkhorn(x, x.clone())
    assert math.isfinite(float(val)) and abs(float(val)) < 1e-12


def test_approaches_exact_ot_as_blur_vanishes(points):
    x, y = points(40, 2, seed=6), points(40, 2, 1.5, seed=7)
    cost = ot.dist(x.numpy(), y.numpy()) / 2.0  # ||x - y||^2 / 2
    exact = ot.emd2(np.full(40, 1 / 40), np.full(40, 1 / 40), cost)
    errs = [abs(float(sinkhorn(x, y, blur, 0.9, debias=False)) - exact) for blur in (0.3, 0.1, 0.02)]
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.01 * exact


def test_info_reports_iterations_and_marginal_error(points):
    x, y = points(30, 2, seed=8), points(25, 2, 0.5, seed=9)
    val, info = sinkhorn(x, y, blur=0.05, scaling=0.5, return_info=True)
    assert isinstance(info, SinkhornInfo) and info.backend == ("fused" if fused_cpu.available() else "tiled")
    assert info.iterations >= 5 and 0 <= info.marginal_error < 1.0
    assert info.eps == pytest.approx(0.05**2)
    _, tight = sinkhorn(x, y, blur=0.05, scaling=0.95, return_info=True)
    assert tight.marginal_error < info.marginal_error


def test_max_iter_truncates_with_warning(points):
    x, y = points(10, 2, seed=10), points(10, 2, 0.5, seed=11)
    with pytest.warns(UserWarning, match="max_iter"):
        _, info = sinkhorn(x, y, blur=0.01, scaling=0.9, max_iter=5, return_info=True)
    assert info.iterations == 5


@pytest.mark.parametrize(
    "kwargs",
    [dict(p=3), dict(blur=0.0), dict(scaling=1.0), dict(backend="naive"), dict(backend="bad"), dict(max_iter=0)],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        sinkhorn(torch.randn(5, 2), torch.randn(4, 2), **kwargs)
