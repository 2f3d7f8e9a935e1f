"""The numba kernels' building blocks (distmatch.kernels._fused_numba): vexp2 against numpy, and the jit cache."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from numba import njit  # a dependency of distmatch

from distmatch.kernels import _fused_numba


@njit
def _vexp2_all(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = _fused_numba.vexp2(x[i])
    return out


@pytest.mark.parametrize("dtype,band", [(np.float32, 70.0), (np.float64, 520.0)], ids=["f32", "f64"])
def test_ladder_squarings_never_make_subnormals(dtype, band):
    """A kernel value in (2^-126, 2^-63) squares to a subnormal (slow on x86: it cost converged
    quick-start generators 25-35 % of the MMD time); the ladder sets it to 0 first. ``band`` puts
    k_0 = 2^-band inside that range (2^-1022 / 2^-511 for float64)."""
    tiny = np.finfo(dtype).tiny
    d2 = np.array([band, 10.0, 0.0], dtype=dtype)  # k_0 = 2^(-d2): in the band, normal, 1
    par = np.zeros((4, 2), dtype=dtype)
    par[0, 0], par[1, :] = -1.0, 1.0  # exponent constant (hi, lo = 0), unit gradient weights
    steps = np.array([0, 1], dtype=np.int64)  # bandwidth 1 = bandwidth 0 squared
    wv, yv = np.zeros(3, dtype=dtype), np.zeros(3, dtype=dtype)
    ks = _fused_numba._kernel_pass(_fused_numba.GAUSS_LADDER, d2, 3, par, steps, True, wv, yv)
    assert yv[0] == 0.0 and yv[1] == dtype(2.0**-20) and yv[2] == 1.0  # k_1: 0 instead of 2^-(2 band)
    assert not np.any((np.abs(wv) < tiny) & (wv != 0))
    assert ks == dtype(2.0**-band) + dtype(2.0**-10) + dtype(2.0**-20) + dtype(2.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_vexp2_is_within_two_ulp_of_numpy_and_keeps_the_dtype(dtype):
    x = np.linspace(-100.0, 0.0, 20001).astype(dtype)
    got = _vexp2_all(x)
    want = np.exp2(x.astype(np.float64))  # independent, in float64
    assert got.dtype == dtype  # the overload picked the polynomial of the input's precision
    rel = np.abs(got.astype(np.float64) - want) / want
    assert rel.max() <= 2 * np.finfo(dtype).eps


@pytest.mark.parametrize(("dtype", "top"), [(np.float32, 126), (np.float64, 1022)], ids=["f32", "f64"])
def test_vexp2_is_exact_at_integers_and_zero_below_the_smallest_normal(dtype, top):
    k = np.arange(top + 1)
    assert np.array_equal(_vexp2_all(-k.astype(dtype)), np.ldexp(dtype(1.0), -k))
    below = np.array([-top - 0.6, -top - 1.0, -2.0 * top, -1e30], dtype=dtype)
    assert np.all(_vexp2_all(below) == 0.0)


PROBE = """
import json
import numpy as np
from distmatch.kernels import _fused_numba as k
rt, ct = np.array([[0.0, 1.0, 3.0]]), np.array([[0.5, 2.0]])
mx, s, gacc, buf = np.empty(3), np.empty(3), np.empty((1, 1)), np.empty((4, 8))
k.softmin_worker(rt, ct, np.zeros(2), 1.0, 2, False, 0, 1, 64, 8, mx, s, gacc, buf)
st = k.softmin_worker.stats
print(json.dumps([sum(st.cache_hits.values()), sum(st.cache_misses.values()), list(mx + np.log2(s))]))
"""


def test_workers_compile_cache_and_reload(tmp_path):
    """A worker compiles once, its on-disk cache is found again by a fresh process, same numbers."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [json.loads(subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                                      check=True, timeout=300).stdout) for _ in range(2)]
    (hits0, misses0, f0), (hits1, misses1, f1) = runs
    assert (hits0, misses0) == (0, 1) and (hits1, misses1) == (1, 0)
    assert list(tmp_path.rglob("_fused_numba.softmin_worker-*.nbi"))
    d2 = (np.array([0.0, 1.0, 3.0])[:, None] - np.array([0.5, 2.0])[None, :]) ** 2
    want = np.log2(np.exp2(-d2 / 2).sum(1))  # log2 sum_j 2^(h2_j - k2 d^2 / 2), h2 = 0, k2 = 1
    np.testing.assert_allclose(f0, want, rtol=1e-14)
    assert f1 == f0


FEATURES_PROBE = """
import json, os, sys
{pre}
from distmatch.kernels import _fused_numba as k
import numba
print(json.dumps([k.VECTOR_FEATURES, numba.config.CPU_FEATURES]))
"""


def _features(pre: str = "", **env: str) -> tuple:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CPU_FEATURES", "DISTMATCH_NUMBA_512")} | env
    out = subprocess.run([sys.executable, "-c", FEATURES_PROBE.format(pre=pre)], env=env, capture_output=True,
                         text=True, check=True, timeout=120).stdout
    return tuple(json.loads(out))


def test_512_bit_vectors_on_avx512_hosts_only_and_never_over_the_users_choice():
    """On an AVX-512 host the kernels ask LLVM for 512-bit vectors (the host's features plus
    -prefer-256-bit); elsewhere, with NUMBA_CPU_FEATURES already set, numba already imported or
    DISTMATCH_NUMBA_512=0, numba's own setting stays."""
    import llvmlite.binding as llvm

    host = llvm.get_host_cpu_features().flatten()
    chosen, numba_sees = _features()
    if "+avx512f" in host.split(","):
        assert chosen == numba_sees == host + ",-prefer-256-bit"
    else:
        assert chosen is None
    assert _features(NUMBA_CPU_FEATURES=host) == (None, host)
    assert _features(DISTMATCH_NUMBA_512="0")[0] is None
    assert _features(pre="import numba")[0] is None
