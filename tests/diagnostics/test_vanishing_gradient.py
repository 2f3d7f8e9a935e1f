"""vanishing-gradient (toy, fast): minimax gradients vanish, the Wasserstein one does not, D gets perfect."""

import numpy as np
import pytest

from distmatch.diagnostics import vanishing_gradient as vg
from distmatch.diagnostics.common import read_csv
from diag_helpers import load_json, run_ok

STEM = "vanishing_gradient_8gaussians"


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("vg")
    run_ok(["vanishing-gradient", "--fast", "--quiet", "--seeds", "0,1"], out)
    return out


@pytest.fixture(scope="module")
def summary(out):
    return load_json(out / "data" / f"{STEM}.json")["summary"]


def test_files_and_settings(out):
    for name in [f"{STEM}.png", f"{STEM}.pdf", f"data/{STEM}.csv"]:
        assert (out / name).stat().st_size > 0
    meta = load_json(out / "data" / f"{STEM}.json")
    assert meta["seeds"] == [0, 1]
    assert meta["settings"]["d_steps"] == 400 and meta["settings"]["wgan_critic"] == "gp"


def test_minimax_gradient_drops_100x(summary):
    assert all(v <= -2.0 for v in summary["log10_change"]["minimax"]), summary["log10_change"]


def test_wgan_gradient_stays_within_10x(summary):
    assert all(abs(v) <= 1.0 for v in summary["log10_change"]["wgan"]), summary["log10_change"]


def test_nonsaturating_gradient_does_not_vanish(summary):
    assert all(v > 0 for v in summary["log10_change"]["nonsaturating"])


def test_discriminator_becomes_perfect(out, summary):
    assert min(summary["final_accuracy"]) >= 0.99
    assert all(it is not None and it <= 50 for it in summary["first_iteration_accuracy_ge_0.99"])
    rows = read_csv(out / "data" / f"{STEM}.csv")
    assert max(float(r["d_accuracy"]) for r in rows) == 1.0
    assert summary["nan_free"]


def test_csv_matches_summary(out, summary):
    rows = [r for r in read_csv(out / "data" / f"{STEM}.csv") if r["seed"] == "0"]
    g = {int(r["d_iteration"]): float(r["grad_minimax"]) for r in rows}
    assert np.log10(g[400] / g[10]) == pytest.approx(summary["log10_change"]["minimax"][0], rel=1e-6)


def test_message_reports_drop():
    s = vg.VGSettings(d_steps=30, record_every=10, eval_batch=64, batch_size=64)
    result = vg.run_vanishing_gradient(s, [0])
    msg = vg.drop_message(result)
    assert msg.startswith("minimax: grad norm") and "-log D" in msg and "wgan-gp" in msg
    assert result.iterations == list(range(11)) + [20, 30]  # every step before record_every
    assert result.grads["minimax"].shape == (1, 13)
    assert vg.start_index(result) == 10


def test_clip_critic_runs():
    s = vg.VGSettings(d_steps=20, record_every=10, eval_batch=64, batch_size=64, wgan_critic="clip")
    result = vg.run_vanishing_gradient(s, [0])
    assert np.isfinite(result.grads["wgan"]).all() and (result.grads["wgan"] > 0).all()


def test_digits_uses_dcgan():
    pytest.importorskip("sklearn")
    s = vg.VGSettings(dataset="digits", d_steps=4, record_every=2, eval_batch=32, batch_size=32)
    result = vg.run_vanishing_gradient(s, [0])
    assert result.model == "dcgan"
    assert np.isfinite(result.grads["minimax"]).all()
