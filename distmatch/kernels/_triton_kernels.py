"""Triton kernels (imported lazily by triton_mmd / triton_sinkhorn; requires triton).

``triton.jit`` decides at *decoration* time whether to build a compiled or an interpreted
(``TRITON_INTERPRET=1``) kernel, so :func:`distmatch.kernels.triton_mmd.kernels` re-imports this
module whenever that flag changes.  One program handles BLOCK_N rows of A and streams over all of B
in BLOCK_M chunks.  Up to SMALL_D coordinates squared distances use exact coordinate differences: no
cancellation, d^2 >= 0 without a clamp, and d^2 = 0 exactly on the diagonal when A is B; so do MMD
gradients.  Above SMALL_D, distances and gradients come from ``tl.dot`` (IEEE float32), clamped and
with an exact-zero diagonal, as on the CPU.
"""

import triton
import triton.language as tl


@triton.jit
def _sq_dist(A, B, rows, cols, rmask, cmask, acc, D: tl.constexpr):
    """acc + ||a_i - b_j||^2 for a BLOCK_N x BLOCK_M block."""
    for k in tl.static_range(D):
        ak = tl.load(A + rows * D + k, mask=rmask, other=0.0)
        bk = tl.load(B + cols * D + k, mask=cmask, other=0.0)
        diff = ak[:, None] - bk[None, :]
        acc += diff * diff
    return acc


@triton.jit
def _weighted_diffs(A, B, rows, cols, rmask, cmask, w, dcol, acc, D: tl.constexpr):
    """acc + sum_j w_ij (a_i - b_j) for a BLOCK_N x BLOCK_D block (column k holds coordinate k)."""
    for k in tl.static_range(D):
        ak = tl.load(A + rows * D + k, mask=rmask, other=0.0)
        bk = tl.load(B + cols * D + k, mask=cmask, other=0.0)
        gk = tl.sum(w * (ak[:, None] - bk[None, :]), 1)
        acc += tl.where(dcol[None, :] == k, gk[:, None], 0.0)
    return acc


@triton.jit
def mmd_rows_kernel(A, B, PAR, KSUM, WSUM, G, n, m,
                    D: tl.constexpr, BLOCK_D: tl.constexpr, NB: tl.constexpr, KIND: tl.constexpr,
                    GRAD: tl.constexpr, EXACT: tl.constexpr, SAME: tl.constexpr,
                    BLOCK_N: tl.constexpr, BLOCK_M: tl.constexpr):
    """Per row i of A: KSUM_i = sum_j k(a_i, b_j) and, if GRAD, the gradient sums: with EXACT
    G_i = sum_j W_ij (a_i - b_j) = -dKSUM_i/da_i from exact differences (D unrolled twice: small D);
    otherwise WSUM_i = sum_j W_ij and G_i = sum_j W_ij b_j by ``tl.dot``.

    Squared distances: EXACT from coordinate differences; otherwise |a|^2 + |b|^2 - 2 a.b by ``tl.dot``
    (IEEE float32, no TF32), clamped at 0 and exactly 0 on the diagonal when SAME (B is A), as the
    CPU backends do above 8 coordinates (a D-fold loop of strided loads was 1.5x slower than naive
    torch at D = 64 on an H200).

    KIND 0 gaussian: PAR = [hi]*NB + [1/s^2]*NB + [lo ln 2]*NB with hi + lo = -log2(e)/(2 s^2), hi in the
    dtype: exp2(d2 hi) (1 + d2 lo ln 2) leaves no bias from rounding the constant;  1 imq: PAR = [c]*NB;
    2 energy.  Row sums (KSUM, WSUM, G) accumulate in float64 across column blocks.
    """
    pid = tl.program_id(0)
    rows = pid * BLOCK_N + tl.arange(0, BLOCK_N)
    rmask = rows < n
    dcol = tl.arange(0, BLOCK_D)
    dt = A.dtype.element_ty
    acc_k = tl.zeros((BLOCK_N,), dtype=tl.float64)
    acc_w = tl.zeros((BLOCK_N,), dtype=tl.float64)
    acc_g = tl.zeros((BLOCK_N, BLOCK_D), dtype=tl.float64)
    dmask = dcol[None, :] < D
    if not EXACT:
        at = tl.load(A + rows[:, None] * D + dcol[None, :], mask=rmask[:, None] & dmask, other=0.0)
        an = tl.sum(at * at, 1)
    for start in range(0, m, BLOCK_M):
        cols = start + tl.arange(0, BLOCK_M)
        cmask = cols < m
        if EXACT:
            d2 = _sq_dist(A, B, rows, cols, rmask, cmask, tl.zeros((BLOCK_N, BLOCK_M), dtype=dt), D)
        else:
            bt = tl.load(B + cols[:, None] * D + dcol[None, :], mask=cmask[:, None] & dmask, other=0.0)
            ab = tl.dot(at, tl.trans(bt), input_precision="ieee")
            d2 = tl.maximum(an[:, None] + tl.sum(bt * bt, 1)[None, :] - 2.0 * ab, 0.0)
            if SAME:
                d2 = tl.where(rows[:, None] == cols[None, :], 0.0, d2)
        kv = tl.zeros((BLOCK_N, BLOCK_M), dtype=dt)
        wv = tl.zeros((BLOCK_N, BLOCK_M), dtype=dt)
        if KIND == 0:
            for q in tl.static_range(NB):
                e = tl.exp2(d2 * tl.load(PAR + q)) * (1.0 + d2 * tl.load(PAR + 2 * NB + q))
                kv += e
                wv += e * tl.load(PAR + NB + q)
        elif KIND == 1:
            for q in tl.static_range(NB):
                c = tl.load(PAR + q)
                e = c / (c + d2)
                kv += e
                wv += e * e * (2.0 / c)
        else:
            dist = tl.sqrt(d2)
            kv = -dist
            wv = tl.where(d2 > 0.0, 1.0 / tl.where(d2 > 0.0, dist, 1.0), 0.0)
        valid = rmask[:, None] & cmask[None, :]
        kv = tl.where(valid, kv, 0.0)
        acc_k += tl.sum(kv, 1).to(tl.float64)
        if GRAD:
            wv = tl.where(valid, wv, 0.0)
            if EXACT:
                acc_g = _weighted_diffs(A, B, rows, cols, rmask, cmask, wv, dcol, acc_g, D)
            else:  # coincident points carry no gradient: keep their (large) weight out of a_i R_i - (W B)_i
                wv = tl.where(d2 > 0.0, wv, 0.0)
                acc_w += tl.sum(wv, 1).to(tl.float64)
                acc_g += tl.dot(wv, bt, input_precision="ieee").to(tl.float64)
    tl.store(KSUM + rows, acc_k, mask=rmask)
    if GRAD:
        tl.store(G + rows[:, None] * D + dcol[None, :], acc_g, mask=rmask[:, None] & (dcol[None, :] < D))
        if not EXACT:
            tl.store(WSUM + rows, acc_w, mask=rmask)


