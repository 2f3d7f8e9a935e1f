"""Where a number came from: one record for run summaries, sweep manifests and diagnostic data."""

from __future__ import annotations

import os
import platform
import time

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
