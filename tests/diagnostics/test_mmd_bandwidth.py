"""mmd-bandwidth: coverage signal for medium/multi kernels, no data gradient far from data for small ones."""

import numpy as np
import pytest
import torch

from distmatch.diagnostics import mmd_bandwidth as bw
from distmatch.kernels import mmd2_naive
from diag_helpers import load_json, run_ok


@pytest.fixture(scope="module")
def numbers(tmp_path_factory):
    out = tmp_path_factory.mktemp("bw")
    run_ok(["mmd-bandwidth", "--fast", "--quiet"], out)
    assert (out / "mmd_bandwidth.png").exists() and (out / "data/mmd_bandwidth_landscape.csv").exists()
    meta = load_json(out / "data/mmd_bandwidth.json")
    assert meta["per_seed"][0]["uncovered_modes"] == [5, 6, 7]
    return meta["per_seed"][0]["numbers"]


def test_witness_positive_at_uncovered_modes(numbers):
    for name in ("medium", "multi"):
        assert min(numbers[name]["witness_uncovered_rel"]) > 0.5, name
        assert max(numbers[name]["witness_covered_rel"]) < min(numbers[name]["witness_uncovered_rel"])


def test_small_bandwidth_gives_no_data_gradient_far_from_data(numbers):
    assert numbers["small"]["median_attraction_on_fake"] < 1e-6 * numbers["medium"]["median_attraction_on_fake"]
    assert numbers["small"]["mean_attraction_on_fake"] < 2e-2 * numbers["medium"]["mean_attraction_on_fake"]


def test_medium_bandwidth_pulls_back_to_the_modes(numbers):
    assert numbers["medium"]["cos_attraction_to_nearest_centre"] > 0.8


def test_witness_matches_mmd():
    """MMD^2 (biased) = E_x w(x) - E_y w(y) for the same kernel."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(50, 2, generator=g, dtype=torch.float64), torch.randn(40, 2, generator=g, dtype=torch.float64)
    bws = (0.5, 2.0)
    w = lambda t: bw.witness(t, x, y, bws)  # noqa: E731
    torch.testing.assert_close(w(x).mean() - w(y).mean(), mmd2_naive(y, x, list(bws)))


def test_witness_grad_is_the_descent_direction():
    """d MMD^2 / d y_j = -(2 / M) grad w(y_j)."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(30, 2, generator=g, dtype=torch.float64)
    y = torch.randn(20, 2, generator=g, dtype=torch.float64).requires_grad_(True)
    (dy,) = torch.autograd.grad(mmd2_naive(y, x, [1.0]), y)
    gw = bw.witness_grad(y.detach().numpy(), x, y.detach(), [1.0])
    np.testing.assert_allclose(dy.numpy(), -(2 / 20) * gw, rtol=1e-6, atol=1e-12)
