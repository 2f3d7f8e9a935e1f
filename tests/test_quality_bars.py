"""The training-quality bars of the core issue, on the default settings of each objective.

One short run stays in the default suite; the full-length bars (about 30 s each on one core) are
marked slow: ``python -m pytest -m slow tests/test_quality_bars.py``.
"""

import pytest

from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.trainer import Trainer


def final_metrics(tmp_path, **options) -> dict:
    ds = get_dataset(options["dataset"])
    cfg = resolve(RunConfig(**options), ds)
    return Trainer(cfg, ds, tmp_path / "run", quiet=True).fit()["metrics"]


def test_mmd_covers_every_8gaussians_mode_in_600_steps(tmp_path):
    m = final_metrics(tmp_path, objective="mmd", dataset="8gaussians", steps=600, eval_every=600,
                      eval_samples=2500)
    assert m["modes"] == 8 and m["hq"] > 20.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("dataset", ["8gaussians", "ring"])
def test_mmd_default_bar(tmp_path, dataset, seed):
    """The quick start's bar (issue #17): every mode and >= 70 % high-quality samples on seeds 0-4."""
    m = final_metrics(tmp_path, objective="mmd", dataset=dataset, seed=seed)
    assert m["modes"] == 8 and m["hq"] >= 70.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wgan_gp_default_bar(tmp_path, seed):
    assert final_metrics(tmp_path, objective="wgan-gp", dataset="8gaussians", seed=seed)["modes"] >= 7


@pytest.mark.slow
def test_mmd_25gaussians_bar(tmp_path):
    assert final_metrics(tmp_path, objective="mmd", dataset="25gaussians", seed=0)["modes"] >= 23
