"""Shared helpers for the sweep tests: tiny run options so every run takes seconds."""

import pytest

TINY_SETS = ["--set", "eval_samples=100", "--set", "width=16", "--set", "depth=2", "--set", "batch_size=32"]
TINY_OPTIONS = {"eval_samples": 100, "width": 16, "depth": 2, "batch_size": 32}


@pytest.fixture
def tiny_sets() -> list[str]:
    return list(TINY_SETS)
