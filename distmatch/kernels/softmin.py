"""The softmin of the Sinkhorn solver: the point clouds it runs on and its torch tiled form (CPU).

Every backend computes the same softmin with the same contract as :func:`softmin_tiled` here, on
:class:`Cloud` rows and columns: this torch version, :func:`.fused_cpu.softmin_fused` (numba) and
:func:`.triton_sinkhorn.softmin_triton`; :mod:`distmatch.kernels.sinkhorn` runs the eps-scaling loop
around whichever it is given.  Here the online log-sum-exp runs over ``tile`` x ``tile`` blocks of
base-2 logits, so no N x M matrix is held.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ._common import LOG2E, SMALL_D, fill_inner, fill_sqdist, sq_norms

P1_MIN_D2 = 1e-8  # GeomLoss' distances() = sqrt(clamp_min(d^2, 1e-8))


def p1_threshold(dtype: torch.dtype) -> float:
    """p = 1 costs above this count as unclamped (d^2 > P1_MIN_D2) and get a gradient.

    sqrt(P1_MIN_D2) plus 8 ulp of ``dtype``: the clamped cost sqrt(P1_MIN_D2) computed in float32
    can round above 1e-4 itself.  Pairs with d^2 less than 16 ulp above P1_MIN_D2 count as clamped.
    """
    return math.sqrt(P1_MIN_D2) * (1.0 + 8.0 * torch.finfo(dtype).eps)


@dataclass
class Cloud:
    """A uniformly weighted point cloud prepared for softmins."""

    pts: Tensor  # (N, D) centred points
    ptst: Tensor  # (D, N) transposed copy (contiguous coordinate rows)
    sq: Tensor  # (N,) squared norms
    logw: float  # log(1/N)
    w: float  # 1/N


def make_cloud(p: Tensor, shift: Tensor) -> Cloud:
    """The cloud of points p: (N, D) Tensor, centred by shift: (D,) Tensor."""
    pts = p - shift  # (N, D)
    n = p.shape[0]
    return Cloud(pts, pts.T.contiguous(), sq_norms(pts), -math.log(n), 1.0 / n)


def _logits(z: Tensor, rows: Cloud, cols: Cloud, i0: int, i1: int, j0: int, j1: int,
            h2: Tensor, eps: float, p: int, cbuf: Tensor | None, tmp: Tensor | None) -> None:
    """Fill z with base-2 logits (up to a per-row constant for p = 2): (n, m) Tensor.

    p = 2:  z_ij = log2(e) (h_j - |c_j|^2 / (2 eps) + r_i.c_j / eps)   (row term -|r_i|^2/(2 eps) dropped)
    p = 1:  z_ij = log2(e) (h_j - C_ij / eps),  C = sqrt(max(d^2, 1e-8)), copied into cbuf for gradients;
            d^2 from exact coordinate differences (work buffer ``tmp``) for small D.
    """
    if p == 2:
        fill_inner(z, rows.ptst[:, i0:i1] * (LOG2E / eps), cols.ptst[:, j0:j1], None, h2[j0:j1])
        return
    if tmp is not None:
        fill_sqdist(z, rows.ptst[:, i0:i1], cols.ptst[:, j0:j1], tmp)
    else:
        fill_inner(z, rows.ptst[:, i0:i1] * -2.0, cols.ptst[:, j0:j1], rows.sq[i0:i1], cols.sq[j0:j1])
    z.clamp_min_(P1_MIN_D2).sqrt_()  # (n, m) C
    if cbuf is not None:
        cbuf.copy_(z)
    z.mul_(-LOG2E / eps).add_(h2[j0:j1][None, :])


def softmin_tiled(eps: float, rows: Cloud, cols: Cloud, h: Tensor, p: int, tile: int,
                  grad: bool = False) -> tuple[Tensor, Tensor | None]:
    """f_i = -eps log sum_j exp(h_j - C(r_i, c_j) / eps), by online log-sum-exp over tiles.

    h: (M,) Tensor.  Returns f: (N,) Tensor and, if ``grad``, G: (N, D) Tensor with
    G_i = sum_j P_ij d/dr_i C(r_i, c_j), P_ij the softmax over j of the same logits.
    """
    n, m = rows.pts.shape[0], cols.pts.shape[0]
    h2 = LOG2E * (h - cols.sq / (2.0 * eps)) if p == 2 else LOG2E * h  # (M,)
    f = torch.empty(n, dtype=h.dtype, device=h.device)
    g = torch.empty_like(rows.pts) if grad else None
    buf = torch.empty(min(tile, n) * min(tile, m), dtype=h.dtype, device=h.device)
    cb = torch.empty_like(buf) if (grad and p == 1) else None
    tmp = torch.empty_like(buf) if (p == 1 and rows.pts.shape[1] <= SMALL_D) else None
    for i0 in range(0, n, tile):
        i1 = min(i0 + tile, n)
        f[i0:i1], gi = _softmin_rows((buf, cb, tmp), rows, cols, i0, i1, h2, eps, p, tile, grad)
        if grad:
            g[i0:i1] = gi
    if p == 2:
        f.add_(rows.sq / 2.0)  # restore the dropped row term: -eps * (-|r|^2 / (2 eps))
    return f, g


def _softmin_rows(bufs, rows, cols, i0, i1, h2, eps, p, tile, grad):
    """Online (max, sum[, weighted sums]) over column tiles for rows i0:i1; bufs = (logits, cost, scratch)."""
    buf, cb, tmp = bufs
    n, m, d = i1 - i0, cols.pts.shape[0], rows.pts.shape[1]
    mx = torch.full((n,), -math.inf, dtype=h2.dtype, device=h2.device)  # running max (base 2)
    s = torch.zeros_like(mx)  # running sum of 2^(z - mx)
    u = torch.zeros_like(mx) if grad else None  # running sum of q (p=1: P / C)
    v = torch.zeros(n, d, dtype=h2.dtype, device=h2.device) if grad else None  # sum q c_j
    for j0 in range(0, m, tile):
        j1 = min(j0 + tile, m)
        z = buf[: n * (j1 - j0)].view(n, j1 - j0)  # (n, m_t)
        c = None if cb is None else cb[: z.numel()].view_as(z)
        scratch = None if tmp is None else tmp[: z.numel()].view_as(z)
        _logits(z, rows, cols, i0, i1, j0, j1, h2, eps, p, c, scratch)
        new = torch.maximum(mx, z.max(1).values)  # (n,)
        decay = torch.exp2(mx - new)  # (n,)
        z.sub_(new[:, None]).exp2_()  # (n, m_t) unnormalised P
        s.mul_(decay).add_(z.sum(1))
        if grad:
            _grad_update(z, c, cols.ptst[:, j0:j1], decay, u, v, p)
        mx = new
    f = -eps * math.log(2.0) * (mx + torch.log2(s))  # (n,)
    if not grad:
        return f, None
    r = rows.pts[i0:i1]  # (n, D)
    if p == 2:
        return f, r - v / s[:, None]
    return f, (r * u[:, None] - v) / s[:, None]


def _grad_update(z: Tensor, c: Tensor | None, ct: Tensor, decay: Tensor, u: Tensor, v: Tensor, p: int) -> None:
    """u += sum_j q_ij, v += sum_j q_ij c_j with q = P (p=2) or P / C (p=1, 0 where clamped)."""
    if p == 1:
        q = torch.where(c > p1_threshold(c.dtype), z / c, torch.zeros_like(z))  # (n, m_t)
    else:
        q = z
    v.mul_(decay[:, None])
    for k in range(ct.shape[0]):
        v[:, k].add_(torch.mv(q, ct[k]))
    u.mul_(decay).add_(q.sum(1))
