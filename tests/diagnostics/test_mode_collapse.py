"""mode-collapse: the counts in the data file are the metric module's counts on the saved samples."""

import numpy as np
import pytest

from distmatch.data import get_dataset
from distmatch.diagnostics.common import read_csv
from distmatch.diagnostics.mode_collapse import schedule
from distmatch.metrics.toy import mode_metrics
from diag_helpers import load_json, run_ok

OBJECTIVES = ["mmd", "minimax", "nonsaturating", "wgan-clip", "wgan-gp"]


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("mc")
    run_ok(["mode-collapse", "--fast", "--quiet", "--seeds", "0-1", "--steps", "20"], out)
    return out


def test_writes_figure_and_data(out):
    for name in ["mode_collapse_8gaussians.png", "mode_collapse_8gaussians.pdf",
                 "data/mode_collapse_8gaussians.csv", "data/mode_collapse_8gaussians.json",
                 "data/mode_collapse_8gaussians_samples.npz"]:
        assert (out / name).stat().st_size > 0, name


def test_settings_and_seeds_recorded(out):
    meta = load_json(out / "data/mode_collapse_8gaussians.json")
    assert meta["seeds"] == [0, 1]
    assert meta["objectives"] == OBJECTIVES
    assert meta["steps"] == 20 and meta["fast"] is True
    assert meta["snapshot_steps"] == [0, 2, 5, 10, 20]
    assert set(meta["settings"]["per_objective"]) == set(OBJECTIVES)
    assert meta["settings"]["per_objective"]["wgan-gp"]["critic_steps"] == 5


def test_counts_equal_metric_module_on_saved_samples(out):
    dataset = get_dataset("8gaussians")
    rows = read_csv(out / "data/mode_collapse_8gaussians.csv")
    table = {(r["objective"], int(r["seed"]), int(r["step"])): r for r in rows}
    samples = np.load(out / "data/mode_collapse_8gaussians_samples.npz")
    steps = samples["snapshot_steps"].tolist()
    checked = 0
    for obj in OBJECTIVES:
        for seed in (0, 1):
            snaps = samples[f"samples__{obj}__seed{seed}"]
            assert snaps.shape == (len(steps), 300, 2)
            for step, pts in zip(steps, snaps):
                m = mode_metrics(pts, dataset.centers, dataset.std)
                row = table[(obj, seed, step)]
                assert int(row["modes"]) == m["modes"]
                assert float(row["hq"]) == pytest.approx(m["hq"], abs=1e-3)
                checked += 1
    assert checked == len(OBJECTIVES) * 2 * len(steps)


def test_curve_covers_every_eval_step(out):
    rows = read_csv(out / "data/mode_collapse_8gaussians.csv")
    evals, _ = schedule(20, 4)
    for obj in OBJECTIVES:
        got = sorted(int(r["step"]) for r in rows if r["objective"] == obj and r["seed"] == "0")
        assert got == evals
    assert all(0 <= int(r["modes"]) <= 8 for r in rows)


def test_schedule_contains_snapshots():
    evals, snaps = schedule(1000, 20)
    assert snaps == [0, 100, 250, 500, 1000]
    assert set(snaps) <= set(evals) and evals[0] == 0 and evals[-1] == 1000
