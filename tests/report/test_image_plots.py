"""distmatch.report.image_plots: image mosaics pixel by pixel ([-1, 1] -> 0..255, white padding,
row-major cells), enlarged PNG grids and one panel per run."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from distmatch.report.image_plots import plot_image_grid, plot_image_panels, tile_images


def test_pixel_values_and_layout():
    x = np.array([[[[-1.0, 1.0], [0.0, 2.0]]],  # 3 single-channel 2x2 images; 2 is clipped to 1
                  [[[-3.0, -1.0], [1.0, 1.0]]],
                  [[[0.5, -0.5], [0.0, 0.0]]]], dtype=np.float32)
    grid = tile_images(x, nrow=2)
    assert grid.dtype == np.uint8 and grid.shape == (2 * 3 + 1, 2 * 3 + 1)  # 2 rows x 2 columns, 1-pixel pads
    want = np.full((7, 7), 255, np.uint8)
    want[1:3, 1:3] = [[0, 255], [128, 255]]
    want[1:3, 4:6] = [[0, 0], [255, 255]]
    want[4:6, 1:3] = [[191, 64], [128, 128]]  # round((v + 1) * 127.5); the fourth cell stays white
    np.testing.assert_array_equal(grid, want)


def test_three_channels_are_rgb_and_three_dims_are_grey():
    rgb = np.zeros((2, 3, 2, 2), np.float32)
    rgb[:, 0], rgb[:, 1], rgb[:, 2] = 1.0, -1.0, 0.0
    grid = tile_images(rgb, nrow=2, pad=0)
    assert grid.shape == (2, 4, 3)
    np.testing.assert_array_equal(grid.reshape(-1, 3), np.tile([255, 0, 128], (8, 1)))
    grey = tile_images(np.zeros((5, 3, 4), np.float32))  # (N, H, W): one channel; ceil(sqrt(5)) = 3 per row
    assert grey.shape == (2 * (3 + 1) + 1, 3 * (4 + 1) + 1)


@pytest.mark.parametrize("shape", [(0, 1, 2, 2), (4,), (2, 1, 1, 2, 2)])
def test_bad_shapes_are_refused(shape):
    with pytest.raises(ValueError, match="expected \\(N, C, H, W\\) images"):
        tile_images(np.zeros(shape, np.float32))


def test_png_grid_is_the_mosaic_enlarged_by_nearest_neighbour(tmp_path):
    x = np.random.default_rng(0).uniform(-1, 1, (130, 1, 8, 8)).astype(np.float32)
    path = plot_image_grid(x, tmp_path / "sub" / "grid.png")
    assert path == tmp_path / "sub" / "grid.png"
    mosaic = tile_images(x[:100], 10)  # at most 100 images, 10 per row
    with Image.open(path) as im:
        png = np.asarray(im)
    assert png.shape == (5 * mosaic.shape[0], 5 * mosaic.shape[1])  # 40 // 8 = 5x
    np.testing.assert_array_equal(png[::5, ::5], mosaic)
    np.testing.assert_array_equal(png[4::5, 4::5], mosaic)
    few = plot_image_grid(x[:3], tmp_path / "few.png", scale=2)  # fewer images than a row: one row of 3
    with Image.open(few) as im:
        assert im.size == (2 * (3 * 9 + 1), 2 * 10)


def test_one_titled_panel_per_run(tmp_path, monkeypatch):
    closed = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: closed.append(fig) or real_close(fig))
    rng = np.random.default_rng(1)
    panels = {f"run {i}": rng.uniform(-1, 1, (6, 1, 4, 4)).astype(np.float32) for i in range(4)}
    path = plot_image_panels(panels, tmp_path / "panels.png", nrow=3)
    with Image.open(path) as im:
        assert im.format == "PNG"
    (fig,) = closed
    assert not plt.fignum_exists(fig.number)
    assert len(fig.axes) == 6  # 3 columns x 2 rows; two left empty
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in shown] == list(panels)
    for ax, samples in zip(shown, panels.values()):
        np.testing.assert_array_equal(ax.images[0].get_array(), tile_images(samples, 3))
