"""Maximum mean discrepancy: public front end, naive reference and bandwidth helpers.

MMD^2(p, q) = E k(x, x') + E k(y, y') - 2 E k(x, y), estimated from x: (N, D), y: (M, D) as

* biased (V-statistic):   S_xx / N^2 + S_yy / M^2 - 2 S_xy / (N M),
* unbiased (U-statistic): (S_xx - N k(0)) / (N (N-1)) + (S_yy - M k(0)) / (M (M-1)) - 2 S_xy / (N M),

with S_ab = sum_ij k(a_i, b_j).  Kernels (summed over the bandwidths sigma, GMMN style):

* ``gaussian``: k(a, b) = sum_s exp(-||a - b||^2 / (2 s^2)),
* ``imq``:      k(a, b) = sum_s c / (c + ||a - b||^2) with c = s^2 (each term is 1 at d = 0),
* ``energy``:   k(a, b) = -||a - b|| (bandwidths ignored; MMD^2 is then half the energy distance).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

from ._common import (ESTIMATORS, SMALL_D, KernelSpec, PrecomputedGradMMD2, check_backend, check_points, make_spec,
                      sq_norms)
from . import fused_cpu
from .tiled_mmd import mmd2_tiled, mmd2_tiled_raw

# 'auto' takes the fused kernels up to this many coordinates.  On an idle machine the tiled matmul path
# ties at D = 16 and is ~2x faster at 64, but next to other jobs its many parallel regions stall
# (10k, D = 64 measured 24 s tiled vs 4 s fused on a loaded host); beyond 64 its GEMM wins regardless.
FUSED_AUTO_MAX_D = 64


def geometric_bandwidths(center: float, n: int) -> list[float]:
    """n bandwidths spaced by sqrt(2) and centred (geometrically) on ``center``.

    sigma_k = center * sqrt(2)^((n-1)/2 - k), k = 0..n-1, largest first.  With such a ladder
    exp(-d^2/(2 sigma_k^2)) = exp(-d^2/(2 sigma_0^2))^(2^k), so the tiled backend needs one exp.

    >>> [round(s, 3) for s in geometric_bandwidths(1.0, 3)]
    [1.414, 1.0, 0.707]
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not (math.isfinite(center) and center > 0):
        raise ValueError(f"center must be finite and positive, got {center!r}")
    r = math.sqrt(2.0)
    return [center * r ** ((n - 1) / 2.0 - k) for k in range(n)]


def median_bandwidth(x: Tensor, y: Tensor | None = None, max_points: int = 1000) -> float:
    """Median heuristic: median of pairwise distances ||z_i - z_j|| (i < j) of z = [x; y].

    Uses at most ``max_points`` evenly strided points (deterministic).  Returns 1.0 when all
    points coincide.  x: (N, D) Tensor, y: (M, D) Tensor or None.
    """
    z = x if y is None else torch.cat([x, y])  # (N+M, D)
    if z.dim() != 2 or z.shape[0] < 2:
        raise ValueError(f"need at least 2 points of shape (N, D), got {tuple(z.shape)}")
    if max_points < 2:
        raise ValueError(f"max_points must be >= 2, got {max_points}")
    step = max(1, math.ceil(z.shape[0] / max_points))
    z = z.detach()[::step].double()  # (<= max_points, D)
    d = torch.pdist(z)  # (K*(K-1)/2,)
    med = float(d.median())
    return med if med > 0 else 1.0


def _naive_kernel(d2: Tensor, kind: str, params: Sequence[float] | Tensor) -> Tensor:
    """Summed kernel values from squared distances: (N, M) Tensor -> (N, M) Tensor.

    ``params`` are the bandwidths (gaussian) or the constants c = s^2 (imq), as floats or a 1-D
    Tensor (then differentiable).
    """
    if kind == "gaussian":
        return sum(torch.exp(-d2 / (2.0 * s * s)) for s in params)
    if kind == "imq":
        return sum(c / (c + d2) for c in params)
    return -torch.sqrt(d2.clamp_min(1e-30)) * (d2 > 0)


