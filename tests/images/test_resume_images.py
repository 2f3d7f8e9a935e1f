"""Image runs are deterministic and a resumed run equals the uninterrupted one."""

import json

import numpy as np
import pytest

from distmatch.config import RunConfig, resolve

from .conftest import TINY


def test_same_seed_same_samples(tmp_path, train_digits):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        train_digits(name, objective="nonsaturating", seed=seed)
    a, b, c = (np.load(tmp_path / n / "samples.npy") for n in "abc")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    la, lb = ((tmp_path / n / "metrics.jsonl").read_text() for n in "ab")

    def strip(text):
        return [{k: v for k, v in json.loads(line).items() if not k.startswith("time_")} for line in text.splitlines()]

    assert strip(la) == strip(lb)


@pytest.mark.parametrize("objective", ["wgan-gp", "nonsaturating"])
def test_resume_equals_uninterrupted(tmp_path, digits, train_digits, objective, crash_then_resume):
    kw = dict(objective=objective, steps=8, eval_every=4)
    train_digits("full", **kw)
    cfg = resolve(RunConfig(**{**TINY, **kw}), digits)
    # two steps after the step-4 checkpoint
    assert crash_then_resume(cfg, digits, tmp_path / "split", crash_step=6) == 4
    np.testing.assert_array_equal(np.load(tmp_path / "full" / "samples.npy"),
                                  np.load(tmp_path / "split" / "samples.npy"))
    steps = lambda n: [json.loads(l)["step"] for l in (tmp_path / n / "metrics.jsonl").read_text().splitlines()]
    assert steps("split") == steps("full") == [0, 4, 8]
