"""User point sets from .npy / .csv files, validated before training."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .base import Dataset
from .errors import DataError
from .identity import SEP, file_digest

POINT_SUFFIXES = (".npy", ".csv")
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _read(path: Path) -> np.ndarray:
    return _read_npy(path) if path.suffix == ".npy" else _read_csv(path)


def _read_npy(path: Path) -> np.ndarray:
    """A plain .npy array, checked from its header (memory-mapped) before it is read; never unpickled."""
    try:
        arr = np.load(path, allow_pickle=False, mmap_mode="r")
    except (ValueError, EOFError, OSError, zipfile.BadZipFile) as exc:  # bytes 'PK\x03\x04' make numpy try a zip
        if isinstance(exc, (FileNotFoundError, PermissionError)):
            raise
        raise DataError(f"{path}: not a readable .npy array ({' '.join(str(exc).split())[:160]})") from None
    if not isinstance(arr, np.ndarray):  # np.load gives an NpzFile for a zip archive
        arr.close()
        raise DataError(f"{path}: is an .npz archive, not a single .npy array; save one array with np.save")
    _check_dtype(arr.dtype, str(path))
    return np.array(arr)


def _read_csv(path: Path) -> np.ndarray:
    """Comma-separated numbers, one point a line; an optional text header line and # comments.
    A UTF-8 byte-order mark (as spreadsheets write it) is dropped."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from None
    rows = [(i, line.strip()) for i, line in enumerate(text.splitlines(), 1)]
    rows = [(i, r) for i, r in rows if r and not r.startswith("#")]
    if not rows:
        raise DataError(f"{path}: file is empty")
    if not any(_is_number(c) for c in rows[0][1].split(",")):
        rows = rows[1:]  # a header line: every cell is text
    if not rows:
        raise DataError(f"{path}: has a header line but no data rows")
    width = len(rows[0][1].split(","))
    values = np.empty((len(rows), width), dtype=np.float64)
    for k, (line_no, row) in enumerate(rows):
        cells = row.split(",")
        if len(cells) != width:
            raise DataError(f"{path}: ragged rows: line {line_no} has {len(cells)} columns, the first data row has {width}; "
                            "every row needs the same number of columns")
        try:
            values[k] = [float(c) for c in cells]
        except ValueError:
            bad = next(c for c in cells if not _is_number(c))
            raise DataError(f"{path}: line {line_no}: non-numeric value {bad.strip()!r}") from None
    return values


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_dtype(dtype: np.dtype, source: str) -> None:
    if dtype.names is not None or dtype == object or not np.issubdtype(dtype, np.number):
        raise DataError(f"{source}: expected real numbers, got dtype {dtype}")
    if np.issubdtype(dtype, np.complexfloating):
        raise DataError(f"{source}: complex numbers are not points; save the real and imaginary parts as columns")


def validate_points(arr: np.ndarray, source: str) -> np.ndarray:
    """Check an array is a non-empty 2-D array of finite reals within float32 range; return float32."""
    _check_dtype(arr.dtype, source)
    if arr.ndim != 2:
        raise DataError(f"{source}: expected a 2-D array (points x dims), got shape {arr.shape}")
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        raise DataError(f"{source}: need at least 2 points and 1 dimension, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise DataError(f"{source}: {bad} NaN or infinite value(s); clean the file first")
    peak = float(np.max(np.abs(arr)))
    if peak > FLOAT32_MAX:
        raise DataError(f"{source}: values up to {peak:.3g} exceed the float32 range (±{FLOAT32_MAX:.3g}) "
                        "that training uses; rescale the data")
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
                   test=test if n_test else None, source_id=f"{path.resolve()}{SEP}{file_digest(path)}")
