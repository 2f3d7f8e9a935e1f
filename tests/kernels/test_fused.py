"""Fused numba CPU kernels against independent float64 references; threads, fallback, cache."""

import warnings

import numpy as np
import pytest
import torch
from geomloss import SamplesLoss
from torch.testing import assert_close

from distmatch.kernels import fused_cpu, geometric_bandwidths, mmd2, sinkhorn
from distmatch.kernels._common import make_spec

pytestmark = pytest.mark.skipif(not fused_cpu.available(), reason="numba is not installed")

CASES = {  # kernel, bandwidths: every code path of the fused kernel pass
    "ladder3": ("gaussian", geometric_bandwidths(0.9, 3)),
    "octaves7": ("gaussian", [1.5 / 2**k for k in range(7)]),  # ratio-2 ladder with a restart
    "single": ("gaussian", [0.7]),
    "nonladder": ("gaussian", [0.3, 1.1, 2.5]),
    "imq": ("imq", [0.5, 2.0]),
    "energy": ("energy", None),
}


def _reference(x: torch.Tensor, y: torch.Tensor, kernel: str, bw, estimator: str) -> torch.Tensor:
    """float64 MMD^2 from the full matrices of exact differences (written apart from distmatch)."""
    def k(a, b):
        d2 = (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)
        if kernel == "gaussian":
            return sum(torch.exp(-d2 / (2.0 * s * s)) for s in bw)
        if kernel == "imq":
            return sum(s * s / (s * s + d2) for s in bw)
        return -torch.where(d2 > 0, d2, 1.0).sqrt() * (d2 > 0)

    n, m = len(x), len(y)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    if estimator == "unbiased":
        return ((kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1)) + (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
                - 2.0 * kxy.mean())
    return kxx.mean() + kyy.mean() - 2.0 * kxy.mean()


def _value_grads(fn, x, y):
    x, y = x.clone().requires_grad_(), y.clone().requires_grad_()
    v = fn(x, y)
    return [v.detach(), *torch.autograd.grad(v, [x, y])]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
