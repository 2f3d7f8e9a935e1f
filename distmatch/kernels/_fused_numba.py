"""Numba kernels behind :mod:`distmatch.kernels.fused_cpu` (imported lazily; needs numba).

Each kernel is one worker: a thread calls it with its id and the thread count, and it processes the
row blocks ``tid, tid + nthreads, ...`` (a fixed assignment, so results do not depend on timing).
Per row and column chunk (``C`` columns, in L1) a few vectorised passes run over the chunk while it is
in cache: squared distances from exact coordinate differences, the kernel values of every bandwidth
with the gradient weights, then the weighted differences, accumulated into the row and into a chunk
buffer of column sums.  Sums run in the input dtype over at most one chunk, then in float64.

``vexp2`` is 2^x for x <= 0 by a minimax polynomial on [-1/2, 1/2] and an exponent built from bits:
float32 error <= 2e-9 relative before rounding (float64: Taylor degree 13, ~1 ulp), exactly 0 below
2^-126.5 (2^-1022.5), vectorisable, unlike the libm call that ``math.exp2`` lowers to.
"""

from __future__ import annotations

import os
import sys


def _prefer_512_bit_vectors() -> str | None:
    """Let LLVM vectorise with 512-bit registers on AVX-512 hosts; returns the feature string set.

    LLVM's tuning for most Intel AVX-512 cores prefers 256-bit vectors, so numba's loops stayed on
    ymm registers; with zmm the fused MMD pass runs ~1.25x faster per core here (benchmarks/results/
    kernels_headline.md).  It is a tuning flag, not a numerics one, and it is only set when numba has
    not been imported yet and the user set no ``NUMBA_CPU_FEATURES`` (numba reads it at import, for
    the whole process); ``DISTMATCH_NUMBA_512=0`` keeps LLVM's choice.
    """
    if "numba" in sys.modules or "NUMBA_CPU_FEATURES" in os.environ or os.environ.get("DISTMATCH_NUMBA_512") == "0":
        return None
    try:
        import llvmlite.binding as llvm

        features = llvm.get_host_cpu_features().flatten()
    except Exception:  # no llvmlite, or a host it cannot query: numba's own default
        return None
    if "+avx512f" not in features.split(","):
        return None
    os.environ["NUMBA_CPU_FEATURES"] = features + ",-prefer-256-bit"
    return os.environ["NUMBA_CPU_FEATURES"]


VECTOR_FEATURES = _prefer_512_bit_vectors()

import numpy as np  # noqa: E402  (numba must come after the feature choice above)
from numba import njit, types  # noqa: E402
from numba.extending import overload  # noqa: E402

# no 'nnan'/'ninf'/'afn': the energy kernel relies on a select around 1/0, exp2 on exact constants
FASTMATH = {"contract", "reassoc", "nsz", "arcp"}
OPTS = dict(nogil=True, fastmath=FASTMATH, error_model="numpy", boundscheck=False)


def jit(inline: str = "never"):
    """``numba.njit(cache=True)``, or without the on-disk cache when no cache directory is writable
    (numba refuses ``cache=True`` at decoration time then: read-only install and home directory)."""
    def deco(fn):
        try:
            return njit(inline=inline, cache=True, **OPTS)(fn)
        except RuntimeError as exc:
            if "cannot cache" not in str(exc):
                raise
            return njit(inline=inline, cache=False, **OPTS)(fn)
    return deco

GAUSS_LADDER, GAUSS_MULTI, IMQ, ENERGY = 0, 1, 2, 3
_P32 = (1.0000000005920207, 0.6931472056005101, 0.24022646608714093, 0.055503289975173495,
        0.009618519534345865, 0.0013399860363239487, 0.0001533757683471436)
_P64 = (1.0, 0.6931471805599453, 0.2402265069591007, 0.055504108664821576, 0.009618129107628477,
        0.0013333558146428441, 0.00015403530393381606, 1.5252733804059838e-05, 1.3215486790144305e-06,
        1.0178086009239696e-07, 7.054911620801121e-09, 4.44553827187081e-10, 2.5678435993488196e-11,
        1.3691488853904124e-12)