def _sq_dists(a: Tensor, b: Tensor, same: bool = False) -> Tensor:
    """Squared Euclidean distances (N, M), twice differentiable.

    Small D: exact coordinate differences (no cancellation; needs N M D memory).  Otherwise
    |a|^2 + |b|^2 - 2 a.b clamped at 0, with an exactly zero diagonal when ``same`` (b is a).
    """
    if a.shape[1] <= SMALL_D:
        return (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)
    d2 = (sq_norms(a)[:, None] + sq_norms(b)[None, :] - 2.0 * a @ b.T).clamp_min(0.0)
    if same:
        d2 = d2.masked_fill(torch.eye(a.shape[0], dtype=torch.bool, device=a.device), 0.0)
    return d2


def _naive_params(spec: KernelSpec, bandwidths: Sequence[float] | Tensor | None,
                  dtype: torch.dtype) -> Sequence[float] | Tensor:
    """spec.params, or the same values as a Tensor built from ``bandwidths`` when that requires grad."""
    if not (isinstance(bandwidths, Tensor) and bandwidths.requires_grad) or spec.kind == "energy":
        return spec.params
    s = bandwidths.reshape(-1).to(dtype)
    return s if spec.kind == "gaussian" else s * s


def mmd2_naive(
    x: Tensor, y: Tensor, bandwidths: Sequence[float] | Tensor | None = None,
    estimator: str = "biased", kernel: str = "gaussian",
) -> Tensor:
    """Reference MMD^2 materialising the full kernel matrices, autograd backward.

    x: (N, D) Tensor, y: (M, D) Tensor -> 0-dim Tensor.  O(N M) memory (O(N M D) for D <= 8):
    for tests, baselines and higher derivatives (double backward works, as do gradients with respect
    to a ``bandwidths`` Tensor that requires grad).
    """
    check_points(x, y)
    spec = make_spec(kernel, bandwidths)
    _check_estimator(estimator, x.shape[0], y.shape[0])
    params = _naive_params(spec, bandwidths, x.dtype)
    kxx = _naive_kernel(_sq_dists(x, x, same=True), spec.kind, params)  # (N, N)
    kyy = _naive_kernel(_sq_dists(y, y, same=True), spec.kind, params)  # (M, M)
    kxy = _naive_kernel(_sq_dists(x, y), spec.kind, params)  # (N, M)
    n, m = x.shape[0], y.shape[0]
    if estimator == "unbiased":
        sxx = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
        syy = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    else:
        sxx, syy = kxx.sum() / n**2, kyy.sum() / m**2
    return sxx + syy - 2.0 * kxy.sum() / (n * m)


def _check_estimator(estimator: str, n: int, m: int) -> None:
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}; expected one of {ESTIMATORS}")
    if estimator == "unbiased" and (n < 2 or m < 2):
        raise ValueError("the unbiased estimator needs at least 2 points in x and in y")


def _resolve_backend(backend: str, x: Tensor) -> str:
    """'auto': Triton on CUDA; on CPU the fused numba kernels up to FUSED_AUTO_MAX_D coordinates (the
    torch tiled code's matmul wins above).  'fused' without numba falls back to 'tiled' (one warning)."""
    return resolve_backend(backend, x, fused_cpu_max_d=FUSED_AUTO_MAX_D)


def resolve_backend(backend: str, x: Tensor, fused_cpu_max_d: int | None = None) -> str:
    """The backend a call runs on, for MMD and Sinkhorn alike: 'auto' is Triton on CUDA (the tiled
    code without Triton) and on CPU 'fused' (up to ``fused_cpu_max_d`` coordinates, else 'tiled');
    'fused' becomes 'tiled' on CUDA or when numba cannot load (warned once by fused_cpu)."""
    check_backend(backend)
    if backend == "auto":
        if x.is_cuda:
            from .triton_mmd import triton_available

            return "triton" if triton_available() else "tiled"
        backend = "fused" if fused_cpu_max_d is None or x.shape[1] <= fused_cpu_max_d else "tiled"
    if backend == "fused" and (x.is_cuda or not fused_cpu.available()):
        return "tiled"
    return backend


