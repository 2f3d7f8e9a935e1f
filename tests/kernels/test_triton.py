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
@pytest.mark.parametrize("d", [1, 2, 5])
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