@jit("always")
def _exp2_f32(x):
    x = max(x, np.float32(-127.0))  # below -126.5 the exponent field is 0: exactly 0.0
    n = np.floor(x + np.float32(0.5))
    f = x - n
    p = np.float32(_P32[6])
    p = p * f + np.float32(_P32[5])
    p = p * f + np.float32(_P32[4])
    p = p * f + np.float32(_P32[3])
    p = p * f + np.float32(_P32[2])
    p = p * f + np.float32(_P32[1])
    p = p * f + np.float32(_P32[0])
    return p * np.int32((np.int32(n) + 127) << 23).view(np.float32)


@jit("always")
def _exp2_f64(x):
    x = max(x, -1023.0)
    n = np.floor(x + 0.5)
    f = x - n
    p = ((((_P64[13] * f + _P64[12]) * f + _P64[11]) * f + _P64[10]) * f + _P64[9]) * f + _P64[8]
    p = ((((p * f + _P64[7]) * f + _P64[6]) * f + _P64[5]) * f + _P64[4]) * f + _P64[3]
    p = ((p * f + _P64[2]) * f + _P64[1]) * f + _P64[0]
    return p * np.int64((np.int64(n) + 1023) << 52).view(np.float64)


def vexp2(x):  # pragma: no cover - replaced by the overload inside numba
    raise NotImplementedError


@overload(vexp2, inline="always")
def _vexp2_overload(x):
    if x == types.float32:
        return lambda x: _exp2_f32(x)
    return lambda x: _exp2_f64(x)


def cast(like, v):  # pragma: no cover - replaced by the overload inside numba
    raise NotImplementedError


@overload(cast, inline="always")
def _cast_overload(like, v):
    """``v`` converted to the type of the scalar ``like`` (float literals are float64 in numba)."""
    if like == types.float32:
        return lambda like, v: np.float32(v)
    return lambda like, v: np.float64(v)


def sqrt_tiny(like):  # pragma: no cover - replaced by the overload inside numba
    raise NotImplementedError


@overload(sqrt_tiny, inline="always")
def _sqrt_tiny_overload(like):
    """sqrt of the smallest normal number of ``like``'s type (2^-63, 2^-511).  Squaring anything
    smaller gives a subnormal, and subnormal arithmetic runs ~10x slower on x86 (microcode assists):
    late in training, ladder squarings of far-apart pairs made whole quick-start steps 40 % slower.
    Such terms are < 2^-126 (2^-1022) each, far below an ulp of any kernel sum, so they become 0."""
    if like == types.float32:
        return lambda like: np.float32(2.0**-63)
    return lambda like: np.float64(2.0**-511)


# --------------------------------------------------------------------------- shared passes
@jit("always")
def _sqdist(rt, i, ct, j0, m, d2):
    """d2[:m] = ||r_i - c_j||^2 for j in j0:j0+m, from exact coordinate differences."""
    a = rt[0, i]
    cr = ct[0, j0:j0 + m]
    for j in range(m):
        t = a - cr[j]
        d2[j] = t * t
    for k in range(1, rt.shape[0]):
        a = rt[k, i]
        cr = ct[k, j0:j0 + m]
        for j in range(m):
            t = a - cr[j]
            d2[j] += t * t


@jit("always")
def _exp_pass(d2, m, ch, cl, w, grad, wv, yv):
    """yv = 2^(d2 (hi + lo)) with hi = ch, lo = cl / ln 2; wv = w yv (grad); returns the chunk sum.

    Simple loops with at most one loop-invariant branch vectorise; fusing several levels with
    selects measured slower here (LLVM gave up on the wider loop bodies)."""
    one = cast(ch, 1.0)
    ks = cast(ch, 0.0)
    for j in range(m):
        y = vexp2(d2[j] * ch) * (d2[j] * cl + one)
        yv[j] = y
        ks += y
        if grad:
            wv[j] = w * y
    return ks


