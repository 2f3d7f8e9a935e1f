"""Fused Triton MMD^2 (GPU; runs on CPU tensors under ``TRITON_INTERPRET=1``).

One kernel, :func:`_triton_kernels.mmd_rows_kernel`, reduces a pair of sets (A, B) to per-row
S_i = sum_j k(a_i, b_j) and G_i = sum_j W_ij (a_i - b_j) for all bandwidths at once (each block of
squared distances is computed once and reused by every bandwidth).  It is launched on (x, y),
(x, x), (y, y) and, for the y-gradient, (y, x); per-row reductions mean no atomics and a
deterministic result.  Gradients: dS_xy/dx_i = -G_i on (x, y), dS_xx/dx_i = -2 G_i on (x, x).
G comes from exact differences for small D, otherwise as a_i R_i - (W B)_i with R_i = sum_j W_ij.
Triton is imported lazily.  Timings on an H200: benchmarks/results/kernels_gpu.md (BLOCK 32 beat 64
and 128 there at every size measured).
"""

from __future__ import annotations

import importlib
import math
import os

import torch
from torch import Tensor

from ._common import LOG2E, SMALL_D, KernelSpec, PrecomputedGradMMD2

_CACHE: dict[bool, object] = {}
BLOCK_N = 32
BLOCK_M = 32


def triton_available() -> bool:
    """True when ``import triton`` succeeds."""
    try:
        import triton  # noqa: F401
    except Exception:
        return False
    return True


def interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0").lower() in ("1", "true", "on", "yes")


def kernels():
    """The kernel module, (re)decorated for the current TRITON_INTERPRET setting."""
    if not triton_available():
        raise RuntimeError("backend='triton' needs the 'triton' package (pip install 'distmatch[gpu]')")
    flag = interpreting()
    if flag not in _CACHE:
        mod = importlib.import_module("distmatch.kernels._triton_kernels")
        if _CACHE:  # the other mode was built before: re-run the decorators
            mod = importlib.reload(mod)
        _CACHE.clear()
        _CACHE[flag] = mod
    return _CACHE[flag]


def check_device(x: Tensor) -> None:
    if not x.is_cuda and not interpreting():
        raise RuntimeError("backend='triton' needs CUDA tensors (or TRITON_INTERPRET=1 for CPU tensors)")


def _params(spec: KernelSpec, dtype: torch.dtype, device: torch.device) -> tuple[Tensor, int, int]:
    """(PAR tensor, NB, KIND) as expected by mmd_rows_kernel."""
    if spec.kind == "gaussian":
        s = spec.params
        expo = torch.tensor([-LOG2E / (2.0 * v * v) for v in s], dtype=torch.float64)
        hi = expo.to(dtype)
        lo = (expo - hi.double()) * math.log(2.0)  # 2^(d2 (hi + lo)) = 2^(d2 hi) (1 + d2 lo ln 2)
        vals = torch.cat([hi.double(), torch.tensor([1.0 / (v * v) for v in s], dtype=torch.float64), lo])
        return vals.to(dtype=dtype, device=device), len(s), 0
    if spec.kind == "imq":
        return torch.tensor(spec.params, dtype=dtype, device=device), len(spec.params), 1
    return torch.zeros(1, dtype=dtype, device=device), 1, 2


def rows_reduce(a: Tensor, b: Tensor, spec: KernelSpec, grad: bool, block: int | None = None):
    """Launch mmd_rows_kernel: returns S (n,) and G (n, D) float64 (or None), G_i = sum_j W_ij (a_i - b_j).
    ``b is a`` marks the self terms (exactly zero self-distances above SMALL_D coordinates)."""
    k = kernels()
    n, d = a.shape
    exact = d <= SMALL_D
    par, nb, kind = _params(spec, a.dtype, a.device)
    ksum = torch.empty(n, dtype=torch.float64, device=a.device)  # float64 row accumulators
    wsum = torch.empty(n if grad and not exact else 1, dtype=torch.float64, device=a.device)
    g = torch.empty((n, d) if grad else (1, d), dtype=torch.float64, device=a.device)
    bn = block or BLOCK_N
    grid = (math.ceil(n / bn),)
    block_d = max(16, 1 << (d - 1).bit_length())
    k.mmd_rows_kernel[grid](a, b, par, ksum, wsum, g, n, b.shape[0], D=d, BLOCK_D=block_d, NB=nb,
                            KIND=kind, GRAD=grad, EXACT=exact, SAME=b is a, BLOCK_N=bn, BLOCK_M=bn)
    if not grad:
        return ksum, None
    return ksum, (g.double() if exact else a.double() * wsum.double()[:, None] - g.double())


def mmd2_triton_raw(x: Tensor, y: Tensor, spec: KernelSpec, estimator: str, block: int | None, grad: bool):
    """MMD^2 value (0-dim) and optional gradients, from four row-reduction launches."""
    x, y = x.contiguous(), y.contiguous()
    n, m = x.shape[0], y.shape[0]
    if estimator == "unbiased":
        cxx, cyy = 1.0 / (n * (n - 1)), 1.0 / (m * (m - 1))
    else:
        cxx, cyy = 1.0 / n**2, 1.0 / m**2
    cxy = -2.0 / (n * m)
    sxy, gxy = rows_reduce(x, y, spec, grad, block)
    sxx, gxx = rows_reduce(x, x, spec, grad, block)
    syy, gyy = rows_reduce(y, y, spec, grad, block)
    total = cxx * sxx.double().sum() + cyy * syy.double().sum() + cxy * sxy.double().sum()
    if estimator == "unbiased":
        total = total - spec.k0 * (cxx * n + cyy * m)
    value = total.to(x.dtype)
    if not grad:
        return value, None, None
    _, gyx = rows_reduce(y, x, spec, grad, block)
    gx = -(2.0 * cxx * gxx + cxy * gxy)  # (N, D)
    gy = -(2.0 * cyy * gyy + cxy * gyx)  # (M, D)
    return value, gx.to(x.dtype), gy.to(y.dtype)


def mmd2_triton(x: Tensor, y: Tensor, spec: KernelSpec, estimator: str, block: int | None = None) -> Tensor:
    """Differentiable Triton MMD^2.  ``block`` (power of 2, >= 16) overrides BLOCK_N = BLOCK_M."""
    kernels()
    check_device(x)
    if block is not None and (block < 16 or block & (block - 1)):
        raise ValueError(f"triton block size must be a power of two >= 16, got {block}")
    grad = torch.is_grad_enabled() and (x.requires_grad or y.requires_grad)
    return PrecomputedGradMMD2.apply(mmd2_triton_raw, x, y, spec, estimator, block, grad)
