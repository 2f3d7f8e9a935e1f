"""Datasets: 2-D toys, user point files and images, behind one ``get_dataset``."""

from __future__ import annotations

from pathlib import Path

from .base import Dataset
from .errors import DataError
from .files import POINT_SUFFIXES, load_points
from .toy import TOY_DATASETS

IMAGE_NAMES = ("digits", "mnist", "fashion-mnist", "mnist-5k")


def dataset_descriptions() -> dict[str, str]:
    """Name -> one-line description of every built-in dataset."""
    out = {name: make().description for name, make in TOY_DATASETS.items()}
    try:
        from .images import IMAGE_DATASETS
        out.update(IMAGE_DATASETS)
    except ImportError:  # image support not installed in this build
        pass
    return out


def get_dataset(name: str, data_dir: str | None = None, seed: int = 0) -> Dataset:
    """Resolve a dataset name or a path to a .npy/.csv file.

    MNIST / Fashion-MNIST are read from ``data_dir`` or, when it is None, from the folder
    ``distmatch data fetch`` fills: ``$DISTMATCH_DATA/<name>/`` (default ``~/.cache/distmatch/data/<name>/``).
    """
    if name in TOY_DATASETS:
        return TOY_DATASETS[name]()
    if name == "digits":
        from .images import load_digits_dataset
        return load_digits_dataset()
    if name in ("mnist", "fashion-mnist"):
        from .images import load_idx_dataset
        return load_idx_dataset(name, data_dir)
    if name == "mnist-5k":
        from .mnist5k import load_mnist5k_dataset
        return load_mnist5k_dataset()
    if Path(name).suffix in POINT_SUFFIXES or Path(name).exists():
        return load_points(name, seed=seed)
    known = ", ".join(list(TOY_DATASETS) + list(IMAGE_NAMES))
    raise DataError(f"unknown dataset {name!r}; choose one of {known}, or give a .npy/.csv file")


__all__ = ["Dataset", "DataError", "get_dataset", "dataset_descriptions", "IMAGE_NAMES"]
