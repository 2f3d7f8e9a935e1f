"""Image data that cannot train a classifier still get pixel-space metrics, and say what was left out."""

import dataclasses

import numpy as np
import pytest

from distmatch.data import get_dataset
from distmatch.metrics import CLASSIFIER_METRICS, classifier_unavailable, evaluate, not_computed
from distmatch.metrics.images import kid_subsets


@pytest.fixture(scope="module")
def unlabelled():
    digits = get_dataset("digits")
    return dataclasses.replace(digits, name="unlabelled-digits", labels=None, test_labels=None)


def test_unlabelled_images_get_pixel_kid_and_mmd_and_a_reason_for_the_rest(unlabelled):
    assert classifier_unavailable(get_dataset("digits")) is None
    reason = classifier_unavailable(unlabelled)
    assert "no classifier" in reason and "labels" in reason
    rng = np.random.default_rng(0)
    fake = unlabelled.sample(300, rng)
    out = evaluate(fake, unlabelled, [1.0, 4.0], np.random.default_rng(1), full=True)
    assert {"kid_pixel", "mmd"} <= set(out) and not set(CLASSIFIER_METRICS) & set(out)
    skipped = not_computed(unlabelled, distances=True)
    assert set(skipped) == set(CLASSIFIER_METRICS) and set(skipped.values()) == {reason}


def test_pixel_kid_is_near_zero_for_data_and_large_for_noise(unlabelled):
    fake = unlabelled.sample(1000, np.random.default_rng(0))
    data_kid = evaluate(fake, unlabelled, [1.0], np.random.default_rng(5), full=True)["kid_pixel"]
    noise = np.random.default_rng(1).uniform(-1, 1, fake.shape).astype(np.float32)
    noise_kid = evaluate(noise, unlabelled, [1.0], np.random.default_rng(5), full=True)["kid_pixel"]
    assert abs(data_kid) < 0.02 * noise_kid and noise_kid > 1.0
    direct = kid_subsets(unlabelled.test[:300].reshape(300, -1).astype(np.float64),
                         noise[:300].reshape(300, -1).astype(np.float64), 50, 300, 0).mean()
    assert noise_kid == pytest.approx(float(direct), rel=0.1)  # the same estimator on the raw pixels
