"""Fixtures for the kernel tests: dtype parametrisation and an interpreted-Triton switch."""

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
