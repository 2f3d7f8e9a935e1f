"""Tiled CPU MMD^2 with a closed-form gradient accumulated in the same pass.

Memory is O(N + M) plus a few (T, T) tiles: the N x M kernel matrix is never formed.  Per tile:

1. one distance tile  E_ij = alpha a_i.b_j + beta (|a_i|^2 + |b_j|^2)  (broadcast ops for small D,
   ``addmm`` otherwise; points are centred first to limit cancellation),
2. kernel values for *all* bandwidths from that tile.  For a sqrt(2) ladder
   sigma_k = sigma_0 / sqrt(2)^k we have K_k = K_0^(2^k): one ``exp2`` and k squarings,
3. tile sum S and, when gradients are needed, W_ij = sum_k K_k,ij / sigma_k^2 contracted to
   R_i = sum_j W_ij and (W B)_i (and the column versions), so that
   dS/da_i = -(a_i R_i - (W B)_i),  dS/db_j = -(b_j C_j - (W^T A)_j).

The symmetric terms S_xx and S_yy visit only tiles with J >= I (off-diagonal tiles count twice).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ._common import LOG2E, KernelSpec, PrecomputedGradMMD2, contract_cols, contract_rows, energy_threshold, fill_inner, sq_norms

MAX_SQUARINGS = 6  # squarings before the ladder restarts from a fresh exp2
DEFAULT_TILE = 1024


@dataclass
class _Side:
    """One point set prepared for tiling: centred points, scaled copy and norm terms."""

    pts: Tensor  # (N, D) centred points
    ptst: Tensor  # (D, N) centred points, transposed (contiguous coordinate rows)
    lhst: Tensor  # (D, N) alpha * pts^T  (row side of the distance tile)
    nrm: Tensor  # (N,)  beta * |pts|^2
    r: Tensor | None = None  # (N,) float64 accumulator of weighted W row sums
    wb: Tensor | None = None  # (N, D) float64 accumulator of weighted W @ other


def _scales(spec: KernelSpec) -> tuple[float, float]:
    """(alpha, beta) such that E = alpha a.b + beta (|a|^2 + |b|^2) is the tile we need."""
    if spec.kind == "gaussian" and spec.ladder:
        c = LOG2E / (2.0 * spec.params[0] ** 2)  # E = -d^2 / (2 sigma_0^2) in base 2
        return 2.0 * c, -c
    return -2.0, 1.0  # E = d^2


def _prepare(p: Tensor, shift: Tensor, spec: KernelSpec, need_grad: bool) -> _Side:
    pts = p - shift  # (N, D)
    alpha, beta = _scales(spec)
    ptst = pts.T.contiguous()  # (D, N)
    side = _Side(pts, ptst, ptst * alpha, sq_norms(pts) * beta)
    if need_grad:
        side.r = torch.zeros(p.shape[0], dtype=torch.float64, device=p.device)
        side.wb = torch.zeros(p.shape[0], p.shape[1], dtype=torch.float64, device=p.device)
    return side


class _Tiles:
    """Reusable (T, T) work buffers and the per-tile kernel evaluation."""

    def __init__(self, spec: KernelSpec, tile: int, x: Tensor, need_grad: bool, scale2: float):
        dtype, device = x.dtype, x.device
        self.spec, self.need_grad = spec, need_grad
        self.buf = torch.empty(tile * tile, dtype=dtype, device=device)
        long_ladder = spec.ladder and sum(spec.squarings) > MAX_SQUARINGS
        self.tmp = torch.empty(tile * tile, dtype=dtype, device=device) if (not spec.ladder or long_ladder) else None
        self.w = torch.empty(tile * tile, dtype=dtype, device=device) if need_grad else None
        self.energy_thr = energy_threshold(dtype) * scale2

    def _view(self, flat: Tensor | None, n: int, m: int) -> Tensor | None:
        return None if flat is None else flat[: n * m].view(n, m)

    def terms(self, a: _Side, i0: int, i1: int, b: _Side, j0: int, j1: int) -> tuple[float, Tensor | None]:
        """Kernel sum over the tile and the gradient weights W: (n, m) Tensor or None."""
        n, m = i1 - i0, j1 - j0
        e = self._view(self.buf, n, m)  # (n, m)
        fill_inner(e, a.lhst[:, i0:i1], b.ptst[:, j0:j1], a.nrm[i0:i1], b.nrm[j0:j1])
        w = self._view(self.w, n, m)
        tmp = self._view(self.tmp, n, m)
        kind = self.spec.kind
        if kind == "gaussian":
            if self.spec.ladder:
                return _gauss_ladder(e, tmp, w, self.spec.params, self.spec.squarings)
            return _gauss_multi(e, tmp, w, self.spec.params)
        if kind == "imq":
            return _imq(e, tmp, w, self.spec.params)
        return _energy(e, w, self.energy_thr)


def _gauss_ladder(k: Tensor, tmp: Tensor | None, w: Tensor | None, sig: tuple[float, ...],
                  squarings: tuple[int, ...]):
    """k holds -d^2/(2 sigma_0^2) log2(e); K_0 = 2^k, K_j = K_{j-1}^(2^squarings_j).  W = sum_j K_j / sigma_j^2.

    Squaring multiplies relative rounding error by 2 each time, so after ``MAX_SQUARINGS`` in a
    row the chain restarts from one fresh exp2 of the saved exponent (kept in ``tmp``): float32
    error stays below ~2^6 ulp however long the ladder.
    """
    if tmp is not None:
        tmp.copy_(k)  # (n, m) exponent for the 0-th bandwidth, kept for restarts
    k.exp2_()  # (n, m) K_0
    total = float(k.sum())
    if w is not None:
        torch.mul(k, 1.0 / sig[0] ** 2, out=w)
    since_exp, level = 0, 0
    for s, n_sq in zip(sig[1:], squarings):
        level += n_sq
        if since_exp + n_sq > MAX_SQUARINGS and tmp is not None:
            torch.mul(tmp, float(2**level), out=k).exp2_()  # K_j = 2^(2^level * exponent_0)
            since_exp = 0
        else:
            for _ in range(n_sq):
                k.mul_(k)  # K_j = K_{j-1}^2
            since_exp += n_sq
        total += float(k.sum())
        if w is not None:
            w.add_(k, alpha=1.0 / s**2)
    return total, w


def _gauss_multi(d2: Tensor, tmp: Tensor, w: Tensor | None, sig: tuple[float, ...]):
    """One exp2 per bandwidth from the shared d^2 tile."""
    total = 0.0
    for idx, s in enumerate(sig):
        torch.mul(d2, -LOG2E / (2.0 * s * s), out=tmp).exp2_()  # (n, m) K_s
        total += float(tmp.sum())
        if w is not None:
            if idx == 0:
                torch.mul(tmp, 1.0 / s**2, out=w)
            else:
                w.add_(tmp, alpha=1.0 / s**2)
    return total, w


def _imq(d2: Tensor, tmp: Tensor, w: Tensor | None, cs: tuple[float, ...]):
    """K_c = c / (c + d^2);  dK/da = -2 c (a - b) / (c + d^2)^2, so W = sum_c (2 / c) K_c^2."""
    d2.clamp_min_(0.0)
    total = 0.0
    if w is not None:
        w.zero_()
    for c in cs:
        torch.add(d2, c, out=tmp).reciprocal_().mul_(c)  # (n, m) K_c
        total += float(tmp.sum())
        if w is not None:
            w.addcmul_(tmp, tmp, value=2.0 / c)
    return total, w


def _energy(d2: Tensor, w: Tensor | None, thr: float):
    """k = -d;  dk/da = -(a - b) / d, so W = 1 / d (0 for coincident points)."""
    tiny = d2 <= thr  # (n, m) bool
    d2.clamp_min_(0.0).sqrt_().masked_fill_(tiny, 0.0)  # (n, m) d
    total = -float(d2.sum())
    if w is not None:
        torch.reciprocal(d2, out=w).masked_fill_(tiny, 0.0)
    return total, w


def _accumulate(side: _Side, lo: int, hi: int, other_t: Tensor, w: Tensor, weight: float, cols: bool) -> None:
    wb, r = contract_cols(w, other_t) if cols else contract_rows(w, other_t)
    side.wb[lo:hi].add_(wb, alpha=weight)
    side.r[lo:hi].add_(r, alpha=weight)


def _pair_sum(t: _Tiles, a: _Side, b: _Side | None, weight: float, tile: int) -> float:
    """weight * sum_ij k(a_i, b_j), accumulating gradient terms of both sides.

    ``b=None`` means b = a: all ordered pairs of a, visiting only tiles J >= I (off-diagonal tiles
    count twice).
    """
    symmetric = b is None
    b = a if symmetric else b
    total = 0.0
    n, m = a.pts.shape[0], b.pts.shape[0]
    for i0 in range(0, n, tile):
        i1 = min(i0 + tile, n)
        for j0 in range(i0 if symmetric else 0, m, tile):
            j1 = min(j0 + tile, m)
            wt = 2.0 * weight if symmetric and j0 != i0 else weight
            s, w = t.terms(a, i0, i1, b, j0, j1)
            total += wt * s
            if w is not None:
                _accumulate(a, i0, i1, b.ptst[:, j0:j1], w, wt, cols=False)
                _accumulate(b, j0, j1, a.ptst[:, i0:i1], w, wt, cols=True)
    return total


def _coefficients(n: int, m: int, estimator: str) -> tuple[float, float, float]:
    """Weights (c_xx, c_yy, c_xy) of S_xx, S_yy, S_xy in MMD^2."""
    if estimator == "unbiased":
        if n < 2 or m < 2:
            raise ValueError("the unbiased estimator needs at least 2 points in x and in y")
        return 1.0 / (n * (n - 1)), 1.0 / (m * (m - 1)), -2.0 / (n * m)
    return 1.0 / n**2, 1.0 / m**2, -2.0 / (n * m)


def mmd2_tiled_raw(
    x: Tensor, y: Tensor, spec: KernelSpec, estimator: str, tile: int | None, need_grad: bool
) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """MMD^2 value and (optionally) its gradients, without autograd.

    Parameters
    ----------
    x : (N, D) Tensor, y : (M, D) Tensor (detached, CPU).

    Returns
    -------
    value : 0-dim Tensor (x.dtype); grad_x : (N, D) Tensor or None; grad_y : (M, D) Tensor or None.
    """
    tile = tile or DEFAULT_TILE
    n, m = x.shape[0], y.shape[0]
    cxx, cyy, cxy = _coefficients(n, m, estimator)
    shift = torch.cat([x, y]).mean(0)  # (D,) common centre: distances are unchanged
    a, b = _prepare(x, shift, spec, need_grad), _prepare(y, shift, spec, need_grad)
    scale2 = float(torch.cat([a.pts, b.pts]).pow(2).sum(1).max()) if spec.kind == "energy" else 1.0
    t = _Tiles(spec, min(tile, max(n, m)), x, need_grad, scale2)
    total = _pair_sum(t, a, None, cxx, tile) + _pair_sum(t, b, None, cyy, tile) + _pair_sum(t, a, b, cxy, tile)
    if estimator == "unbiased":
        total -= spec.k0 * (cxx * n + cyy * m)
    value = torch.tensor(total, dtype=x.dtype, device=x.device)
    if not need_grad:
        return value, None, None
    gx = -(a.pts.double() * a.r[:, None] - a.wb)  # (N, D)
    gy = -(b.pts.double() * b.r[:, None] - b.wb)  # (M, D)
    return value, gx.to(x.dtype), gy.to(y.dtype)


def mmd2_tiled(x: Tensor, y: Tensor, spec: KernelSpec, estimator: str, tile: int | None = None) -> Tensor:
    """Differentiable tiled MMD^2 (CPU); see module docstring."""
    if tile is not None and tile < 1:
        raise ValueError(f"tile must be a positive integer, got {tile}")
    need_grad = torch.is_grad_enabled() and (x.requires_grad or y.requires_grad)
    return PrecomputedGradMMD2.apply(mmd2_tiled_raw, x, y, spec, estimator, tile, need_grad)
