"""User point sets from .npy / .csv files, validated before training."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import Dataset
from .errors import DataError

POINT_SUFFIXES = (".npy", ".csv")


def _read(path: Path) -> np.ndarray:
    if path.suffix == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise DataError(f"{path}: not a numeric .npy array ({exc})") from None
    rows = [line.strip() for line in path.read_text().splitlines()]
    rows = [r for r in rows if r and not r.startswith("#")]
    if not rows:
        raise DataError(f"{path}: file is empty")
    values = [r.split(",") for r in rows]
    try:
        float(values[0][0])
    except ValueError:
        values = values[1:]  # header line
    widths = {len(v) for v in values}
    if len(widths) > 1:
        raise DataError(f"{path}: ragged rows (row lengths {sorted(widths)}); every row needs the same number of columns")
    try:
        return np.array([[float(c) for c in v] for v in values], dtype=np.float64)
    except ValueError as exc:
        raise DataError(f"{path}: non-numeric value ({exc})") from None


def validate_points(arr: np.ndarray, source: str) -> np.ndarray:
    """Check an array is a non-empty 2-D array of finite floats; return it as float32."""
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise DataError(f"{source}: expected numbers, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise DataError(f"{source}: expected a 2-D array (points x dims), got shape {arr.shape}")
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        raise DataError(f"{source}: need at least 2 points and 1 dimension, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise DataError(f"{source}: {bad} NaN or infinite value(s); clean the file first")
    return arr.astype(np.float32)


def load_points(path: str | Path, test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load a user point set as a ``Dataset`` of kind ``'points'`` (no known modes)."""
    path = Path(path)
    if path.suffix not in POINT_SUFFIXES:
        raise DataError(f"{path}: unsupported file type {path.suffix!r}; use .npy or .csv")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    points = validate_points(_read(path), str(path))
    order = np.random.default_rng(seed).permutation(len(points))
    n_test = int(round(test_fraction * len(points))) if len(points) >= 10 else 0
    test, train = points[order[:n_test]], points[order[n_test:]]
    return Dataset(name=str(path), kind="points", shape=(points.shape[1],),
                   description=f"user points {points.shape}", train=train,
                   test=test if n_test else None)
