"""Shared fixtures for image tests. The metric classifier cache goes to a session tmp dir (never
~/.cache), so the digits classifier is trained once per test session."""

import pytest

from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.trainer import Trainer

TINY = dict(dataset="digits", steps=4, batch_size=16, width=8, noise_dim=8, eval_every=2, eval_samples=200)


@pytest.fixture(scope="session")
def classifier_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("classifier-cache")


@pytest.fixture(autouse=True)
def _cache_env(classifier_cache, monkeypatch):
    monkeypatch.setenv("DISTMATCH_CACHE", str(classifier_cache))


@pytest.fixture(scope="session")
def digits():
    return get_dataset("digits")


@pytest.fixture
def train_digits(tmp_path, digits):
    """train_digits(name, **options) -> (trainer, summary): a tiny digits run in tmp_path/name."""

    def train(name="run", **kw):
        cfg = resolve(RunConfig(**{**TINY, **kw}), digits)
        trainer = Trainer(cfg, digits, tmp_path / name, quiet=True)
        return trainer, trainer.fit()

    return train
