"""Image sample grids: one PNG of generated images, and a figure with one panel per run."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def tile_images(samples: np.ndarray, nrow: int | None = None, pad: int = 1) -> np.ndarray:
    """(N, C, H, W) images in [-1, 1] -> one (rows*(H+pad)+pad, nrow*(W+pad)+pad[, 3]) uint8 mosaic.

    ``nrow`` images per row (default: ceil(sqrt(N))); padding is white. One channel stays grey,
    three are RGB; values outside [-1, 1] are clipped.
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(f"expected (N, C, H, W) images with N >= 1, got shape {x.shape}")
    n, c, h, w = x.shape
    nrow = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / nrow)
    pixels = np.round((np.clip(x, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8).transpose(0, 2, 3, 1)  # (N, H, W, C)
    grid = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad, c), 255, dtype=np.uint8)
    for i in range(n):
        r, k = divmod(i, nrow)
        grid[pad + r * (h + pad):pad + r * (h + pad) + h, pad + k * (w + pad):pad + k * (w + pad) + w] = pixels[i]
    return grid[..., 0] if c == 1 else grid


def plot_image_grid(samples: np.ndarray, path: str | Path, nrow: int = 10, max_images: int = 100,
                    scale: int | None = None) -> Path:
    """Write the first ``max_images`` of (N, C, H, W) samples as a PNG grid ``nrow`` wide; returns the path.

    Pixels are enlarged ``scale`` times with nearest-neighbour (default: enough for ~40-pixel
    cells, e.g. 5x for 8x8 digits) so small images stay legible.
    """
    from PIL import Image

    x = np.asarray(samples)[:max_images]
    grid = tile_images(x, min(nrow, len(x)))
    scale = scale or max(1, 40 // int(x.shape[-1]))
    img = Image.fromarray(grid)
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def plot_image_panels(panels: dict[str, np.ndarray], path: str | Path, nrow: int = 8, max_images: int = 64,
                      ncols: int | None = None) -> Path:
    """One titled panel of sample grids per entry of ``panels`` (title -> (N, C, H, W)); returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ncols = ncols or min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 3.3 * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (title, samples) in zip(axes.flat, panels.items()):
        ax.imshow(tile_images(np.asarray(samples)[:max_images], nrow), cmap="gray", vmin=0, vmax=255,
                  interpolation="nearest")
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path
