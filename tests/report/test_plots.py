"""distmatch.report.plots: per-run figures drawn from what a run directory holds; the curves show one
panel per logged quantity, the sample plot shows the samples, the data and each mode's radius."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.metrics.registry import metric
from distmatch.report import plots
from distmatch.report.image_plots import tile_images
from distmatch.trainer import Trainer

CFG = SimpleNamespace(objective="mmd", dataset="data/ring.npy", seed=3)


@pytest.fixture
def drawn(monkeypatch):
    """Each figure handed to plots.save, kept open for inspection (save still writes and closes it)."""
    figures = []
    real = plots.save

    def keep(fig, path, pdf=False):
        figures.append(fig)
        return real(fig, path, pdf)

    monkeypatch.setattr(plots, "save", keep)
    return figures


def _png_size(path):
    with Image.open(path) as im:
        return im.format, im.size


def test_save_writes_png_and_pdf_and_closes_the_figure(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    paths = plots.save(fig, tmp_path / "sub" / "f.svg", pdf=True)  # the suffix is replaced
    assert paths == [tmp_path / "sub" / "f.png", tmp_path / "sub" / "f.pdf"]
    assert _png_size(paths[0])[0] == "PNG" and paths[1].read_bytes().startswith(b"%PDF")
    assert not plt.fignum_exists(fig.number)


def test_curves_have_one_panel_per_logged_quantity(tmp_path, drawn):
    records = [{"step": 0, "g_loss": -1.0, "mmd": 0.5, "hq": None, "fd": 3.0},
               {"step": 4, "g_loss": 0.5, "mmd": 0.1, "hq": None},
               {"step": 8, "g_loss": 0.25, "mmd": 0.05, "modes": 6, "d_loss": 1.0, "kl": 0.2, "recall": 0.9}]
    path = plots.draw_curves(records, CFG, tmp_path / "curves.png")
    assert path == tmp_path / "curves.png" and _png_size(path)[0] == "PNG"
    (fig,) = drawn
    shown = [ax for ax in fig.axes if ax.axison]
    keys = ["g_loss", "d_loss", "modes", "mmd", "fd", "recall", "kl"]  # the fixed order; hq is never logged
    assert [ax.get_ylabel() for ax in shown] == [metric(k).label for k in keys]
    assert len(fig.axes) == 10  # 7 panels in rows of 5: 3 empty axes switched off
    mmd = shown[keys.index("mmd")]
    np.testing.assert_array_equal(np.column_stack(mmd.lines[0].get_data()), [[0, 0.5], [4, 0.1], [8, 0.05]])
    assert mmd.get_yscale() == ("log" if metric("mmd").log_scale else "linear")
    assert shown[0].get_yscale() == "linear"  # g_loss has a negative value
    assert "mmd on ring.npy, seed 3" in fig._suptitle.get_text()


def test_no_records_no_curves(tmp_path):
    assert plots.draw_curves([], CFG, tmp_path / "curves.png") is None
    assert not (tmp_path / "curves.png").exists()


def test_samples_over_the_data_with_each_modes_radius(tmp_path, drawn):
    ds = get_dataset("8gaussians")
    samples = np.random.default_rng(0).normal(size=(300, 2)).astype(np.float32)
    metrics = {"modes": 7, "n_modes": 8, "hq": 81.25}
    path = plots.draw_samples(samples, ds, CFG, metrics, tmp_path / "samples.png")
    assert path == tmp_path / "samples.png" and _png_size(path)[0] == "PNG"
    (fig,) = drawn
    (ax,) = fig.axes
    generated, real, centres = ax.collections
    np.testing.assert_array_equal(generated.get_offsets(), samples)
    assert len(real.get_offsets()) == 300
    np.testing.assert_allclose(centres.get_offsets(), ds.centers)
    circles = [p for p in ax.patches if isinstance(p, plt.Circle)]
    assert len(circles) == len(ds.centers) and all(c.get_radius() == pytest.approx(3 * ds.std) for c in circles)
    assert ax.get_title() == "mmd on ring.npy, seed 3\n7/8 modes, 81.2% high quality"


def test_one_dimensional_samples_are_not_drawn(tmp_path):
    ds = SimpleNamespace(kind="points")
    assert plots.draw_samples(np.zeros((10, 1), np.float32), ds, CFG, {}, tmp_path / "s.png") is None
    assert not (tmp_path / "s.png").exists()


def test_image_samples_are_drawn_as_a_grid(tmp_path):
    ds = SimpleNamespace(kind="image")
    x = np.random.default_rng(1).uniform(-1, 1, (12, 1, 8, 8)).astype(np.float32)
    path = plots.draw_samples(x, ds, CFG, {}, tmp_path / "samples.png")
    h, w = tile_images(x, 10).shape
    assert _png_size(path) == ("PNG", (5 * w, 5 * h))  # 10 per row, 8x8 cells enlarged 5x


def test_plot_run_draws_both_figures_from_the_directory(tmp_path):
    ds = get_dataset("ring")
    cfg = resolve(RunConfig(dataset="ring", steps=2, eval_every=2, batch_size=16, width=8, depth=1,
                            eval_samples=100), ds)
    Trainer(cfg, ds, tmp_path / "r", quiet=True).fit()
    assert not (tmp_path / "r" / "figures").exists()
    paths = plots.plot_run(tmp_path / "r")
    assert paths == [tmp_path / "r" / "figures" / "samples.png", tmp_path / "r" / "figures" / "curves.png"]
    assert all(_png_size(p)[0] == "PNG" for p in paths)
