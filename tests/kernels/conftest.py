"""Fixtures for the kernel tests: dtype parametrisation, an interpreted-Triton switch, float64 references."""

import importlib.util

import pytest
import torch

HAS_TRITON = importlib.util.find_spec("triton") is not None


@pytest.fixture
def triton_interpret(monkeypatch):
    """Run Triton kernels on CPU tensors through the interpreter.

    The flag must already be set when triton is first imported (tests/conftest.py does that): triton
    decorates its standard library at import. distmatch re-decorates its own kernel module whenever
    the flag changes, so the setting here keeps each test explicit.
    """
    if not HAS_TRITON:
        pytest.skip("triton is not installed")
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    yield


@pytest.fixture(params=[torch.float64, torch.float32], ids=["f64", "f32"])
def dtype(request):
    return request.param


def _points(n: int, d: int, shift: float = 0.0, dtype=torch.float64, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, d, generator=g, dtype=torch.float64) + shift).to(dtype)


@pytest.fixture
def points():
    """points(n, d, shift=0, dtype=float64, seed=0) -> (n, d) standard normal sample + shift."""
    return _points


def reference_mmd2(x: torch.Tensor, y: torch.Tensor, sigmas, estimator: str = "biased") -> torch.Tensor:
    """MMD^2 with a sum of Gaussian kernels from exact differences, written independently of distmatch."""

    def k(a, b):
        d2 = (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)
        return sum(torch.exp(-d2 / (2.0 * s * s)) for s in sigmas)

    n, m = len(x), len(y)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    if estimator == "unbiased":
        sxx = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
        syy = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
        return sxx + syy - 2.0 * kxy.mean()
    return kxx.mean() + kyy.mean() - 2.0 * kxy.mean()


def _check_mmd2_f32(x, y, sigmas, estimator="biased", val_rtol=1e-5, grad_rtol=1e-4, **mmd_kwargs):
    """Assert float32 ``mmd2`` and its gradients match the float64 reference on the same float32 values.

    Gradients: rtol ``grad_rtol`` plus an absolute slack of grad_rtol / 10 times the largest gradient.
    """
    from distmatch.kernels import mmd2

    x32, y32 = x.float().requires_grad_(), y.float().requires_grad_()
    got = mmd2(x32, y32, sigmas, estimator, **mmd_kwargs)
    gx, gy = torch.autograd.grad(got, [x32, y32])
    x64, y64 = x32.detach().double().requires_grad_(), y32.detach().double().requires_grad_()
    want = reference_mmd2(x64, y64, sigmas, estimator)
    wx, wy = torch.autograd.grad(want, [x64, y64])
    torch.testing.assert_close(got.detach().double(), want.detach(), rtol=val_rtol, atol=0.0)
    slack = grad_rtol / 10 * float(torch.cat([wx, wy]).abs().max())
    for g, w in ((gx, wx), (gy, wy)):
        torch.testing.assert_close(g.double(), w, rtol=grad_rtol, atol=slack)


@pytest.fixture
def mmd2_f32_check():
    """check(x, y, sigmas, estimator='biased', **mmd2_kwargs): float32 mmd2 vs a float64 reference."""
    return _check_mmd2_f32


@pytest.fixture
def mmd2_reference():
    """reference_mmd2(x, y, sigmas, estimator='biased'): float64 exact-difference Gaussian MMD^2."""
    return reference_mmd2
