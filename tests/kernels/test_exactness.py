"""Float32 results against float64 references, double backward, non-finite inputs, bandwidth grads."""

import importlib.util
import math

import numpy as np
import pytest
import torch
from geomloss import SamplesLoss
from torch.testing import assert_close

from distmatch.config import median_heuristic_ladder
from distmatch.data import get_dataset
from distmatch.kernels import mmd2, sinkhorn
from distmatch.kernels._common import make_spec
from distmatch.kernels.triton_mmd import interpreting


def _clusters(n: int, offset: float, std: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two 2-D Gaussian clusters of ``n`` points centred at (+offset, 0) and (-offset, 0), float64."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g, dtype=torch.float64) * std + torch.tensor([offset, 0.0])
    y = torch.randn(n, 2, generator=g, dtype=torch.float64) * std - torch.tensor([offset, 0.0])
    return x, y




def _triton_device() -> str | None:
    """Where the Triton kernels run in this session: interpreted on CPU tensors (CI), compiled on CUDA
    (a GPU machine with TRITON_INTERPRET=0), or nowhere (no triton)."""
    if importlib.util.find_spec("triton") is None:
        return None
    if interpreting():
        return "cpu"
    return "cuda" if torch.cuda.is_available() else None


TRITON_DEVICE = _triton_device()
# fused needs numba (falls back to tiled otherwise); triton runs interpreted on CPU or compiled on CUDA
BACKENDS = ["tiled", "fused"] + (["triton"] if TRITON_DEVICE else [])


def on(backend: str, *tensors: torch.Tensor) -> list[torch.Tensor]:
    """The tensors on the device ``backend`` runs on."""
    device = TRITON_DEVICE if backend == "triton" else "cpu"
    return [t.to(device) for t in tensors]


def tile_for(backend: str, tile: int) -> int:
    """Triton blocks are powers of two (>= 16): the largest one not above ``tile``."""
    return 1 << (tile.bit_length() - 1) if backend == "triton" else tile


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sigmas", [[0.02 / 2**k for k in range(7)], [0.02], [0.05, 0.02]],
                         ids=["ladder7", "single", "pair"])
def test_far_apart_clusters_with_small_bandwidths(mmd2_f32_check, sigmas, backend):
    """Clusters at +-300 with spread 0.05: |a|^2 + |b|^2 - 2 a.b would lose every digit of d^2."""
    x, y = on(backend, *_clusters(128, 300.0, 0.05, seed=0))
    mmd2_f32_check(x, y, sigmas, backend=backend, tile=tile_for(backend, 48))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
def test_ten_octave_ladder_on_separated_clusters(mmd2_f32_check, estimator, backend):
    x, y = on(backend, *_clusters(64, 30.0, 0.2, seed=1))
    mmd2_f32_check(x, y, [1.0 / 2**k for k in range(10)], estimator, backend=backend, tile=32)


# the interpreter needs ~7-20 s per toy batch: those cases run with the slow tests on CPU, always on CUDA
TOY_BACKENDS = [pytest.param(b, marks=pytest.mark.slow) if b == "triton" and TRITON_DEVICE == "cpu" else b
                for b in BACKENDS]


@pytest.mark.parametrize("backend", TOY_BACKENDS)
@pytest.mark.parametrize("name", ["25gaussians", "grid", "swissroll"])
@pytest.mark.parametrize("n,estimator", [(256, "biased"), (512, "unbiased")])
def test_default_toy_batches(mmd2_f32_check, name, n, estimator, backend):
    """2-D toy batches with the default median-heuristic ladder of 7 octaves (one-exp ladder path)."""
    ds = get_dataset(name)
    sigmas = median_heuristic_ladder(ds.sample(1000, np.random.default_rng(0)))
    assert len(sigmas) == 7 and make_spec("gaussian", sigmas).ladder
    rng = np.random.default_rng(n)
    real = torch.from_numpy(ds.sample(n, rng))
    fake = 0.9 * torch.from_numpy(ds.sample(n, rng)) + 0.1 * torch.from_numpy(rng.normal(size=(n, 2)))
    mmd2_f32_check(*on(backend, fake, real), sigmas, estimator, backend=backend)


def _imq_reference(x: torch.Tensor, y: torch.Tensor, cs: list[float]) -> torch.Tensor:
    """Biased MMD^2 with sum_c c / (c + d^2) from exact float64 differences."""
    def k(a, b):
        d2 = (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)
        return sum(c / (c + d2) for c in cs)

    return k(x, x).mean() + k(y, y).mean() - 2.0 * k(x, y).mean()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kernel,sigmas", [("gaussian", [0.01]), ("gaussian", [0.02, 0.01]), ("imq", [0.01])])
