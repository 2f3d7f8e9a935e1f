"""Fixtures shared by the metric tests: the digits data and its cached classifier."""

from __future__ import annotations

import pytest

from distmatch.data.base import Dataset
from distmatch.data.images import load_digits_dataset
from distmatch.metrics.classifier import get_classifier


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_digits_dataset()


@pytest.fixture(scope="module")
def classifier(digits, classifier_cache):
    """The cached digits classifier (trained once per session in the shared test cache, ~3-7 s on 2 cores)."""
    return get_classifier(digits, classifier_cache)