@triton.jit
def softmin_rows_kernel(R, C, H2, F, G, n, m, k2, eps_ln2,
                        D: tl.constexpr, BLOCK_D: tl.constexpr, P: tl.constexpr, GRAD: tl.constexpr,
                        BLOCK_N: tl.constexpr, BLOCK_M: tl.constexpr):
    """F_i = -eps log sum_j exp(h_j - C(r_i, c_j)/eps) with an online (max, sum) over column blocks.

    H2 = log2(e) h, k2 = log2(e)/eps, eps_ln2 = eps ln 2.  If GRAD: G_i = sum_j P_ij d1C(r_i, c_j).
    C = d^2/2 (P=2) or sqrt(max(d^2, 1e-8)) (P=1, where d1C = 0 for the clamped pairs d^2 <= 1e-8).
    """
    pid = tl.program_id(0)
    rows = pid * BLOCK_N + tl.arange(0, BLOCK_N)
    rmask = rows < n
    dcol = tl.arange(0, BLOCK_D)
    dt = R.dtype.element_ty
    mx = tl.full((BLOCK_N,), float("-inf"), dtype=dt)
    s = tl.zeros((BLOCK_N,), dtype=dt)
    u = tl.zeros((BLOCK_N,), dtype=dt)
    v = tl.zeros((BLOCK_N, BLOCK_D), dtype=dt)
    for start in range(0, m, BLOCK_M):
        cols = start + tl.arange(0, BLOCK_M)
        cmask = cols < m
        d2 = _sq_dist(R, C, rows, cols, rmask, cmask, tl.zeros((BLOCK_N, BLOCK_M), dtype=dt), D)
        if P == 2:
            cost = d2 * 0.5
        else:
            cost = tl.sqrt(tl.maximum(d2, 1e-8))
        h = tl.load(H2 + cols, mask=cmask, other=0.0)
        z = tl.where(cmask[None, :], h[None, :] - cost * k2, float("-inf"))
        new = tl.maximum(mx, tl.max(z, 1))
        decay = tl.exp2(mx - new)
        e = tl.exp2(z - new[:, None])
        s = s * decay + tl.sum(e, 1)
        if GRAD:
            if P == 2:
                q = e
            else:
                q = tl.where(d2 > 1e-8, e / cost, 0.0)
            u = u * decay + tl.sum(q, 1)
            ct = tl.load(C + cols[:, None] * D + dcol[None, :], mask=cmask[:, None] & (dcol[None, :] < D), other=0.0)
            v = v * decay[:, None] + tl.dot(q, ct, input_precision="ieee")
        mx = new
    f = -eps_ln2 * (mx + tl.log2(s))
    tl.store(F + rows, f, mask=rmask)
    if GRAD:
        rt = tl.load(R + rows[:, None] * D + dcol[None, :], mask=rmask[:, None] & (dcol[None, :] < D), other=0.0)
        g = (rt * u[:, None] - v) / s[:, None]
        tl.store(G + rows[:, None] * D + dcol[None, :], g, mask=rmask[:, None] & (dcol[None, :] < D))
