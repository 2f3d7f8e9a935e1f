"""The identity of a dataset: what run keys, run directories, resume checks and table rows use.

Built-in toys are their name. Data read from files is its resolved path (or registry name) plus
a SHA-256 of its content, so ``ring`` and ``data/ring.npy`` never share a run, and a file that
changed since a run began is not silently resumed on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .base import Dataset

SEP = "@sha256:"


def file_digest(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def array_digest(*arrays: np.ndarray | None) -> str:
    """SHA-256 over the dtype, shape and bytes of each array (None arrays skipped)."""
    h = hashlib.sha256()
    for arr in arrays:
        if arr is not None:
            arr = np.ascontiguousarray(arr)
            h.update(f"{arr.dtype.str}{arr.shape}".encode())
            if arr.size:  # memoryview.cast refuses a zero in the shape; dtype and shape say it all then
                h.update(memoryview(arr).cast("B"))
    return h.hexdigest()


def dataset_identity(dataset: Dataset) -> str:
    """``name`` for generated toys; ``name-or-path@sha256:<hex>`` for data held in arrays."""
    if dataset.source_id:
        return dataset.source_id
    if dataset.train is None:
        return dataset.name
    return f"{dataset.name}{SEP}{array_digest(dataset.train, dataset.test)}"


def dataset_label(identity: str) -> str:
    """Short readable name for directories and table rows: ``ring``, ``digits``, ``ring-1a2b3c4d``
    (a file's stem plus the first 8 hex digits of its content hash)."""
    if SEP not in identity:
        return identity
    name, digest = identity.split(SEP, 1)
    path = Path(name)
    if path.suffix or len(path.parts) > 1:
        return f"{path.stem}-{digest[:8]}"
    return name