def test_large_d_self_terms_are_exact(kernel, sigmas, backend):
    """D > 8 takes the addmm path: d^2 is clamped at 0 and exactly 0 on the diagonal, so each point's
    kernel with itself is exactly 1 per bandwidth and carries no gradient."""
    g = torch.Generator().manual_seed(2)
    x, y = on(backend, torch.randn(40, 12, generator=g) * 10, torch.randn(30, 12, generator=g) * 10)
    x, y = x.requires_grad_(), y.requires_grad_()
    got = mmd2(x, y, sigmas, kernel=kernel, backend=backend, tile=16)
    gx, gy = torch.autograd.grad(got, [x, y])
    if kernel == "gaussian":  # all pairs are > 20 sigma apart: only the diagonal survives
        want = len(sigmas) * (1 / 40 + 1 / 30)
        assert_close(got.double().cpu(), torch.tensor(want, dtype=torch.float64), rtol=1e-6, atol=0)
        assert float(gx.abs().max()) == 0.0 and float(gy.abs().max()) == 0.0
    else:
        want = _imq_reference(x.detach().double(), y.detach().double(), [s * s for s in sigmas])
        assert_close(got.double(), want, rtol=1e-5, atol=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_near_ladder_bandwidths_are_not_snapped(points, mmd2_reference, backend):
    x, y = on(backend, points(60, 2, seed=3), points(50, 2, 0.5, seed=4))
    for sigmas in ([1.0, 0.500005], [1.0, 0.5 * (1 + 1e-9)], [1.0, 0.5]):
        assert_close(mmd2(x, y, sigmas, backend=backend), mmd2_reference(x, y, sigmas), rtol=1e-10, atol=0)
    assert make_spec("gaussian", [1.0, 0.5]).ladder and not make_spec("gaussian", [1.0, 0.500005]).ladder


def _value_and_grads(fn, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    x, y = x.clone().requires_grad_(), y.clone().requires_grad_()
    value = fn(x, y)
    return [value.detach().double().cpu(), *(g.double().cpu() for g in torch.autograd.grad(value, [x, y]))]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("far", [1.0, 10.0])
def test_sinkhorn_p1_close_pairs_float32(far, backend):
    """Pairs closer than sqrt(1e-8) have the clamped cost and no gradient, in float32 as in float64."""
    x = torch.tensor([[0.0], [far]], dtype=torch.float32)
    x, y = on(backend, x, x + 5e-5)
    ours = lambda a, b: sinkhorn(a, b, blur=0.01, p=1, backend=backend)  # noqa: E731
    geomloss = SamplesLoss("sinkhorn", p=1, blur=0.01, backend="tensorized")
    got = _value_and_grads(ours, x, y)
    x, y = x.cpu(), y.cpu()  # float64 references on the CPU (fused/tiled when the kernel under test is triton)
    if backend == "triton":
        ours = lambda a, b: sinkhorn(a, b, blur=0.01, p=1, backend="tiled")  # noqa: E731
    for want in (_value_and_grads(ours, x.double(), y.double()), _value_and_grads(geomloss, x.double(), y.double())):
        for g, w in zip(got, want):
            assert_close(g, w, rtol=0, atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda x, y: mmd2(x, y, [0.5, 1.0], backend="tiled"),
    lambda x, y: mmd2(x, y, [0.5, 1.0], backend="fused"),
    lambda x, y: sinkhorn(x, y, blur=0.1, backend="tiled"),
    lambda x, y: sinkhorn(x, y, blur=0.1, backend="fused"),
    lambda x, y: mmd2(*on("triton", x, y), [0.5, 1.0], backend="triton"),
    lambda x, y: sinkhorn(*on("triton", x, y), blur=0.1, backend="triton"),
], ids=["mmd2", "mmd2-fused", "sinkhorn", "sinkhorn-fused", "mmd2-triton", "sinkhorn-triton"])
def test_double_backward_raises(points, call, request):
    if "triton" in request.node.callspec.id and TRITON_DEVICE is None:
        pytest.skip("triton is not installed")
    x, y = points(12, 2, seed=5).requires_grad_(), points(10, 2, 0.3, seed=6)
    with pytest.raises(RuntimeError, match="double backward"):
        torch.autograd.grad(call(x, y), [x], create_graph=True)


@pytest.mark.parametrize("kernel,bw", [("gaussian", [0.7, 1.3]), ("imq", [0.8]), ("energy", None)])
@pytest.mark.parametrize("d", [2, 12])
def test_naive_backend_supports_double_backward(points, kernel, bw, d):
    x, y = points(6, d, seed=7).requires_grad_(), points(5, d, 0.3, seed=8).requires_grad_()
    f = lambda a, b: mmd2(a, b, bw, "unbiased", kernel, backend="naive")  # noqa: E731
    assert torch.autograd.gradcheck(f, (x, y))
    assert torch.autograd.gradgradcheck(f, (x, y))


@pytest.mark.parametrize("call", [
    lambda x, y: mmd2(x, y, [1.0], backend="tiled"),
    lambda x, y: mmd2(x, y, [1.0], backend="fused"),
    lambda x, y: mmd2(x, y, [1.0], backend="naive"),
    lambda x, y: sinkhorn(x, y),
    lambda x, y: sinkhorn(x, y, backend="tiled"),
    lambda x, y: mmd2(*on("triton", x, y), [1.0], backend="triton"),
    lambda x, y: sinkhorn(*on("triton", x, y), backend="triton"),
], ids=["tiled", "fused", "naive", "sinkhorn", "sinkhorn-tiled", "triton", "sinkhorn-triton"])
@pytest.mark.parametrize("arg,bad", [("x", math.nan), ("y", math.inf), ("y", -math.inf)])
def test_non_finite_inputs_raise(call, arg, bad, request):
    if "triton" in request.node.callspec.id and TRITON_DEVICE is None:
        pytest.skip("triton is not installed")
    x, y = torch.randn(5, 2), torch.randn(4, 2)
    (x if arg == "x" else y)[1, 0] = bad
    with pytest.raises(ValueError, match=f"^{arg} contains NaN or inf"):
        call(x, y)


@pytest.mark.parametrize("kernel", ["gaussian", "imq"])
def test_bandwidth_tensor_requiring_grad(points, mmd2_reference, kernel):
    """Refused where bandwidths are constants (tiled); differentiated by the naive backend."""
    x, y = points(15, 2, seed=9), points(12, 2, 0.4, seed=10)
    bw = torch.tensor([0.6, 1.1], dtype=torch.float64, requires_grad=True)
    for backend in ("tiled", "fused", "auto") + (("triton",) if TRITON_DEVICE == "cpu" else ()):
        with pytest.raises(ValueError, match="bandwidths requires grad"):
            mmd2(x, y, bw, kernel=kernel, backend=backend)
    with torch.no_grad():
        assert_close(mmd2(x, y, bw, kernel=kernel), mmd2(x, y, bw.tolist(), kernel=kernel))
    assert torch.autograd.gradcheck(lambda s: mmd2(x, y, s, kernel=kernel, backend="naive"), (bw,))
    if kernel == "gaussian":
        (got,) = torch.autograd.grad(mmd2(x, y, bw, backend="naive"), [bw])
        (want,) = torch.autograd.grad(mmd2_reference(x, y, bw), [bw])
        assert_close(got, want, rtol=1e-10, atol=0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
def test_high_dimensional_batches_float32(points, mmd2_f32_check, backend, estimator):
    """D = 64 (the matmul distance path of every backend): float32 within 1e-5 / 1e-4 of float64."""
    x, y = on(backend, points(40, 64, seed=11), points(33, 64, 0.3, seed=12))
    mmd2_f32_check(x, y, [8.0 * s for s in (2**0.5, 1.0, 2**-0.5)], estimator, backend=backend, tile=16)


@pytest.mark.parametrize("backend", BACKENDS)
def test_repeated_points_in_high_dimension(points, mmd2_reference, backend):
    """Duplicated rows (a generator that collapsed) and y sharing points with x: the clamped
    distances of coincident pairs are 0 and carry no gradient, as in the exact reference."""
    base = points(10, 12, seed=13)
    x = torch.cat([base, base[:4]])  # 4 duplicated rows
    y = torch.cat([base[5:], points(6, 12, 0.5, seed=14)])  # 5 rows shared with x
    x, y = on(backend, x, y)
    x.requires_grad_()
    got = mmd2(x, y, [0.5, 2.0], backend=backend, tile=16)
    xr = x.detach().cpu().requires_grad_()
    want = mmd2_reference(xr, y.cpu(), [0.5, 2.0])
    assert_close(got.detach().cpu(), want.detach(), rtol=1e-10, atol=1e-12)
    assert_close(torch.autograd.grad(got, x)[0].cpu(), torch.autograd.grad(want, xr)[0], rtol=1e-8, atol=1e-12)
