"""Where a number came from: one record for run summaries, sweep manifests and diagnostic data."""

from __future__ import annotations

import hashlib
import os
import platform
import time
from pathlib import Path

from . import io


def provenance(device=None) -> dict:
    """Code commit, distmatch/torch/numpy/Python versions, machine, host, CPU count and time; with
    ``device`` (a run's), also the device and torch's CPU thread count."""
    import numpy as np
    import torch

    import distmatch

    out = {"commit": io.git_commit(), "distmatch": distmatch.__version__, "torch": torch.__version__,
           "numpy": np.__version__, "python": platform.python_version(), "machine": platform.machine(),
           "host": platform.node(), "cpu_count": os.cpu_count(), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if device is not None:
        out.update(device=str(device), cpu_threads=torch.get_num_threads())
    return out


PACKAGE = Path(__file__).resolve().parent
CODE_SUFFIXES = (".py", ".yaml")


def code_fingerprint(root: str | os.PathLike = PACKAGE) -> str:
    """SHA-256 (16 hex digits) of the package's source: every ``.py`` and ``.yaml`` file under
    ``root`` by relative path and content (``__pycache__`` ignored). A sweep compares its workers'
    fingerprint with its own, so that an edit or upgrade mid-sweep cannot mix two versions."""
    root = Path(root)
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]
