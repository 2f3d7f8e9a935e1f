"""Where downloaded datasets live: ``$DISTMATCH_DATA/<name>/``, default ``~/.cache/distmatch/data/<name>/``."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "DISTMATCH_DATA"


def data_root() -> Path:
    """Root folder of downloaded datasets: ``$DISTMATCH_DATA`` or ``~/.cache/distmatch/data``."""
    value = os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "distmatch" / "data"


def default_dataset_dir(name: str) -> Path:
    """Folder ``distmatch data fetch <name>`` writes to and the loaders read when no --data-dir is given."""
    return data_root() / name
