"""The Sinkhorn softmin (distmatch.kernels.softmin): tiled log-sum-exp against a dense autograd reference."""

import importlib
import math

import pytest
import torch

from distmatch.kernels import softmin
from distmatch.kernels.softmin import make_cloud, softmin_tiled

sinkhorn_module = importlib.import_module("distmatch.kernels.sinkhorn")  # the package attribute is the function


def dense_softmin(eps, r, c, h, p):
    """f_i = -eps log sum_j exp(h_j - C_ij / eps) from the full matrix, and G = df/dr by autograd."""
    r = r.detach().clone().requires_grad_()
    d2 = (r[:, None, :] - c[None, :, :]).pow(2).sum(-1)  # (N, M)
    cost = d2 / 2.0 if p == 2 else d2.clamp_min(1e-8).sqrt()
    f = -eps * torch.logsumexp(h[None, :] - cost / eps, dim=1)  # (N,)
    (g,) = torch.autograd.grad(f.sum(), r)  # row i of f depends on r_i only: G_i = sum_j P_ij dC_ij/dr_i
    return f.detach(), g


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("d", [2, 12], ids=["small-D", "large-D"])  # p = 1: exact differences up to SMALL_D
def test_softmin_tiled_matches_the_dense_reference_across_ragged_tiles(p, d):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(23, d, generator=g, dtype=torch.float64)
    y = torch.randn(17, d, generator=g, dtype=torch.float64) + 0.5
    h = torch.randn(17, generator=g, dtype=torch.float64)
    shift = torch.cat([x, y]).mean(0)
    rows, cols = make_cloud(x, shift), make_cloud(y, shift)
    eps = 0.3
    f, gr = softmin_tiled(eps, rows, cols, h, p, tile=5, grad=True)  # 5 x 4 tiles, ragged at both ends
    want_f, want_g = dense_softmin(eps, rows.pts, cols.pts, h, p)
    torch.testing.assert_close(f, want_f, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(gr, want_g, rtol=1e-10, atol=1e-12)
    f_only, none = softmin_tiled(eps, rows, cols, h, p, tile=64)  # one tile, no gradient
    assert none is None
    torch.testing.assert_close(f_only, want_f, rtol=1e-12, atol=1e-12)


def test_make_cloud_centres_and_weights_uniformly():
    x = torch.tensor([[1.0, 2.0], [3.0, 6.0], [5.0, 1.0]], dtype=torch.float64)
    cloud = make_cloud(x, torch.tensor([3.0, 3.0], dtype=torch.float64))
    assert torch.equal(cloud.pts, torch.tensor([[-2.0, -1.0], [0.0, 3.0], [2.0, -2.0]], dtype=torch.float64))
    assert torch.equal(cloud.ptst, cloud.pts.T) and cloud.ptst.is_contiguous()
    torch.testing.assert_close(cloud.sq, torch.tensor([5.0, 9.0, 8.0], dtype=torch.float64))
    assert cloud.w == pytest.approx(1 / 3) and cloud.logw == pytest.approx(-math.log(3))


def test_p1_threshold_is_just_above_the_clamped_cost():
    for dtype in (torch.float32, torch.float64):
        t = softmin.p1_threshold(dtype)
        clamped = torch.tensor(softmin.P1_MIN_D2, dtype=dtype).sqrt()  # the cost of coincident points
        assert float(clamped) < t < 1e-4 * (1 + 1e-5)


def test_sinkhorn_reexports_the_moved_names():
    for name in ("Cloud", "make_cloud", "softmin_tiled", "P1_MIN_D2", "p1_threshold"):
        assert getattr(sinkhorn_module, name) is getattr(softmin, name)
