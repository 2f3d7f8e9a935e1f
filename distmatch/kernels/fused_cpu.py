"""Fused CPU kernels (numba): MMD^2 with its gradient, and the Sinkhorn softmin, one pass per tile.

Where :mod:`tiled_mmd` issues ~10 torch ops per tile, each its own parallel region, here one numba
function per thread does all of it while a column chunk is in L1 (see :mod:`_fused_numba`): a call
is one parallel region, ``torch.get_num_threads()`` threads that each take a fixed share of the row
blocks.  That keeps the result independent of timing (bit-for-bit deterministic for a thread count)
and a neighbouring process costs roughly its share of the cores, not a stall at every barrier.

MMD^2 treats z = [x; y] as one set and visits each unordered pair once: the weight of pair (i, j)
is 2 c_xx, 2 c_yy or c_xy by the halves i and j belong to, so S_xx, S_yy and S_xy cost
(N + M)(N + M - 1) / 2 kernel evaluations together.  Pair (i < j) adds -w W_ij (z_i - z_j) to the
gradient of z_i and the opposite to z_j; rows go to a shared accumulator (each row has one owner),
columns to one accumulator per thread, summed in a fixed order at the end.

If numba cannot be imported or a kernel cannot be compiled, :func:`load` warns once and returns
None; the callers then use today's torch tiled code.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from ._common import LOG2E, KernelSpec, mmd_coefficients

DEFAULT_BLOCK = 64  # rows per task
DEFAULT_CHUNK = 512  # columns per L1-resident chunk
MAX_SQUARINGS = 6  # squarings in a row before a ladder restarts from a fresh exp2 (as tiled_mmd)

_LOCK = threading.Lock()
_STATE: dict = {"module": None, "error": None, "warned": False, "pool": None, "pool_size": 0}


class FusedUnavailable(RuntimeError):
    """The numba kernels could not be imported or compiled."""


def _import_kernels():
    from . import _fused_numba

    return _fused_numba


def load():
    """The compiled-kernel module, or None after a one-time warning when numba cannot load."""
    with _LOCK:
        if _STATE["module"] is None and _STATE["error"] is None:
            try:
                _STATE["module"] = _import_kernels()
            except Exception as exc:  # ImportError, numba/llvmlite load errors: all mean "no fast path"
                _STATE["error"] = exc
        if _STATE["error"] is not None:
            _warn_once(_STATE["error"])
            return None
        return _STATE["module"]


def available() -> bool:
    """True when the fused kernels can be used (warns once when they cannot)."""
    return load() is not None


def disable(exc: BaseException) -> None:
    """Record that a kernel failed to compile: every later call falls back (after one warning)."""
    with _LOCK:
        _STATE["module"], _STATE["error"] = None, exc
        _warn_once(exc)


def _warn_once(exc: BaseException) -> None:
    if not _STATE["warned"]:
        _STATE["warned"] = True
        warnings.warn(f"distmatch: fused CPU kernels unavailable ({type(exc).__name__}: {exc}); falling back to "
                      "the slower torch tiled kernels. Install numba (pip install numba) for the fast path.",
                      RuntimeWarning, stacklevel=4)


def _reset_after_fork() -> None:
    _STATE["pool"], _STATE["pool_size"] = None, 0  # the pool's threads do not exist in a forked child


os.register_at_fork(after_in_child=_reset_after_fork)


def run_threads(work: Callable[[int], None], nthreads: int) -> None:
    """Run work(0) here and work(1..nthreads-1) on pool threads (numba releases the GIL); wait for all."""
    if nthreads <= 1:
        work(0)
        return
    with _LOCK:
        if _STATE["pool"] is None or _STATE["pool_size"] < nthreads - 1:
            if _STATE["pool"] is not None:
                _STATE["pool"].shutdown(wait=False)
            _STATE["pool"] = ThreadPoolExecutor(nthreads - 1, thread_name_prefix="distmatch-fused")
            _STATE["pool_size"] = nthreads - 1
        pool = _STATE["pool"]
    futures = [pool.submit(work, t) for t in range(1, nthreads)]
    try:
        work(0)
    finally:
        for f in futures:
            f.result()


def aligned_empty(shape: tuple[int, ...], dtype, align: int = 64) -> np.ndarray:
    """np.empty(shape, dtype) whose data starts on an ``align``-byte boundary (a cache line).

    The kernels' work rows are read and written with 64-byte vectors on AVX-512 hosts; numpy only
    guarantees 16-byte alignment, and a buffer off the line boundary made every vector access
    straddle two lines (MMD 10k calls were 0.12 s or 0.15 s per core by where malloc put them)."""
    itemsize = np.dtype(dtype).itemsize
    count = int(np.prod(shape))
    raw = np.empty(count + align // itemsize, dtype=dtype)
    start = (-raw.ctypes.data % align) // itemsize
    return raw[start:start + count].reshape(shape)


def _threads(ntasks: int) -> int:
    return max(1, min(torch.get_num_threads(), ntasks))


# --------------------------------------------------------------------------- MMD^2
def kernel_params(spec: KernelSpec, dtype: np.dtype) -> tuple[int, np.ndarray, np.ndarray]:
    """(kind, par (4, nb), steps (nb,)) for ``mmd_worker``; see ``_fused_numba._kernel_pass``.

    Exponent constants are split into a part representable in ``dtype`` and the rest, so that
    d^2 * (hi + lo) carries no rounding bias of the constant (which would not cancel in MMD^2).
    """
    from . import _fused_numba as k  # constants only: numba is already importable here

    if spec.kind == "energy":
        return k.ENERGY, np.array([[0.0], [1.0], [0.0], [0.0]], dtype=dtype), np.zeros(1, np.int64)
    vals = np.array(spec.params, dtype=np.float64)
    nb = len(vals)
    steps = np.zeros(nb, np.int64)
    mult, zeros = np.ones(nb), np.zeros(nb)
    if spec.kind == "imq":
        return k.IMQ, np.stack([vals, 2.0 / vals, mult, zeros]).astype(dtype), steps
    expo, wts = -LOG2E / (2.0 * vals**2), 1.0 / vals**2
    hi = expo.astype(dtype)
    lo = ((expo - hi.astype(np.float64)) * math.log(2.0)).astype(dtype)
    par = np.stack([hi, wts.astype(dtype), mult.astype(dtype), lo])
    if not spec.ladder:
        return k.GAUSS_MULTI, par, steps
    since, level = 0, 0
    for s, n_sq in enumerate(spec.squarings, start=1):
        level += n_sq
        if since + n_sq > MAX_SQUARINGS:
            steps[s], par[2, s], since = -1, float(2**level), 0
        else:
            steps[s], since = n_sq, since + n_sq
    return k.GAUSS_LADDER, par, steps


def mmd2_fused_raw(x: Tensor, y: Tensor, spec: KernelSpec, estimator: str, tile: int | None,
                   need_grad: bool) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """MMD^2 value and (optionally) gradients, no autograd: x (N, D), y (M, D) detached CPU tensors.

    ``tile`` sets the rows per task and the columns per chunk (defaults 64 and 512).
    Raises :class:`FusedUnavailable` if the kernels cannot be loaded or compiled.
    """
    mod = load()
    if mod is None:
        raise FusedUnavailable("fused kernels unavailable")
    n, m = x.shape[0], y.shape[0]
    cxx, cyy, cxy = mmd_coefficients(n, m, estimator)
    z = torch.cat([x, y]).T.contiguous().numpy()  # (D, P) coordinate rows, uncentred: exact differences
    d, p = z.shape
    kind, par, steps = kernel_params(spec, z.dtype)
    block, chunk = min(tile or DEFAULT_BLOCK, DEFAULT_BLOCK), tile or DEFAULT_CHUNK
    ntasks = -(-n // block) + -(-m // block)
    nt = _threads(ntasks)
    rowacc = np.zeros((p, d)) if need_grad else np.zeros((1, d))
    colacc = np.zeros((nt, d, p)) if need_grad else np.zeros((nt, d, 1))
    vals = np.zeros(ntasks)
    bufs = aligned_empty((nt, 3 + d, chunk), z.dtype)  # rows stay aligned: chunk * itemsize % 64 == 0 by default


    def work(tid: int) -> None:
        mod.mmd_worker(z, n, kind, par, steps, 2.0 * cxx, 2.0 * cyy, cxy, need_grad, tid, nt, block, chunk,
                       rowacc, colacc, vals, bufs[tid])

    _call(work, nt)
    total = float(vals.sum())
    if estimator == "biased":
        total += spec.k0 * (cxx * n + cyy * m)  # i = j terms: k(z, z) = k0
    value = torch.tensor(total, dtype=x.dtype)
    if not need_grad:
        return value, None, None
    g = torch.from_numpy(colacc.sum(0).T - rowacc)  # (P, D) float64
    return value, g[:n].to(x.dtype), g[n:].to(y.dtype)


def _call(work: Callable[[int], None], nthreads: int) -> None:
    """Run the workers; a numba compile failure disables the fused path and raises FusedUnavailable."""
    from numba.core.errors import NumbaError

    try:
        run_threads(work, nthreads)
    except NumbaError as exc:
        disable(exc)
        raise FusedUnavailable(str(exc)) from exc


# --------------------------------------------------------------------------- Sinkhorn softmin
def softmin_fused(eps: float, rows, cols, h: Tensor, p: int, tile: int | None,
                  grad: bool = False) -> tuple[Tensor, Tensor | None]:
    """Same contract as :func:`softmin.softmin_tiled`: rows/cols are ``softmin.Cloud``, h: (M,).

    f_i = -eps log sum_j exp(h_j - C(r_i, c_j) / eps): (N,) Tensor; with ``grad`` also
    G_i = sum_j P_ij d/dr_i C(r_i, c_j): (N, D) Tensor.  Costs from exact coordinate differences.
    """
    mod = load()
    if mod is None:
        raise FusedUnavailable("fused kernels unavailable")
    rt, ct = rows.ptst.numpy(), cols.ptst.numpy()  # (D, N), (D, M)
    h2 = (h * LOG2E).contiguous().numpy()  # (M,)
    d, n = rt.shape
    block, chunk = min(tile or DEFAULT_BLOCK, DEFAULT_BLOCK), tile or DEFAULT_CHUNK
    nt = _threads(-(-n // block))
    mx, s = np.empty(n), np.empty(n)
    gacc = np.empty((n, d)) if grad else np.empty((1, d))
    bufs = aligned_empty((nt, 4, chunk), rt.dtype)

    def work(tid: int) -> None:
        mod.softmin_worker(rt, ct, h2, LOG2E / eps, p, grad, tid, nt, block, chunk, mx, s, gacc, bufs[tid])

    _call(work, nt)
    f = torch.from_numpy(-eps * math.log(2.0) * (mx + np.log2(s))).to(h.dtype)
    if not grad:
        return f, None
    return f, torch.from_numpy(gacc / s[:, None]).to(h.dtype)
