"""Shared helpers of the diagnostics: seed specs, threads, tabular output, provenance."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:
    pass

from .. import io


def parse_seeds(spec: str) -> list[int]:
    """'0,1,2' or '0-2' or '0-1,5' -> sorted unique seeds (:func:`distmatch.settings.parse_seeds`)."""
    from ..settings import parse_seeds as parse

    return sorted(parse(spec))


MODE_COLLAPSE_OBJECTIVES = ("mmd", "minimax", "nonsaturating", "wgan-clip", "wgan-gp")
WGAN_CRITICS = ("gp", "clip")


def single_thread() -> int:
    """Use one torch CPU thread (fastest for small MLPs); return the previous count."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    return previous


def write_csv(rows: Sequence[dict], path: Path) -> Path:
    """Write dict rows (same keys) as CSV with a header."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict]:
    """CSV rows as dicts of strings."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def write_json(obj: dict, path: Path) -> Path:
    """Atomic JSON (NaN -> null) with a provenance block added."""
    from ..provenance import provenance

    io.save_json({**obj, "provenance": provenance()}, Path(path))
    return Path(path)


def mean_std(values: Iterable[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over the first axis of a (seeds, T) array-like."""
    arr = np.asarray(list(values), dtype=np.float64)
    return arr.mean(0), arr.std(0)