def _check_bandwidth_grad(bandwidths: Sequence[float] | Tensor | None, backend: str) -> None:
    """Refuse a bandwidth Tensor that requires grad where the backend treats bandwidths as constants."""
    wants_grad = isinstance(bandwidths, Tensor) and bandwidths.requires_grad and torch.is_grad_enabled()
    if wants_grad and backend != "naive":
        raise ValueError(f"bandwidths requires grad, but backend {backend!r} treats the bandwidths as constants "
                         "(no gradient would reach them); pass bandwidths.detach(), or use backend='naive' "
                         "to differentiate with respect to the bandwidths")


def mmd2(
    x: Tensor, y: Tensor, bandwidths: Sequence[float] | Tensor | None, estimator: str = "biased",
    kernel: str = "gaussian", backend: str = "auto", tile: int | None = None,
) -> Tensor:
    """Squared MMD between samples x and y with a sum of kernels over ``bandwidths``.

    Parameters
    ----------
    x : (N, D) Tensor;  y : (M, D) Tensor  (float32 or float64, same device)
    bandwidths : sequence of positive floats or 1-D Tensor (ignored for ``kernel='energy'``).
        Use :func:`geometric_bandwidths` for a sqrt(2) ladder (fastest on CPU).  A Tensor that
        requires grad gets a gradient with ``backend='naive'`` and is refused by the others.
    estimator : 'biased' (V-statistic, >= 0) or 'unbiased' (U-statistic, drops i = j terms).
    kernel : 'gaussian' | 'imq' | 'energy' (see module docstring).
    backend : 'auto' (Triton on CUDA; on CPU 'fused' for D <= 64, else 'tiled'), 'fused' (numba
        kernels, one pass per tile; falls back to 'tiled' with a warning when numba cannot load),
        'tiled' (torch ops per tile), 'triton', 'naive'.
    tile : tile edge for the tiled / fused (CPU) backends / block size for Triton; None picks a default.

    Returns
    -------
    0-dim Tensor, differentiable w.r.t. x and y (closed-form backward for fused/tiled/triton;
    double backward, e.g. a gradient penalty, needs ``backend='naive'``).

    Examples
    --------
    >>> x, y = torch.randn(500, 2), torch.randn(400, 2) + 1.0
    >>> float(mmd2(x, y, geometric_bandwidths(1.0, 3))) > 0
    True
    """
    check_points(x, y)
    spec = make_spec(kernel, bandwidths)
    _check_estimator(estimator, x.shape[0], y.shape[0])
    which = _resolve_backend(backend, x)
    _check_bandwidth_grad(bandwidths, which)
    if which == "naive":
        return mmd2_naive(x, y, bandwidths, estimator, kernel)
    if which == "triton":
        from .triton_mmd import mmd2_triton

        return mmd2_triton(x, y, spec, estimator, tile)
    if which == "fused":
        return _mmd2_fused(x, y, spec, estimator, tile)
    return mmd2_tiled(x, y, spec, estimator, tile)


def _fused_or_tiled_raw(x: Tensor, y: Tensor, spec: KernelSpec, estimator: str, tile: int | None,
                        need_grad: bool):
    """The fused kernels' raw result; the tiled code's if they fail to compile (warned once)."""
    try:
        return fused_cpu.mmd2_fused_raw(x, y, spec, estimator, tile, need_grad)
    except fused_cpu.FusedUnavailable:
        return mmd2_tiled_raw(x, y, spec, estimator, tile, need_grad)


def _mmd2_fused(x: Tensor, y: Tensor, spec: KernelSpec, estimator: str, tile: int | None) -> Tensor:
    """Differentiable fused-kernel MMD^2 (CPU): value and closed-form gradients in one pass."""
    if tile is not None and tile < 1:
        raise ValueError(f"tile must be a positive integer, got {tile}")
    need_grad = torch.is_grad_enabled() and (x.requires_grad or y.requires_grad)
    return PrecomputedGradMMD2.apply(_fused_or_tiled_raw, x, y, spec, estimator, tile, need_grad)
