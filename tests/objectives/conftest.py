"""Shared fixtures for the objective tests: tiny toy and digits runs (the classifier cache
is the session-wide one of tests/conftest.py)."""

import pytest

from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.trainer import Trainer

TINY_TOY = dict(dataset="8gaussians", steps=12, batch_size=32, width=16, depth=2, eval_every=4, eval_samples=200)
TINY_DIGITS = dict(dataset="digits", steps=4, batch_size=16, width=8, noise_dim=8, eval_every=2, eval_samples=200)


@pytest.fixture
def tiny_run(tmp_path):
    """tiny_run(name, **options) -> (trainer, summary): a tiny run (toy by default) in tmp_path/name."""

    def run(name="run", **kw):
        opts = {**(TINY_DIGITS if kw.get("dataset") == "digits" else TINY_TOY), **kw}
        dataset = get_dataset(opts["dataset"])
        cfg = resolve(RunConfig(**opts), dataset)
        trainer = Trainer(cfg, dataset, tmp_path / name, quiet=True)
        return trainer, trainer.fit()

    return run
