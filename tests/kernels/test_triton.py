"""Triton kernels through the interpreter (TRITON_INTERPRET=1) on tiny CPU tensors."""

import pytest
import torch
from geomloss import SamplesLoss
from torch.testing import assert_close

from distmatch.kernels import geometric_bandwidths, mmd2, mmd2_naive, sinkhorn
from distmatch.kernels import triton_mmd

CASES = [("gaussian", geometric_bandwidths(0.8, 3)), ("gaussian", [0.3, 1.7]), ("imq", [0.5, 2.0]),
         ("energy", None)]


@pytest.mark.parametrize("kernel,bw", CASES)
@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
@pytest.mark.parametrize("d", [1, 2, 5, 12])  # 12 > SMALL_D: the tl.dot gradient path
def test_triton_mmd_matches_naive(points, triton_interpret, kernel, bw, estimator, d):
    x = points(21, d, seed=1).requires_grad_()
    y = points(18, d, 0.3, seed=2).requires_grad_()  # not multiples of the 16-block
    got = mmd2(x, y, bw, estimator, kernel, backend="triton", tile=16)
    want = mmd2_naive(x, y, bw, estimator, kernel)
    assert_close(got, want, rtol=1e-5, atol=1e-12)
    for g, w in zip(torch.autograd.grad(got, [x, y]), torch.autograd.grad(want, [x, y])):
        assert_close(g, w, rtol=1e-5, atol=1e-10)


def test_triton_mmd_float32(points, triton_interpret):
    x, y = points(20, 2, dtype=torch.float32, seed=3), points(17, 2, 0.5, dtype=torch.float32, seed=4)
    bw = geometric_bandwidths(1.0, 3)
    assert_close(mmd2(x, y, bw, backend="triton", tile=16), mmd2_naive(x.double(), y.double(), bw).float(),
                 rtol=1e-4, atol=1e-6)


def test_triton_gradcheck(points, triton_interpret):
    x, y = points(5, 2, seed=5).requires_grad_(), points(4, 2, 0.2, seed=6).requires_grad_()
    f = lambda a, b: mmd2(a, b, [0.7, 1.3], "unbiased", backend="triton", tile=16)
    assert torch.autograd.gradcheck(f, (x, y), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("p", [1, 2])
def test_triton_sinkhorn_matches_geomloss(points, triton_interpret, p):
    x = points(19, 2, seed=7).requires_grad_()
    y = points(17, 2, 0.4, seed=8).requires_grad_()
    got = sinkhorn(x, y, blur=0.1, scaling=0.5, p=p, backend="triton", tile=16)
    want = SamplesLoss("sinkhorn", p=p, blur=0.1, scaling=0.5, backend="tensorized")(x, y)
    assert_close(got, want, rtol=1e-4, atol=1e-8)
    for g, w in zip(torch.autograd.grad(got, [x, y]), torch.autograd.grad(want, [x, y])):
        assert_close(g, w, rtol=1e-4, atol=1e-7)


def test_triton_needs_cuda_or_interpreter(monkeypatch):
    if not triton_mmd.triton_available():
        pytest.skip("triton is not installed")
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    with pytest.raises(RuntimeError, match="CUDA"):
        mmd2(torch.randn(4, 2), torch.randn(4, 2), [1.0], backend="triton")


def test_missing_triton_raises_and_auto_falls_back(monkeypatch):
    monkeypatch.setattr(triton_mmd, "triton_available", lambda: False)
    with pytest.raises(RuntimeError, match="triton"):
        mmd2(torch.randn(4, 2), torch.randn(4, 2), [1.0], backend="triton")
    x, y = torch.randn(6, 2), torch.randn(5, 2)
    assert_close(mmd2(x, y, [1.0], backend="auto"), mmd2(x, y, [1.0], backend="tiled"))


def test_triton_mmd_far_apart_float32(triton_interpret, mmd2_f32_check):
    """Clusters at +-300, spread 0.05, bandwidths down to 3e-4: exact differences in value and gradient."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(40, 2, generator=g, dtype=torch.float64) * 0.05 + torch.tensor([300.0, 0.0])
    y = torch.randn(40, 2, generator=g, dtype=torch.float64) * 0.05 - torch.tensor([300.0, 0.0])
    mmd2_f32_check(x, y, [0.02 / 2**k for k in range(7)], backend="triton", tile=16)


def test_triton_double_backward_raises(points, triton_interpret):
    x, y = points(9, 2, seed=9).requires_grad_(), points(7, 2, 0.3, seed=10)
    with pytest.raises(RuntimeError, match="double backward"):
        torch.autograd.grad(mmd2(x, y, [0.7], backend="triton", tile=16), [x], create_graph=True)


def test_triton_sinkhorn_p1_close_pairs_float32(triton_interpret):
    """Pairs closer than sqrt(1e-8) have the clamped cost and no gradient (GeomLoss and float64 give 0).

    The kernel masks on d^2 > 1e-8, the clamp's own test, so this holds however sqrt rounds on a GPU.
    """
    x = torch.tensor([[0.0], [1.0]], requires_grad=True)
    y = (x.detach() + 5e-5).requires_grad_()
    val = sinkhorn(x, y, blur=0.01, p=1, backend="triton", tile=16)
    for g in torch.autograd.grad(val, [x, y]):
        assert_close(g, torch.zeros_like(g), rtol=0, atol=1e-6)
