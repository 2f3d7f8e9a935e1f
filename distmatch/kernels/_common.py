"""Shared helpers for the kernel backends: input validation, kernel specs, distance tiles.

A *kernel spec* describes a (sum of) radial kernel(s) k(a, b) = phi(||a - b||^2) together with the
gradient weight W(a, b) defined by  d k(a, b) / d a = -W(a, b) (a - b).  Every backend reduces a
pair of point sets to the three quantities

    S = sum_ij k(a_i, b_j),   R_i = sum_j W_ij,   (W B)_i = sum_j W_ij b_j,

from which dS/da_i = -(a_i R_i - (W B)_i) follows in closed form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

LOG2E = 1.0 / math.log(2.0)
KERNELS = ("gaussian", "imq", "energy")
ESTIMATORS = ("biased", "unbiased")
BACKENDS = ("auto", "fused", "tiled", "triton", "naive")
# below this many coordinates, distance tiles are built with broadcast ops instead of a matmul
SMALL_D = 8
# a bandwidth list takes the one-exp ladder path only when it is a ladder to this relative precision
LADDER_RTOL = 1e-12


@dataclass(frozen=True)
class KernelSpec:
    """Resolved kernel description shared by all backends.

    Attributes
    ----------
    kind : 'gaussian' | 'imq' | 'energy'
    params : tuple of float
        Gaussian: the bandwidths sigma (sorted, largest first). IMQ: the constants c = sigma^2.
        Energy: empty.
    ladder : bool
        Gaussian bandwidths form a ladder sigma_k = sigma_0 / sqrt(2)^(m_k) with integers
        m_0 = 0 < m_1 < ..., so K_k = K_0^(2^m_k): one exp, then repeated squaring.
    squarings : tuple of int
        For a ladder, m_k - m_(k-1): squarings from one bandwidth to the next (1 for a sqrt(2)
        ladder, 2 for a ratio-2 ladder such as the default median-heuristic one).
    k0 : float
        Value of the summed kernel at distance 0 (diagonal term removed by the U-statistic).
    """

    kind: str
    params: tuple[float, ...]
    ladder: bool
    k0: float
    squarings: tuple[int, ...] = ()


def is_sqrt2_ladder(sigmas: Sequence[float], rtol: float = LADDER_RTOL) -> bool:
    """True when sorted-descending ``sigmas`` satisfy sigma_k = sigma_0 / sqrt(2)^k to ``rtol``."""
    s = sorted(sigmas, reverse=True)
    return all(abs(s[k] - s[0] / math.sqrt(2.0) ** k) <= rtol * s[k] for k in range(len(s)))


def ladder_squarings(sigmas: Sequence[float], rtol: float = LADDER_RTOL, max_total: int = 16) -> tuple[int, ...] | None:
    """Squarings between consecutive sorted-descending ``sigmas`` when sigma_k = sigma_0 / sqrt(2)^m_k
    with integers 0 < m_1 < m_2 < ... <= ``max_total`` (each to ``rtol`` relative), else None."""
    s = sorted(sigmas, reverse=True)
    ms = [round(math.log2((s[0] / v) ** 2)) for v in s]
    if ms[-1] > max_total or any(abs(v - s[0] / math.sqrt(2.0) ** m) > rtol * v for v, m in zip(s, ms)):
        return None
    steps = tuple(b - a for a, b in zip(ms, ms[1:]))
    return steps if all(k >= 1 for k in steps) else None


def make_spec(kernel: str, bandwidths: Sequence[float] | Tensor | float | None) -> KernelSpec:
    """Validate ``kernel``/``bandwidths`` and build a :class:`KernelSpec`.

    Gaussian: k = sum_s exp(-d^2 / (2 s^2)).  IMQ: k = sum_s c / (c + d^2) with c = s^2 (so each
    term equals 1 at d = 0 and decays on the length scale s).  Energy: k = -d (bandwidths ignored).
    """
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; expected one of {KERNELS}")
    if kernel == "energy":
        return KernelSpec("energy", (), False, 0.0)
    sig = _bandwidth_list(bandwidths)
    if kernel == "gaussian":
        sig = sorted(sig, reverse=True)
        steps = ladder_squarings(sig) if len(sig) > 1 else None
        return KernelSpec("gaussian", tuple(sig), steps is not None, float(len(sig)), steps or ())
    return KernelSpec("imq", tuple(s * s for s in sig), False, float(len(sig)))


def _bandwidth_list(bandwidths: Sequence[float] | Tensor | float | None) -> list[float]:
    if bandwidths is None:
        raise ValueError("bandwidths are required for the gaussian and imq kernels")
    if isinstance(bandwidths, Tensor):
        sig = [float(v) for v in bandwidths.detach().reshape(-1).cpu().tolist()]
    elif isinstance(bandwidths, (int, float)):
        sig = [float(bandwidths)]
    else:
        sig = [float(v) for v in bandwidths]
    if not sig:
        raise ValueError("bandwidths must contain at least one value")
    if any(not math.isfinite(s) or s <= 0 for s in sig):
        raise ValueError(f"bandwidths must be finite and positive, got {sig}")
    return sig


def check_points(x: Tensor, y: Tensor) -> None:
    """Raise ValueError unless x: (N, D) and y: (M, D) are non-empty float tensors on one device."""
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() != 2:
            raise ValueError(f"{name} must be a 2-D (N, D) tensor, got shape {tuple(t.shape)}")
        if t.shape[0] == 0 or t.shape[1] == 0:
            raise ValueError(f"{name} must be non-empty, got shape {tuple(t.shape)}")
        if t.dtype not in (torch.float32, torch.float64):
            raise ValueError(f"{name} must be float32 or float64, got {t.dtype}")
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} contains NaN or inf values")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension D, got {x.shape[1]} and {y.shape[1]}")
    if x.dtype != y.dtype:
        raise ValueError(f"x and y must have the same dtype, got {x.dtype} and {y.dtype}")
    if x.device != y.device:
        raise ValueError(f"x and y must be on the same device, got {x.device} and {y.device}")


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")


def energy_threshold(dtype: torch.dtype) -> float:
    """Relative squared-distance threshold under which two points count as coincident.

    d^2 built from |a|^2 + |b|^2 - 2 a.b carries a rounding error ~ eps_mach (|a|^2 + |b|^2);
    pairs below ``thr * (|a|^2 + |b|^2)`` get d = 0 and zero gradient weight (energy kernel).
    """
    return 1e-6 if dtype == torch.float32 else 1e-13


def sq_norms(a: Tensor) -> Tensor:
    """Row squared norms: (N, D) Tensor -> (N,) Tensor."""
    return (a * a).sum(1)  # (N,)


def fill_sqdist(out: Tensor, at: Tensor, bt: Tensor, tmp: Tensor, scale: float = 1.0) -> Tensor:
    """out_ij = scale * sum_k (a_ki - b_kj)^2 from exact coordinate differences.

    at: (D, n) and bt: (D, m) Tensors (contiguous coordinate rows), tmp and out: (n, m) Tensors.
    Unlike |a|^2 + |b|^2 - 2 a.b there is no cancellation: each difference is rounded once relative
    to itself, so the result has a few ulp of relative error, the sign of ``scale``, and is exactly
    0 where a_i = b_j.  Pass uncentred coordinates: shifting or scaling them first would round each
    one relative to its magnitude.
    """
    for k in range(at.shape[0]):
        torch.sub(at[k][:, None], bt[k][None, :], out=tmp)  # (n, m)
        if k == 0:
            torch.addcmul(out.new_zeros(()), tmp, tmp, value=scale, out=out)
        else:
            out.addcmul_(tmp, tmp, value=scale)
    return out


def fill_inner(out: Tensor, at: Tensor, bt: Tensor, row: Tensor | None, col: Tensor | None) -> Tensor:
    """out_ij = row_i + col_j + a_i . b_j, without temporaries beyond ``out``.

    at: (D, n) and bt: (D, m) Tensors (transposed, contiguous rows), row: (n,) or None,
    col: (m,) or None, out: (n, m) Tensor.  Small D uses broadcast outer products on contiguous
    coordinate rows (memory bound, ~4x faster than a K=D matmul); larger D one ``addmm``.
    """
    d = at.shape[0]
    if d <= SMALL_D:
        if row is not None and col is not None:
            torch.add(row[:, None], col[None, :], out=out)  # (n, m)
            row = None
        elif col is not None:
            out.copy_(col[None, :].expand_as(out))
        else:
            out.zero_()
        for k in range(d):
            out.addcmul_(at[k][:, None], bt[k][None, :])  # (n, m)
    else:
        if col is not None:
            out.copy_(col[None, :].expand_as(out))
            out.addmm_(at.T, bt)
        else:
            torch.mm(at.T, bt, out=out)
    if row is not None:
        out.add_(row[:, None])
    return out


def contract_rows(w: Tensor, bt: Tensor) -> tuple[Tensor, Tensor]:
    """Return (W @ b, W.sum(1)): W (n, m), bt = b^T (D, m) -> (n, D), (n,).  mv per coordinate for small D."""
    if bt.shape[0] <= SMALL_D:
        wb = torch.stack([torch.mv(w, bt[k]) for k in range(bt.shape[0])], 1)  # (n, D)
    else:
        wb = torch.mm(w, bt.T)  # (n, D)
    return wb, w.sum(1)


def contract_cols(w: Tensor, at: Tensor) -> tuple[Tensor, Tensor]:
    """Return (W^T @ a, W.sum(0)): W (n, m), at = a^T (D, n) -> (m, D), (m,)."""
    wt = w.T
    if at.shape[0] <= SMALL_D:
        wa = torch.stack([torch.mv(wt, at[k]) for k in range(at.shape[0])], 1)  # (m, D)
    else:
        wa = torch.mm(at, w).T  # (m, D)
    return wa, w.sum(0)


def refuse_double_backward(what: str, instead: str) -> None:
    """Raise when a closed-form backward is asked to build a graph (``create_graph=True``)."""
    if torch.is_grad_enabled():
        raise RuntimeError(
            f"{what} does not support double backward (create_graph=True): its gradient is computed in "
            f"closed form and is not itself differentiable. {instead}")


class PrecomputedGradMMD2(torch.autograd.Function):
    """MMD^2 from a backend ``raw(x, y, spec, estimator, block, need_grad) -> (value, gx, gy)``
    whose forward pass already accumulates the closed-form gradients; backward only scales them.

    Double backward raises a RuntimeError (``backend='naive'`` supports it).
    """

    @staticmethod
    def forward(ctx, raw, x: Tensor, y: Tensor, spec: KernelSpec, estimator: str, block: int | None,
                need_grad: bool):
        value, gx, gy = raw(x.detach(), y.detach(), spec, estimator, block, need_grad)
        if need_grad:
            ctx.save_for_backward(gx, gy)
        return value

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        refuse_double_backward("mmd2 with the fused/tiled/triton backends",
                               "Use mmd2(..., backend='naive') for gradient penalties or higher derivatives.")
        gx, gy = ctx.saved_tensors
        return None, grad_out * gx, grad_out * gy, None, None, None, None


def mmd_coefficients(n: int, m: int, estimator: str) -> tuple[float, float, float]:
    """Weights (c_xx, c_yy, c_xy) of S_xx, S_yy, S_xy in MMD^2."""
    if estimator == "unbiased":
        if n < 2 or m < 2:
            raise ValueError("the unbiased estimator needs at least 2 points in x and in y")
        return 1.0 / (n * (n - 1)), 1.0 / (m * (m - 1)), -2.0 / (n * m)
    return 1.0 / n**2, 1.0 / m**2, -2.0 / (n * m)
