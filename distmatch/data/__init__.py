"""Datasets: 2-D toys, user point files and images, behind one ``get_dataset`` and one registry
(:mod:`.registry`)."""

from __future__ import annotations

from pathlib import Path

from .base import Dataset
from .errors import DataError
from .files import POINT_SUFFIXES, load_points
from .registry import DATASETS, names

TOY_NAMES = tuple(names("toy"))
IMAGE_NAMES = tuple(names("image"))


def dataset_descriptions() -> dict[str, str]:
    """Name -> one-line description of every built-in dataset."""
    return {name: entry.description for name, entry in DATASETS.items()}


def get_dataset(name: str, data_dir: str | None = None, seed: int = 0) -> Dataset:
    """A registered dataset by name, or the points of a .npy/.csv file (``seed`` draws its
    train/test split).

    MNIST / Fashion-MNIST are read from ``data_dir`` or, when it is None, from the folder
    ``distmatch data fetch`` fills: ``$DISTMATCH_DATA/<name>/`` (default ``~/.cache/distmatch/data/<name>/``).
    """
    if name in DATASETS:
        return DATASETS[name].load(name, data_dir)
    if Path(name).suffix in POINT_SUFFIXES or Path(name).exists():
        return load_points(name, seed=seed)
    raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}, or give a .npy/.csv file")


__all__ = ["Dataset", "DataError", "IMAGE_NAMES", "TOY_NAMES", "dataset_descriptions", "get_dataset"]
