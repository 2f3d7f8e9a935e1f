"""distmatch.kernels.tiled_mmd: the tiled CPU MMD^2 and its closed-form gradient against the naive
reference and an independent dense formula, for ragged tiles, both distance paths (exact
differences for small D, addmm above) and every kernel."""

import pytest
import torch
from torch.testing import assert_close

from distmatch.kernels import geometric_bandwidths, mmd2, mmd2_naive
from distmatch.kernels._common import SMALL_D, make_spec
from distmatch.kernels.tiled_mmd import mmd2_tiled, mmd2_tiled_raw

# ----------------------------------------------------------------------------- moved from test_mmd.py
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


# ----------------------------------------------------------------------------- against a dense formula
def dense_mmd2(x, y, kernel: str, sigmas, estimator: str):
    """MMD^2 from the full kernel matrices, written here from the definitions (not distmatch's code)."""

    def k(a, b):
        d2 = (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)  # (n, m)
        if kernel == "gaussian":
            return sum(torch.exp(-d2 / (2 * s * s)) for s in sigmas)
        if kernel == "imq":
            return sum(s * s / (s * s + d2) for s in sigmas)
        apart = d2 > 0  # energy: -d, with a zero gradient for coincident points
        return -torch.where(apart, d2, torch.ones_like(d2)).sqrt() * apart

    n, m = len(x), len(y)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    if estimator == "unbiased":
        return ((kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1)) + (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
                - 2 * kxy.mean())
    return kxx.mean() + kyy.mean() - 2 * kxy.mean()


CASES = [("gaussian", geometric_bandwidths(1.2, 4)), ("gaussian", [0.4, 1.3]), ("imq", [0.5, 2.0]), ("energy", [1.0])]


@pytest.mark.parametrize("kernel,sigmas", CASES, ids=["ladder", "gauss", "imq", "energy"])
@pytest.mark.parametrize("d", [2, SMALL_D + 2], ids=["exact", "addmm"])
@pytest.mark.parametrize("tile", [1, 4, 5, 12, 64])
@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
def test_value_and_gradient_match_a_dense_formula_on_ragged_tiles(points, kernel, sigmas, d, tile, estimator):
    x = points(13, d, seed=1).requires_grad_()  # 13 and 11 rows: no tile size divides both
    y = points(11, d, 0.5, seed=2).requires_grad_()
    got = mmd2_tiled(x, y, make_spec(kernel, sigmas), estimator, tile)
    want = dense_mmd2(x, y, kernel, sigmas, estimator)
    assert_close(got, want, rtol=1e-9, atol=1e-12)
    for g, w in zip(torch.autograd.grad(got, [x, y]), torch.autograd.grad(want, [x, y])):
        assert_close(g, w, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("kernel,sigmas", CASES, ids=["ladder", "gauss", "imq", "energy"])
@pytest.mark.parametrize("d", [3, SMALL_D + 4])
def test_float32_is_within_1e_5_of_the_float64_formula(points, kernel, sigmas, d):
    x, y = points(70, d, dtype=torch.float32, seed=3), points(53, d, 0.5, dtype=torch.float32, seed=4)
    got = mmd2_tiled(x, y, make_spec(kernel, sigmas), "unbiased", tile=16)
    assert got.dtype == torch.float32
    want = dense_mmd2(x.double(), y.double(), kernel, sigmas, "unbiased")
    assert_close(got.double(), want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kernel,sigmas", CASES, ids=["ladder", "gauss", "imq", "energy"])
@pytest.mark.parametrize("d", [2, SMALL_D + 2], ids=["exact", "addmm"])
def test_coincident_points_keep_finite_exact_gradients(points, kernel, sigmas, d):
    x, y = points(9, d, seed=5), points(7, d, 0.3, seed=6)
    x[1], y[2], y[3] = x[0], x[4], x[4]  # duplicates within x, within y and across the two sets
    x, y = x.requires_grad_(), y.requires_grad_()
    got = mmd2_tiled(x, y, make_spec(kernel, sigmas), "biased", tile=4)
    grads = torch.autograd.grad(got, [x, y])
    want = dense_mmd2(x, y, kernel, sigmas, "biased")
    assert_close(got, want, rtol=1e-9, atol=1e-12)
    for g, w in zip(grads, torch.autograd.grad(want, [x, y])):
        assert torch.isfinite(g).all()
        assert_close(g, w, rtol=1e-8, atol=1e-12)


def test_the_tile_size_does_not_change_the_result(points):
    x, y = points(40, 3, seed=7), points(33, 3, 0.2, seed=8)
    spec = make_spec("gaussian", geometric_bandwidths(1.0, 5))
    values = [mmd2_tiled(x, y, spec, "unbiased", tile) for tile in (1, 3, 7, 40, None)]
    for v in values[1:]:
        assert_close(v, values[0], rtol=1e-12, atol=1e-15)


def test_no_gradient_work_without_requires_grad(points):
    x, y = points(10, 2, seed=9), points(8, 2, seed=10)
    spec = make_spec("gaussian", [1.0])
    value, gx, gy = mmd2_tiled_raw(x, y, spec, "biased", tile=4, need_grad=False)
    assert gx is None and gy is None and value.shape == ()
    out = mmd2_tiled(x, y, spec, "biased")
    assert not out.requires_grad
    assert_close(out, value)
    _, gx, gy = mmd2_tiled_raw(x, y, spec, "biased", tile=4, need_grad=True)
    assert gx.shape == x.shape and gy.shape == y.shape and gx.dtype == x.dtype


@pytest.mark.parametrize("tile", [0, -3])
def test_a_non_positive_tile_is_refused(points, tile):
    with pytest.raises(ValueError, match=f"tile must be a positive integer, got {tile}"):
        mmd2_tiled(points(4, 2), points(4, 2), make_spec("gaussian", [1.0]), "biased", tile)
