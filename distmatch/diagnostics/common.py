"""Shared helpers of the diagnostics: seed specs, threads, tabular output, provenance."""

from __future__ import annotations

import csv
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:
    import torch

from .. import io


def parse_seeds(spec: str) -> list[int]:
    """'0,1,2' or '0-2' or '0-1,5' -> sorted unique non-negative ints; ValueError otherwise."""
    seeds: set[int] = set()
    for part in (p.strip() for p in str(spec).split(",")):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            a, b = (int(lo), int(hi)) if sep else (int(part), int(part))
        except ValueError:
            raise ValueError(f"bad seed spec {spec!r}: use e.g. '0,1,2' or '0-2'") from None
        if a < 0 or b < a:
            raise ValueError(f"bad seed range {part!r} in {spec!r}: need 0 <= start <= end")
        seeds.update(range(a, b + 1))
    if not seeds:
        raise ValueError(f"bad seed spec {spec!r}: no seeds given")
    return sorted(seeds)


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
    io.save_json({**obj, "provenance": provenance()}, Path(path))
    return Path(path)


def provenance() -> dict:
    """Where and when the data was made."""
    import torch

    return {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "machine": platform.machine(), "commit": io.git_commit()}


def mean_std(values: Iterable[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over the first axis of a (seeds, T) array-like."""
    arr = np.asarray(list(values), dtype=np.float64)
    return arr.mean(0), arr.std(0)


def grad_norm(params: Iterable["torch.nn.Parameter"]) -> float:
    """Euclidean norm of all parameter gradients (missing grads count as 0)."""
    import torch

    sq = [p.grad.detach().pow(2).sum() for p in params if p.grad is not None]
    return float(torch.sqrt(torch.stack(sq).sum())) if sq else 0.0