@jit("always")
def _kernel_pass(kind, d2, m, par, steps, grad, wv, yv):
    """Sum over the chunk of the summed kernel; with ``grad`` also W (wv) with dk/da = -W (a - b).

    par rows: 0 the exponent (or imq) constants, 1 the gradient weights, 2 ladder restart
    multipliers, 3 the low parts of row 0 times ln 2.  2^(d^2 (hi + lo)) is evaluated as
    2^(d^2 hi) (1 + ln2 lo d^2) (exact to second order; a sum hi + lo would be reassociated away), so
    rounding the constant to float32 leaves no bias, which would not cancel in MMD^2.
    Ladder: steps[s] >= 1 squarings from bandwidth s-1 to s, or -1: a fresh exp2 of par[2, s] times
    the exponent of bandwidth 0.  Each level sums its chunk in the input dtype and adds that to a
    float64 total: one float32 sum over all levels lost up to 1e-5 of a cancelling float32 MMD^2
    with 7 levels, and a float64 sum per element halved the speed.
    """
    zero = cast(par[0, 0], 0.0)
    one = cast(zero, 1.0)
    ks = 0.0  # float64 over levels; each level's own chunk sum is in the input dtype
    nb = par.shape[1]
    if kind == GAUSS_LADDER:
        ks = np.float64(_exp_pass(d2, m, par[0, 0], par[3, 0], par[1, 0], grad, wv, yv))
        for s in range(1, nb):
            ws = par[1, s]
            if steps[s] < 0:  # restart: 2^(mult d2 (hi + lo)), mult a power of 2
                ch, cl = par[0, 0] * par[2, s], par[3, 0] * par[2, s]
                kl = zero
                for j in range(m):
                    y = vexp2(d2[j] * ch) * (d2[j] * cl + one)
                    yv[j] = y
                    kl += y
                    if grad:
                        wv[j] += y * ws
                ks += np.float64(kl)
                continue
            tiny = sqrt_tiny(zero)  # below it a square is subnormal: 0 instead (see sqrt_tiny)
            for _ in range(steps[s] - 1):
                for j in range(m):
                    t = yv[j] if yv[j] >= tiny else zero
                    yv[j] = t * t
            kl = zero
            for j in range(m):
                t = yv[j] if yv[j] >= tiny else zero
                y = t * t
                yv[j] = y
                kl += y
                if grad:
                    wv[j] += y * ws
            ks += np.float64(kl)
    elif kind == GAUSS_MULTI:
        for j in range(m):
            wv[j] = zero  # cheap; keeps the grad-free loops below free of a second branch
        for s in range(nb):
            cs, ws = par[0, s], par[1, s]
            cl = par[3, s]
            kl = zero
            for j in range(m):
                y = vexp2(d2[j] * cs) * (d2[j] * cl + one)
                kl += y
                if grad:
                    wv[j] += y * ws
            ks += np.float64(kl)
    elif kind == IMQ:
        for j in range(m):
            wv[j] = zero
        for s in range(nb):
            cs, ws = par[0, s], par[1, s]
            kl = zero
            for j in range(m):
                y = cs / (cs + d2[j])
                kl += y
                wv[j] += ws * y * y
            ks += np.float64(kl)
    else:  # energy: k = -d, W = 1/d (0 for coincident points)
        kl = zero
        for j in range(m):
            d = np.sqrt(d2[j])
            kl -= d
            wv[j] = one / d if d2[j] > zero else zero
        ks = np.float64(kl)
    return ks


@jit("always")
def _grad_pass(rt, i, ct, j0, m, wv, cb, off, g):
    """g[k] = sum_j W_j (r_ki - c_kj);  cb[k, off + j] += the same terms."""
    for k in range(rt.shape[0]):
        a = rt[k, i]
        cr = ct[k, j0:j0 + m]
        cbk = cb[k, off:off + m]
        gk = cast(wv[0], 0.0)
        for j in range(m):
            t = wv[j] * (a - cr[j])
            gk += t
            cbk[j] += t
        g[k] = gk


