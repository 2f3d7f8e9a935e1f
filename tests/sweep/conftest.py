"""Shared helpers for the sweep tests: tiny run options so every run takes seconds."""

from pathlib import Path

import pytest
from click.testing import CliRunner

TINY_SETS = ["--set", "eval_samples=100", "--set", "width=16", "--set", "depth=2", "--set", "batch_size=32",
             "--set", "final_metrics=all"]
TINY_OPTIONS = {"eval_samples": 100, "width": 16, "depth": 2, "batch_size": 32}


@pytest.fixture
def tiny_sets() -> list[str]:
    return list(TINY_SETS)


GRID = ["--objectives", "mmd,wgan-gp", "--datasets", "ring", "--seeds", "0-1", "--steps", "4"]


@pytest.fixture(scope="session")
def small_sweep(tmp_path_factory) -> Path:
    """2 objectives × 1 dataset × 2 seeds with 2 workers (shared by the sweep, table and plot tests)."""
    from distmatch.sweep.cli import sweep

    out = tmp_path_factory.mktemp("sweep") / "sw"
    result = CliRunner().invoke(sweep, GRID + TINY_SETS + ["--workers", "2", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return out
