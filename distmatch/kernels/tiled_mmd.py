"""Tiled CPU MMD^2 with a closed-form gradient accumulated in the same pass.

Memory is O(N + M) plus a few (T, T) tiles: the N x M kernel matrix is never formed.  Per tile:

1. one distance tile  E_ij = beta ||a_i - b_j||^2: for small D from exact differences of the
   uncentred coordinates (no cancellation, exactly 0 on the diagonal); otherwise as
   alpha a_i.b_j + beta (|a_i|^2 + |b_j|^2) with ``addmm`` on centred points, clamped to the sign
   of beta and with a zeroed diagonal,
2. kernel values for *all* bandwidths from that tile.  For a sqrt(2) ladder
   sigma_k = sigma_0 / sqrt(2)^k we have K_k = K_0^(2^k): one ``exp2`` and k squarings,
3. tile sum S and, when gradients are needed, W_ij = sum_k K_k,ij / sigma_k^2 and
   dS/da_i = -sum_j W_ij (a_i - b_j),  dS/db_j = -sum_i W_ij (b_j - a_i): for small D summed from
   exact differences, otherwise from R_i = sum_j W_ij and (W B)_i as -(a_i R_i - (W B)_i).

The symmetric terms S_xx and S_yy visit only tiles with J >= I (off-diagonal tiles count twice).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ._common import (SMALL_D, LOG2E, KernelSpec, PrecomputedGradMMD2, contract_cols, contract_rows, energy_threshold,
                      mmd_coefficients,
                      fill_inner, fill_sqdist, sq_norms)

MAX_SQUARINGS = 6  # squarings before the ladder restarts from a fresh exp2
DEFAULT_TILE = 1024


@dataclass
class _Side:
    """One point set prepared for tiling: points, addmm operands and gradient accumulators."""

    pts: Tensor  # (N, D) points (centred for addmm tiles only)
    ptst: Tensor  # (D, N) points, transposed (contiguous coordinate rows)
    lhst: Tensor  # (D, N) alpha * pts^T  (row side of addmm tiles)
    nrm: Tensor | None  # (N,)  beta * |pts|^2 (addmm tiles only)
    r: Tensor | None = None  # (N,) float64 accumulator of weighted W row sums (addmm tiles)
    wb: Tensor | None = None  # (N, D) float64 accumulator of weighted W @ other (addmm tiles)
    g: Tensor | None = None  # (N, D) float64 accumulator of weighted sum_j W_ij (p_i - q_j) (small D)

    def grad(self) -> Tensor:
        """dS/dp_i = -sum_j W_ij (p_i - q_j): (N, D) float64 Tensor."""
        return -self.g if self.r is None else -(self.pts.double() * self.r[:, None] - self.wb)


def _scales(spec: KernelSpec) -> tuple[float, float]:
    """(alpha, beta) such that E = alpha a.b + beta (|a|^2 + |b|^2) is the tile we need."""
    if spec.kind == "gaussian" and spec.ladder:
        c = LOG2E / (2.0 * spec.params[0] ** 2)  # E = -d^2 / (2 sigma_0^2) in base 2
        return 2.0 * c, -c
    return -2.0, 1.0  # E = d^2


def _prepare(p: Tensor, shift: Tensor, spec: KernelSpec, need_grad: bool) -> _Side:
    """Small D: raw points for exact differences.  Otherwise centred points and addmm operands."""
    alpha, beta = _scales(spec)
    if p.shape[1] <= SMALL_D:
        ptst = p.T.contiguous()  # (D, N)
        side = _Side(p, ptst, ptst, None)
    else:
        pts = p - shift  # (N, D)
        ptst = pts.T.contiguous()  # (D, N)
        side = _Side(pts, ptst, ptst * alpha, sq_norms(pts) * beta)
    if need_grad:
        zeros = torch.zeros(p.shape[0], p.shape[1], dtype=torch.float64, device=p.device)
        if side.nrm is None:
            side.g = zeros
        else:
            side.r, side.wb = zeros[:, 0].clone(), zeros
    return side


class _Tiles:
    """Reusable (T, T) work buffers and the per-tile kernel evaluation."""

    def __init__(self, spec: KernelSpec, tile: int, x: Tensor, need_grad: bool, scale2: float):
        dtype, device = x.dtype, x.device
        self.spec, self.need_grad = spec, need_grad
        self.exact = x.shape[1] <= SMALL_D  # distance tiles from exact coordinate differences
        self.beta = _scales(spec)[1]
        self.buf = torch.empty(tile * tile, dtype=dtype, device=device)
        long_ladder = spec.ladder and sum(spec.squarings) > MAX_SQUARINGS
        need_tmp = self.exact or not spec.ladder or long_ladder
        self.tmp = torch.empty(tile * tile, dtype=dtype, device=device) if need_tmp else None
        self.w = torch.empty(tile * tile, dtype=dtype, device=device) if need_grad else None
        self.energy_thr = 0.0 if self.exact else energy_threshold(dtype) * scale2

    def _view(self, flat: Tensor | None, n: int, m: int) -> Tensor | None:
        return None if flat is None else flat[: n * m].view(n, m)

    def distances(self, e: Tensor, tmp: Tensor | None, a: _Side, i0: int, i1: int, b: _Side, j0: int, j1: int,
                  diag: bool) -> None:
        """Fill e with beta ||a_i - b_j||^2 (sign of beta, exactly 0 on the diagonal of a ``diag`` tile)."""
        if self.exact:
            fill_sqdist(e, a.ptst[:, i0:i1], b.ptst[:, j0:j1], tmp, self.beta)
            return
        fill_inner(e, a.lhst[:, i0:i1], b.ptst[:, j0:j1], a.nrm[i0:i1], b.nrm[j0:j1])
        e.clamp_min_(0.0) if self.beta > 0 else e.clamp_max_(0.0)
        if diag:
            e.diagonal().zero_()

    def terms(self, a: _Side, i0: int, i1: int, b: _Side, j0: int, j1: int,
              diag: bool = False) -> tuple[float, Tensor | None]:
        """Kernel sum over the tile and the gradient weights W: (n, m) Tensor or None."""
        n, m = i1 - i0, j1 - j0
        e = self._view(self.buf, n, m)  # (n, m)
        w = self._view(self.w, n, m)
        tmp = self._view(self.tmp, n, m)
        self.distances(e, tmp, a, i0, i1, b, j0, j1, diag)
        total, w = self.kernel(e, tmp, w)
        if w is not None and diag and not self.exact:
            w.diagonal().zero_()  # a_i - a_i = 0: keeps the a_i R_i - (W A)_i form exact there
        return total, w

    def kernel(self, e: Tensor, tmp: Tensor | None, w: Tensor | None) -> tuple[float, Tensor | None]:
        """Kernel sum and gradient weights from the distance tile e (overwritten)."""
        kind = self.spec.kind
        if kind == "gaussian":
            if self.spec.ladder:
                return _gauss_ladder(e, tmp, w, self.spec.params, self.spec.squarings)
            return _gauss_multi(e, tmp, w, self.spec.params)
        if kind == "imq":
            return _imq(e, tmp, w, self.spec.params)
        return _energy(e, w, self.energy_thr)


def _tile_sum(k: Tensor) -> float:
    """Sum of a tile: row sums in the tile's dtype, added up in float64.

    MMD^2 is a difference of such sums, so a float32 total would carry ~1e-7 of the (much larger)
    kernel sums into the result.
    """
    return float(k.sum(1).sum(dtype=torch.float64))


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
    total = _tile_sum(k)
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
        total += _tile_sum(k)
        if w is not None:
            w.add_(k, alpha=1.0 / s**2)
    return total, w


def _gauss_multi(d2: Tensor, tmp: Tensor, w: Tensor | None, sig: tuple[float, ...]):
    """One exp2 per bandwidth from the shared d^2 tile."""
    total = 0.0
    for idx, s in enumerate(sig):
        torch.mul(d2, -LOG2E / (2.0 * s * s), out=tmp).exp2_()  # (n, m) K_s
        total += _tile_sum(tmp)
        if w is not None:
            if idx == 0:
                torch.mul(tmp, 1.0 / s**2, out=w)
            else:
                w.add_(tmp, alpha=1.0 / s**2)
    return total, w


def _imq(d2: Tensor, tmp: Tensor, w: Tensor | None, cs: tuple[float, ...]):
    """K_c = c / (c + d^2);  dK/da = -2 c (a - b) / (c + d^2)^2, so W = sum_c (2 / c) K_c^2."""
    total = 0.0
    if w is not None:
        w.zero_()
    for c in cs:
        torch.add(d2, c, out=tmp).reciprocal_().mul_(c)  # (n, m) K_c
        total += _tile_sum(tmp)
        if w is not None:
            w.addcmul_(tmp, tmp, value=2.0 / c)
    return total, w


def _energy(d2: Tensor, w: Tensor | None, thr: float):
    """k = -d;  dk/da = -(a - b) / d, so W = 1 / d (0 for coincident points)."""
    tiny = d2 <= thr  # (n, m) bool
    d2.sqrt_().masked_fill_(tiny, 0.0)  # (n, m) d
    total = -_tile_sum(d2)
    if w is not None:
        torch.reciprocal(d2, out=w).masked_fill_(tiny, 0.0)
    return total, w


def _accumulate(side: _Side, lo: int, hi: int, other_t: Tensor, w: Tensor, weight: float, cols: bool) -> None:
    wb, r = contract_cols(w, other_t) if cols else contract_rows(w, other_t)
    side.wb[lo:hi].add_(wb, alpha=weight)
    side.r[lo:hi].add_(r, alpha=weight)


def _accumulate_exact(a: _Side, i0: int, i1: int, b: _Side, j0: int, j1: int, w: Tensor, tmp: Tensor,
                      weight: float) -> None:
    """a.g_i += weight sum_j W_ij (a_i - b_j) and b.g_j += weight sum_i W_ij (b_j - a_i), from exact
    differences (no a_i R_i - (W B)_i cancellation when |a_i| >> |a_i - b_j|).

    The differences are recomputed into ``tmp`` rather than kept from the distance step, which would
    take D more tile buffers out of cache.
    """
    for k in range(a.ptst.shape[0]):
        torch.sub(a.ptst[k, i0:i1][:, None], b.ptst[k, j0:j1][None, :], out=tmp).mul_(w)  # (n, m)
        a.g[i0:i1, k].add_(tmp.sum(1), alpha=weight)
        b.g[j0:j1, k].sub_(tmp.sum(0), alpha=weight)


def _accumulate_pair(t: _Tiles, a: _Side, i0: int, i1: int, b: _Side, j0: int, j1: int, w: Tensor,
                     weight: float) -> None:
    """Add one tile's gradient terms to both sides."""
    if a.g is not None:
        _accumulate_exact(a, i0, i1, b, j0, j1, w, t._view(t.tmp, i1 - i0, j1 - j0), weight)
        return
    _accumulate(a, i0, i1, b.ptst[:, j0:j1], w, weight, cols=False)
    _accumulate(b, j0, j1, a.ptst[:, i0:i1], w, weight, cols=True)


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
            s, w = t.terms(a, i0, i1, b, j0, j1, diag=symmetric and j0 == i0)
            total += wt * s
            if w is not None:
                _accumulate_pair(t, a, i0, i1, b, j0, j1, w, wt)
    return total


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
    cxx, cyy, cxy = mmd_coefficients(n, m, estimator)
    shift = torch.cat([x, y]).mean(0)  # (D,) common centre: distances are unchanged
    a, b = _prepare(x, shift, spec, need_grad), _prepare(y, shift, spec, need_grad)
    addmm_energy = spec.kind == "energy" and x.shape[1] > SMALL_D
    scale2 = float(torch.cat([a.pts, b.pts]).pow(2).sum(1).max()) if addmm_energy else 1.0
    t = _Tiles(spec, min(tile, max(n, m)), x, need_grad, scale2)
    total = _pair_sum(t, a, None, cxx, tile) + _pair_sum(t, b, None, cyy, tile) + _pair_sum(t, a, b, cxy, tile)
    if estimator == "unbiased":
        total -= spec.k0 * (cxx * n + cyy * m)
    value = torch.tensor(total, dtype=x.dtype, device=x.device)
    if not need_grad:
        return value, None, None
    return value, a.grad().to(x.dtype), b.grad().to(y.dtype)


def mmd2_tiled(x: Tensor, y: Tensor, spec: KernelSpec, estimator: str, tile: int | None = None) -> Tensor:
    """Differentiable tiled MMD^2 (CPU); see module docstring."""
    if tile is not None and tile < 1:
        raise ValueError(f"tile must be a positive integer, got {tile}")
    need_grad = torch.is_grad_enabled() and (x.requires_grad or y.requires_grad)
    return PrecomputedGradMMD2.apply(mmd2_tiled_raw, x, y, spec, estimator, tile, need_grad)