# --------------------------------------------------------------------------- MMD^2
@jit()
def mmd_worker(z, n, kind, par, steps, wxx, wyy, wxy, grad, tid, nthreads, block, chunk,
               rowacc, colacc, vals, buf):
    """One thread's share of sum_{i<j} w_ij k(z_i, z_j) over z = [x; y] (columns of z: (D, P)).

    Pair weights: wxx (both in x, i.e. < n), wyy (both in y), wxy (one each).  Row blocks of ``block``
    rows never straddle n; task t covers rows of block t against all columns j > i.  Writes vals[t]
    (float64 weighted kernel sum) and, with ``grad``, rowacc[i, k] += sum_j w_ij W_ij (z_ki - z_kj)
    (rows of this task) and colacc[tid, k, j] += the same terms for the columns.
    buf: (3 + D, chunk) work rows of z's dtype.
    """
    d, p = z.shape
    nbx = (n + block - 1) // block
    ntask = nbx + (p - n + block - 1) // block
    d2, wv, yv = buf[0], buf[1], buf[2]
    cb = buf[3:3 + d]
    g = np.empty(d, dtype=z.dtype)
    for t in range(tid, ntask, nthreads):
        in_x = t < nbx
        r0 = t * block if in_x else n + (t - nbx) * block
        r1 = min(r0 + block, n if in_x else p)
        val = 0.0
        for seg in range(2 if in_x else 1):
            s0, s1, w = (r0, n, wxx) if (in_x and seg == 0) else ((n, p, wxy) if in_x else (r0, p, wyy))
            for c0 in range(s0, s1, chunk):
                c1 = min(c0 + chunk, s1)
                if grad:
                    cb[:, : c1 - c0] = 0
                for i in range(r0, r1):
                    j0 = max(c0, i + 1)
                    if j0 >= c1:
                        continue
                    m = c1 - j0
                    _sqdist(z, i, z, j0, m, d2)
                    val += w * _kernel_pass(kind, d2, m, par, steps, grad, wv, yv)
                    if grad:
                        _grad_pass(z, i, z, j0, m, wv, cb, j0 - c0, g)
                        for k in range(d):
                            rowacc[i, k] += w * g[k]
                if grad:
                    for k in range(d):
                        for j in range(c1 - c0):
                            colacc[tid, k, c0 + j] += w * cb[k, j]
        vals[t] = val


# --------------------------------------------------------------------------- Sinkhorn softmin
@jit()
def softmin_worker(rt, ct, h2, k2, p, grad, tid, nthreads, block, chunk, mx_out, s_out, gacc, buf):
    """Online base-2 log-sum-exp over columns for rows ``block``-blocks tid, tid + nthreads, ...

    z_ij = h2_j - k2 C_ij with C = d^2 / 2 (p = 2) or sqrt(max(d^2, 1e-8)) (p = 1), d^2 from exact
    differences.  Writes mx_out[i] (running max) and s_out[i] = sum_j 2^(z_ij - mx_i); with ``grad``
    gacc[i, k] = sum_j 2^(z_ij - mx_i) d1C_ij,k with d1C = r_i - c_j (p = 2), (r_i - c_j) / C_ij
    (p = 1, 0 where d^2 <= 1e-8).  buf: (4, chunk) work rows of the dtype.
    """
    d, n = rt.shape
    mcols = ct.shape[1]
    d2, zv, ev, qv = buf[0], buf[1], buf[2], buf[3]
    zero = cast(h2[0], 0.0)
    tiny = cast(zero, 1e-8)
    kh = cast(zero, 0.5 * k2)
    kc = cast(zero, k2)
    ninf = cast(zero, -np.inf)
    ntask = (n + block - 1) // block
    g = np.empty(d, dtype=np.float64)
    for t in range(tid, ntask, nthreads):
        for i in range(t * block, min(t * block + block, n)):
            mx = -np.inf
            s = 0.0
            g[:] = 0.0
            for c0 in range(0, mcols, chunk):
                m = min(chunk, mcols - c0)
                _sqdist(rt, i, ct, c0, m, d2)
                hc = h2[c0:c0 + m]
                cmax = ninf
                if p == 2:
                    for j in range(m):
                        zj = hc[j] - kh * d2[j]
                        zv[j] = zj
                        cmax = max(cmax, zj)
                else:
                    for j in range(m):
                        cj = np.sqrt(max(d2[j], tiny))
                        ev[j] = cj
                        zj = hc[j] - kc * cj
                        zv[j] = zj
                        cmax = max(cmax, zj)
                new = max(mx, np.float64(cmax))
                decay = _exp2_f64(mx - new) if mx > -np.inf else 0.0
                newc = cast(zero, new)
                part = zero
                if not grad:
                    for j in range(m):
                        part += vexp2(zv[j] - newc)
                else:
                    if p == 2:
                        for j in range(m):
                            e = vexp2(zv[j] - newc)
                            part += e
                            qv[j] = e
                    else:
                        for j in range(m):
                            e = vexp2(zv[j] - newc)
                            part += e
                            qv[j] = e / ev[j] if d2[j] > tiny else zero
                    for k in range(d):
                        a = rt[k, i]
                        cr = ct[k, c0:c0 + m]
                        gk = zero
                        for j in range(m):
                            gk += qv[j] * (a - cr[j])
                        g[k] = g[k] * decay + gk
                s = s * decay + part
                mx = new
            mx_out[i] = mx
            s_out[i] = s
            if grad:
                for k in range(d):
                    gacc[i, k] = g[k]
