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

from ._common import ESTIMATORS, KernelSpec, check_backend, check_points, make_spec
from .tiled_mmd import mmd2_tiled


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


def _naive_kernel(d2: Tensor, spec: KernelSpec) -> Tensor:
    """Summed kernel values from squared distances: (N, M) Tensor -> (N, M) Tensor."""
    if spec.kind == "gaussian":
        return sum(torch.exp(-d2 / (2.0 * s * s)) for s in spec.params)
    if spec.kind == "imq":
        return sum(c / (c + d2) for c in spec.params)
    return -torch.sqrt(d2.clamp_min(1e-30)) * (d2 > 0)


def _sq_cdist(a: Tensor, b: Tensor) -> Tensor:
    """Squared Euclidean distances via torch.cdist: (N, D), (M, D) -> (N, M) Tensor."""
    return torch.cdist(a, b).pow(2)


def mmd2_naive(
    x: Tensor, y: Tensor, bandwidths: Sequence[float] | Tensor | None = None,
    estimator: str = "biased", kernel: str = "gaussian",
) -> Tensor:
    """Reference MMD^2 materialising the full kernel matrices (``cdist`` + ``exp``), autograd backward.

    x: (N, D) Tensor, y: (M, D) Tensor -> 0-dim Tensor.  O(N M) memory: for tests and baselines.
    """
    check_points(x, y)
    spec = make_spec(kernel, bandwidths)
    _check_estimator(estimator, x.shape[0], y.shape[0])
    kxx = _naive_kernel(_sq_cdist(x, x), spec)  # (N, N)
    kyy = _naive_kernel(_sq_cdist(y, y), spec)  # (M, M)
    kxy = _naive_kernel(_sq_cdist(x, y), spec)  # (N, M)
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
    check_backend(backend)
    if backend != "auto":
        return backend
    if x.is_cuda:
        from .triton_mmd import triton_available

        return "triton" if triton_available() else "tiled"
    return "tiled"


def mmd2(
    x: Tensor, y: Tensor, bandwidths: Sequence[float] | Tensor | None, estimator: str = "biased",
    kernel: str = "gaussian", backend: str = "auto", tile: int | None = None,
) -> Tensor:
    """Squared MMD between samples x and y with a sum of kernels over ``bandwidths``.

    Parameters
    ----------
    x : (N, D) Tensor;  y : (M, D) Tensor  (float32 or float64, same device)
    bandwidths : sequence of positive floats or 1-D Tensor (ignored for ``kernel='energy'``).
        Use :func:`geometric_bandwidths` for a sqrt(2) ladder (fastest on CPU).
    estimator : 'biased' (V-statistic, >= 0) or 'unbiased' (U-statistic, drops i = j terms).
    kernel : 'gaussian' | 'imq' | 'energy' (see module docstring).
    backend : 'auto' (Triton on CUDA, tiled otherwise), 'tiled', 'triton', 'naive'.
    tile : tile edge for the tiled (CPU) backend / block size for Triton; None picks a default.

    Returns
    -------
    0-dim Tensor, differentiable w.r.t. x and y (closed-form backward for tiled/triton).

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
    if which == "naive":
        return mmd2_naive(x, y, bandwidths, estimator, kernel)
    if which == "triton":
        from .triton_mmd import mmd2_triton

        return mmd2_triton(x, y, spec, estimator, tile)
    return mmd2_tiled(x, y, spec, estimator, tile)