@pytest.mark.parametrize("d", [1, 2, 64])
def test_fused_matches_float64_reference(points, case, estimator, d):
    """Odd sizes (37, 29), N != M, tile 8 dividing neither: every task/chunk boundary case."""
    kernel, bw = CASES[case]
    if d == 64 and bw is not None:
        bw = [s * 8 for s in bw]  # distances grow like sqrt(d)
    x, y = points(37, d, seed=1), points(29, d, 0.4, seed=2)
    got = _value_grads(lambda a, b: mmd2(a, b, bw, estimator, kernel, backend="fused", tile=8), x, y)
    want = _value_grads(lambda a, b: _reference(a, b, kernel, bw, estimator), x, y)
    for g, w in zip(got, want):
        assert_close(g, w, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("case", ["ladder3", "octaves7", "nonladder", "energy"])
def test_fused_float32_matches_float64(mmd2_f32_check, points, case):
    """float32 within 1e-5 (value) and 1e-4 (gradient) of float64 on the same float32 numbers."""
    kernel, bw = CASES[case]
    if kernel != "gaussian":
        x, y = points(300, 3, seed=3).float(), points(257, 3, 0.5, seed=4).float()
        got = _value_grads(lambda a, b: mmd2(a, b, bw, kernel=kernel, backend="fused", tile=64), x, y)
        want = _value_grads(lambda a, b: _reference(a, b, kernel, bw, "biased"), x.double(), y.double())
        assert_close(got[0].double(), want[0], rtol=1e-5, atol=0)
        for g, w in zip(got[1:], want[1:]):
            assert_close(g.double(), w, rtol=1e-4, atol=1e-5 * float(w.abs().max()))
        return
    for estimator in ("biased", "unbiased"):
        mmd2_f32_check(points(300, 2, seed=3), points(257, 2, 0.05, seed=4), bw, estimator, backend="fused")


def test_default_cpu_backend_is_fused_with_default_tiles(points, mmd2_reference):
    """1500 x 1100 points: several 64-row tasks and 512-column chunks, both threads, float64."""
    x, y = points(1500, 2, seed=5), points(1100, 2, 0.3, seed=6)
    bw = geometric_bandwidths(1.0, 3)
    got = _value_grads(lambda a, b: mmd2(a, b, bw), x, y)
    want = _value_grads(lambda a, b: mmd2_reference(a, b, bw), x, y)
    for g, w in zip(got, want):
        assert_close(g, w, rtol=1e-9, atol=1e-15)


def test_threads_deterministic_and_consistent(points):
    """Fixed row-block shares per thread: bit-for-bit repeatable; 1 and 2 threads agree to rounding."""
    x, y = points(700, 2, seed=7).float(), points(650, 2, 0.2, seed=8).float()
    spec = make_spec("gaussian", geometric_bandwidths(0.8, 3))
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        runs = [fused_cpu.mmd2_fused_raw(x, y, spec, "unbiased", None, True) for _ in range(3)]
        torch.set_num_threads(1)
        single = fused_cpu.mmd2_fused_raw(x, y, spec, "unbiased", None, True)
    finally:
        torch.set_num_threads(old)
    for run in runs[1:]:
        for a, b in zip(run, runs[0]):
            assert torch.equal(a, b)
    for a, b in zip(single, runs[0]):
        assert_close(a, b, rtol=1e-6, atol=1e-7 * float(b.abs().max()))


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("d", [1, 3])
def test_fused_sinkhorn_matches_geomloss(points, p, d):
    x, y = points(37, d, seed=9), 0.8 * points(29, d, seed=10) + 0.5
    ours = lambda a, b: sinkhorn(a, b, 0.05, 0.5, p, backend="fused", tile=8)  # noqa: E731
    theirs = SamplesLoss("sinkhorn", p=p, blur=0.05, scaling=0.5, backend="tensorized")
    for g, w in zip(_value_grads(ours, x, y), _value_grads(theirs, x, y)):
        assert_close(g, w, rtol=1e-9, atol=1e-12)


def test_fused_sinkhorn_float32_close_to_float64(points):
    x, y = points(400, 2, seed=11).float(), points(300, 2, 1.0, seed=12).float()
    f = lambda a, b: sinkhorn(a, b, 0.05, 0.5, backend="fused")  # noqa: E731
    got, want = _value_grads(f, x, y), _value_grads(f, x.double(), y.double())
    assert_close(got[0].double(), want[0], rtol=1e-5, atol=0)
    for g, w in zip(got[1:], want[1:]):
        assert_close(g.double(), w, rtol=1e-3, atol=1e-4 * float(w.abs().max()))


@pytest.fixture
def broken_numba(monkeypatch):
    """A fresh fused-kernel state whose import fails, as on a machine where numba cannot load."""
    def fail():
        raise ImportError("simulated: numba cannot be loaded")

    for key, value in (("module", None), ("error", None), ("warned", False)):
        monkeypatch.setitem(fused_cpu._STATE, key, value)
    monkeypatch.setattr(fused_cpu, "_import_kernels", fail)


def test_fallback_warns_once_and_matches_tiled(broken_numba, points):
    x, y = points(40, 2, seed=13), points(30, 2, 0.5, seed=14)
    bw = geometric_bandwidths(1.0, 3)
    with pytest.warns(RuntimeWarning, match="fused CPU kernels unavailable.*simulated"):
        got = _value_grads(lambda a, b: mmd2(a, b, bw), x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second call, and sinkhorn's, stay quiet
        want = _value_grads(lambda a, b: mmd2(a, b, bw, backend="tiled"), x, y)
        s_got = sinkhorn(x, y, blur=0.1)
    for g, w in zip(got, want):
        assert torch.equal(g, w)
    assert torch.equal(s_got, sinkhorn(x, y, blur=0.1, backend="tiled"))


def test_compile_failure_falls_back(monkeypatch, points):
    """A kernel that fails to compile disables the fused path (one warning) instead of raising."""
    from numba.core.errors import NumbaError

    mod = fused_cpu.load()

    class Broken:
        def __getattr__(self, name):
            if name.endswith("_worker"):
                def fail(*args):
                    raise NumbaError("simulated compile failure")
                return fail
            return getattr(mod, name)

    for key, value in (("module", Broken()), ("error", None), ("warned", False)):
        monkeypatch.setitem(fused_cpu._STATE, key, value)
    x, y = points(20, 2, seed=15), points(15, 2, 0.5, seed=16)
    with pytest.warns(RuntimeWarning, match="simulated compile failure"):
        got = mmd2(x, y, [0.8], backend="fused")
    assert fused_cpu._STATE["module"] is None
    assert torch.equal(got, mmd2(x, y, [0.8], backend="tiled"))


def test_cache_falls_back_to_no_cache_when_no_directory_is_writable(monkeypatch):
    """numba raises at decoration on cache=True when no cache directory is writable (read-only
    install and home): our decorator then compiles without the on-disk cache."""
    from numba.core import caching

    from distmatch.kernels import _fused_numba

    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in numba 0.6x
    monkeypatch.setattr(impl, "_locator_classes", [])
    with pytest.raises(RuntimeError, match="cannot cache"):  # numba's own behaviour, for the record
        from numba import njit

        njit(cache=True)(lambda v: v)

    @_fused_numba.jit()
    def twice(v):
        return 2.0 * v

    assert twice(np.float64(1.5)) == 3.0


@pytest.mark.parametrize("shape,dtype", [((2, 5, 512), np.float32), ((3, 7), np.float64), ((1,), np.float32),
                                         ((0, 4), np.float64)])
def test_work_buffers_start_on_a_cache_line(shape, dtype):
    """The kernels' work rows start on 64-byte boundaries whatever malloc returns (numpy: 16)."""
    for _ in range(20):  # several allocations: some would be misaligned by chance
        buf = fused_cpu.aligned_empty(shape, dtype)
        assert buf.shape == shape and buf.dtype == dtype and buf.flags.c_contiguous
        assert buf.ctypes.data % 64 == 0 or buf.size == 0
        buf[...] = 1  # writable, inside its allocation
