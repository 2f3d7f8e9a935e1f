"""Image tests write the metric classifier cache into a session tmp dir, never ~/.cache."""

import pytest


@pytest.fixture(scope="session")
def classifier_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("classifier-cache")


@pytest.fixture(autouse=True)
def _cache_env(classifier_cache, monkeypatch):
    monkeypatch.setenv("DISTMATCH_CACHE", str(classifier_cache))
