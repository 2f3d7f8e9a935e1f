"""Shared fixtures for image tests. The metric classifier cache is the
session-wide one of tests/conftest.py."""

import pytest

from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.trainer import Trainer

TINY = dict(dataset="digits", steps=4, batch_size=16, width=8, noise_dim=8, eval_every=2, eval_samples=200)


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
