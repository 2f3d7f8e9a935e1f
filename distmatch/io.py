"""Atomic file writes and run-directory helpers: a crash never leaves a half-written file."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch


def _atomic(path: Path, write: Callable[[str], None]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; final files are ordinary readable files
        os.replace(tmp, path)  # atomic on POSIX: readers see the old or the new file, never half
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_torch(obj: Any, path: Path) -> None:
    """``torch.save`` via a temp file and rename."""
    _atomic(path, lambda tmp: torch.save(obj, tmp))


def save_json(obj: Any, path: Path) -> None:
    """Write indented JSON atomically (NaN written as null)."""
    text = json.dumps(_clean(obj), indent=2, sort_keys=True)
    _atomic(path, lambda tmp: Path(tmp).write_text(text + "\n"))


def save_npy(arr: np.ndarray, path: Path) -> None:
    """``np.save`` atomically."""
    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.save(fh, arr)
    _atomic(path, write)


def _clean(obj: Any) -> Any:
    """Replace NaN/inf floats by None so the JSON is standard."""
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def append_jsonl(record: dict, path: Path) -> None:
    """Append one JSON object per line, flushed to disk."""
    with open(path, "a") as fh:
        fh.write(json.dumps(_clean(record), sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_jsonl(path: Path) -> list[dict]:
    """All records of a JSONL file ([] when it does not exist)."""
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def truncate_jsonl(path: Path, max_step: int) -> None:
    """Keep only records with ``step <= max_step`` (used when resuming from a checkpoint)."""
    kept = [r for r in read_jsonl(path) if r.get("step", 0) <= max_step]
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in kept)
    _atomic(Path(path), lambda tmp: Path(tmp).write_text(text))


def git_commit() -> str | None:
    """The commit of the distmatch checkout, for provenance (None outside git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
