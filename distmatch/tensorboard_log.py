"""Optional TensorBoard logging (``--tensorboard``): every evaluation record's numbers as scalars
under ``<run>/tensorboard/``, the same values ``metrics.jsonl`` holds (``tensorboard --logdir runs``)."""

from __future__ import annotations

import math
from pathlib import Path

INSTALL_HINT = "--tensorboard needs the tensorboard package: pip install 'distmatch[tensorboard]'"


class TensorBoardUnavailable(RuntimeError):
    """``--tensorboard`` was asked for without the tensorboard package."""


def require_tensorboard() -> None:
    """TensorBoardUnavailable (one line, with the install command) unless tensorboard imports."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # noqa: F401
    except ImportError:
        raise TensorBoardUnavailable(INSTALL_HINT) from None


class TensorBoardLog:
    """Scalars of each record at its ``step``: metrics with a better direction under ``metrics/``,
    losses and the critic's view (no better direction) under ``train/``, timings under ``time/``; None and non-finite values are skipped (as a
    chart cannot show them), bookkeeping keys (step, n_modes) are not logged."""

    SKIP = ("step", "n_modes")

    def __init__(self, directory: Path):
        require_tensorboard()
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(directory))

    @staticmethod
    def tag(key: str) -> str:
        from .metrics.registry import METRICS

        if key.startswith("time_"):
            return f"time/{key[5:]}"
        entry = METRICS.get(key)
        return f"metrics/{key}" if entry is not None and entry.better is not None else f"train/{key}"

    def write(self, record: dict) -> None:
        step = int(record["step"])
        for key, value in record.items():
            if key in self.SKIP or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if math.isfinite(value):
                self.writer.add_scalar(self.tag(key), float(value), step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
