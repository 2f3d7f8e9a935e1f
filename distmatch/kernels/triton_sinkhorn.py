"""Triton softmin for the Sinkhorn solver (GPU; CPU tensors under ``TRITON_INTERPRET=1``).

:func:`softmin_triton` has the same contract as :func:`softmin.softmin_tiled`, so the eps-scaling
loop in :mod:`distmatch.kernels.sinkhorn` is shared; only the log-sum-exp reduction runs in
:func:`_triton_kernels.softmin_rows_kernel` (online max/sum over column blocks, one program per
row block, plus the envelope gradient G_i = sum_j P_ij d1C(r_i, c_j) when asked).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ._common import LOG2E
from .triton_mmd import BLOCK_N, check_device, kernels


def softmin_triton(eps: float, rows, cols, h: Tensor, p: int, block: int | None = None,
                   grad: bool = False) -> tuple[Tensor, Tensor | None]:
    """f_i = -eps log sum_j exp(h_j - C(r_i, c_j)/eps): rows/cols are ``softmin.Cloud``, h: (M,).

    Returns f: (N,) Tensor and G: (N, D) Tensor or None.
    """
    k = kernels()
    check_device(h)
    r, c = rows.pts.contiguous(), cols.pts.contiguous()  # (N, D), (M, D)
    n, d = r.shape
    f = torch.empty(n, dtype=r.dtype, device=r.device)
    g = torch.empty((n, d) if grad else (1, d), dtype=r.dtype, device=r.device)
    h2 = (h * LOG2E).contiguous()  # (M,)
    bn = block or BLOCK_N
    block_d = max(16, 1 << (d - 1).bit_length())
    k.softmin_rows_kernel[(math.ceil(n / bn),)](
        r, c, h2, f, g, n, c.shape[0], LOG2E / eps, eps * math.log(2.0),
        D=d, BLOCK_D=block_d, P=p, GRAD=grad, BLOCK_N=bn, BLOCK_M=bn)
    return f, (g if grad else None)
