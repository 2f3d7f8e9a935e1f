"""saturation-1d: the GAN discriminator saturates at the fake mode, the WGAN critic does not."""

import numpy as np
import pytest

from distmatch.diagnostics import saturation as sat
from diag_helpers import load_json, run_ok


@pytest.fixture(scope="module")
def meta(tmp_path_factory):
    out = tmp_path_factory.mktemp("sat")
    run_ok(["saturation-1d", "--fast", "--quiet", "--seeds", "0"], out)
    assert (out / "saturation_1d.png").exists() and (out / "saturation_1d.pdf").exists()
    assert (out / "data/saturation_1d.csv").exists()
    return load_json(out / "data/saturation_1d.json")


def test_gan_gradient_vanishes_at_fake_mode(meta):
    num = meta["at_fake_mode"]
    assert num["x"] == pytest.approx(-2.0)
    assert max(num["dD_dx_over_max"]) < 1e-3
    assert max(num["D"]) < 1e-3
    assert max(num["grad_minimax"]) < 1e-2


def test_wgan_critic_gradient_is_order_one(meta):
    num = meta["at_fake_mode"]
    assert all(0.3 < g < 3.0 for g in num["grad_wgan"])
    assert all(r > 0.5 for r in num["wgan_over_max"])


def test_nonsaturating_gradient_is_order_one(meta):
    assert all(g > 0.1 for g in meta["at_fake_mode"]["grad_nonsaturating"])


def test_settings_recorded(meta):
    assert meta["seeds"] == [0] and meta["settings"]["steps"] == 500
    assert meta["settings"]["real_mean"] == 2.0 and meta["settings"]["fake_mean"] == -2.0


def test_analytic_slopes():
    logits = np.array([-10.0, 0.0, 10.0])
    costs = sat.analytic_costs(logits)
    np.testing.assert_allclose(costs["minimax"][1], 1 / (1 + np.exp(-logits)))
    np.testing.assert_allclose(costs["nonsaturating"][1], 1 - 1 / (1 + np.exp(-logits)))
    np.testing.assert_allclose(costs["wgan"][1], 1.0)
    # the costs are log(1 - D), -log D and -l
    d = 1 / (1 + np.exp(-logits))
    np.testing.assert_allclose(costs["minimax"][0], np.log1p(-d), rtol=1e-6)
    np.testing.assert_allclose(costs["nonsaturating"][0], -np.log(d), rtol=1e-6)
    assert "4.60" in sat.saturation_logits()["minimax"]
