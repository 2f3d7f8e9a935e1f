"""Stacked MNIST metrics: the digit classifier applied per channel, modes_1k and kl_1k (of 1,000
modes), real stacks against a perfect sampler, a collapsed generator, and a tiny run end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from distmatch.metrics.classifier import (
    ChannelClassifier,
    classifier_path,
    get_classifier,
)
from distmatch.metrics.images import image_metrics, stacked_mode_metrics, stacked_modes
from distmatch.metrics.registry import METRICS

pytestmark = pytest.mark.usefixtures("one_thread")

EPOCHS = 2  # the test classifier: ~5-8 s on one core, ~96 % on single digits (the default recipe: 8)



@pytest.fixture(scope="module")
def stacked(stacked_mnist):
    return stacked_mnist

@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("stacked-cache")


@pytest.fixture(scope="module")
def classifier(stacked, cache) -> ChannelClassifier:
    """The per-channel digit classifier, trained once for this module and cached in ``cache``."""
    return get_classifier(stacked, cache, epochs=EPOCHS)


def _uniform_reference(n: int, seed: int = 0) -> dict:
    """What a perfect sampler of n stacks scores (it misses modes and has KL > 0 by chance alone)."""
    return stacked_mode_metrics(np.random.default_rng(seed).integers(0, 1000, n))


# ----------------------------------------------------------------------------- the mode metrics
def test_a_single_mode_scores_one_mode_and_log_1000():
    out = stacked_mode_metrics(np.full(26_000, 417))
    assert out["modes_1k"] == 1 and out["n_stacks"] == 26_000
    torch.testing.assert_close(out["kl_1k"], math.log(1000))


def test_every_mode_equally_often_scores_1000_modes_and_kl_0():
    out = stacked_mode_metrics(np.tile(np.arange(1000), 26))
    assert out["modes_1k"] == 1000
    torch.testing.assert_close(out["kl_1k"], 0.0)
    half = stacked_mode_metrics(np.arange(500))  # half the modes, evenly: KL = log 2
    assert half["modes_1k"] == 500
    torch.testing.assert_close(half["kl_1k"], math.log(2))


def test_labels_outside_the_modes_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1000\)"):
        stacked_mode_metrics(np.array([3, 1000]))


def test_registered_with_label_format_and_direction():
    assert METRICS["modes_1k"].better == "higher" and METRICS["kl_1k"].better == "lower"
    assert METRICS["modes_1k"].fmt.format(998.0) == "998" and "1,000" in METRICS["modes_1k"].label
    assert METRICS["kl_1k"].tex and METRICS["kl_1k"].fmt.format(0.0612) == "0.061"


# ----------------------------------------------------------------------------- the classifier
def test_classifier_is_the_digit_classifier_on_each_channel(stacked, classifier):
    x = stacked.test[:200]
    digits = classifier.channel_predict(x)  # (200, 3)
    assert digits.shape == (200, 3) and classifier.n_classes == 1000 and classifier.image_shape == (3, 28, 28)
    for c in range(3):
        np.testing.assert_array_equal(digits[:, c], classifier.digit.predict(x[:, c:c + 1]))
    np.testing.assert_array_equal(classifier.predict(x), 100 * digits[:, 0] + 10 * digits[:, 1] + digits[:, 2])
    feats = classifier.features(x)
    assert feats.shape == (200, 3 * 128)
    torch.testing.assert_close(feats[:, 128:256], classifier.digit.features(x[:, 1:2]), rtol=1e-4, atol=1e-4)


def test_trained_on_single_digits_and_reports_their_accuracy(stacked, classifier):
    digits = stacked.channel_digits
    assert classifier.digit.image_shape == (1, 28, 28) and classifier.digit.n_classes == 10
    assert classifier.test_accuracy == classifier.digit.test_accuracy > 0.9
    np.testing.assert_allclose(np.mean(classifier.digit.predict(digits.test) == digits.test_labels),
                               classifier.test_accuracy)
    # whole stacks are right when all three digits are: about accuracy**3
    stack_acc = np.mean(classifier.predict(stacked.test[:1000]) == stacked.test_labels[:1000])
    assert stack_acc > classifier.test_accuracy ** 3 - 0.05


def test_cached_in_its_own_file_and_reloaded(stacked, classifier, cache):
    path = classifier_path(stacked, cache, epochs=EPOCHS)
    assert path.is_file() and path.name.startswith("classifier-stacked-mnist-")
    assert path != classifier_path(stacked.channel_digits, cache, epochs=EPOCHS)  # not mnist-5k's classifier
    assert classifier.tag == path.stem
    again = get_classifier(stacked, cache, epochs=EPOCHS)
    assert isinstance(again, ChannelClassifier) and again.test_accuracy == classifier.test_accuracy
    np.testing.assert_array_equal(again.predict(stacked.test[:100]), classifier.predict(stacked.test[:100]))


# ----------------------------------------------------------------------------- real and collapsed
def test_real_stacks_score_like_a_perfect_sampler(stacked, classifier):
    n = 2000
    real = stacked_modes(stacked.test[:n], stacked, classifier)
    ref = _uniform_reference(n)  # ~865 modes, KL ~0.28 from 2,000 draws alone
    assert real["modes_1k"] >= ref["modes_1k"] - 30
    assert real["kl_1k"] <= ref["kl_1k"] + 0.1
    assert real["classifier_accuracy"] == classifier.test_accuracy


@pytest.mark.slow
def test_real_stacks_cover_all_1000_modes_from_26000_samples(stacked, classifier):
    out = stacked_modes(stacked.train[:26_000], stacked, classifier)  # ~15-30 s of classifier on 2 cores
    assert out["modes_1k"] >= 995 and out["kl_1k"] < 0.05  # sampling noise alone: KL ~0.019


def test_a_generator_that_always_outputs_one_stack(stacked, classifier):
    fake = np.repeat(stacked.test[5:6], 300, axis=0)
    out = image_metrics(fake, stacked, classifier, n=100, kid_subsets_n=5, kid_subset_size=50)
    assert out["modes_1k"] == 1 and out["n_stacks"] == 300
    torch.testing.assert_close(out["kl_1k"], math.log(1000))
    assert out["coverage"] == 0.001 and out["n_classes"] == 1000
    assert out["classifier_accuracy"] == classifier.test_accuracy
    assert out["feature_extractor"].startswith("classifier-stacked-mnist-")


def test_image_metrics_modes_use_all_samples_or_mode_samples(stacked, classifier):
    fake = stacked.test[:300]
    out = image_metrics(fake, stacked, classifier, n=100, kid_subsets_n=5, kid_subset_size=50)
    assert out["n_stacks"] == 300 and out["n_fake"] == 100
    assert out["modes_1k"] == stacked_modes(fake, stacked, classifier)["modes_1k"]
    few = image_metrics(fake, stacked, classifier, n=100, kid_subsets_n=5, kid_subset_size=50, mode_samples=80)
    assert few["n_stacks"] == 80
    # the classifier metrics of the n chosen samples do not depend on how many the modes use
    for key in ("fd", "precision", "recall", "kl"):
        assert few[key] == out[key], key


def test_stacked_modes_needs_the_per_channel_classifier(stacked, classifier):
    with pytest.raises(TypeError, match="per-channel"):
        stacked_modes(stacked.test[:10], stacked, classifier.digit)


# ----------------------------------------------------------------------------- end to end
def test_tiny_colour_dcgan_run_through_the_cli(tmp_path, monkeypatch, stacked, classifier, cache):
    """`distmatch run` on stacked-mnist: colour DCGAN, the stacked metrics in the log and summary, figures."""
    from click.testing import CliRunner

    from distmatch.cli import cli
    from distmatch.metrics import classifier as classifier_module

    # the run finds this module's cached classifier instead of training the default recipe (8 epochs)
    monkeypatch.setitem(classifier_module.DEFAULT_EPOCHS, "mnist-5k", EPOCHS)
    monkeypatch.setenv("DISTMATCH_CACHE", str(cache))
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["run", "--objective", "nonsaturating", "--dataset", "stacked-mnist",
                                      "--steps", "2", "--batch-size", "8", "--width", "4", "--noise-dim", "8",
                                      "--eval-every", "2", "--eval-samples", "60", "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    samples = np.load(out / "samples.npy")
    assert samples.shape == (60, 3, 28, 28) and np.all(np.abs(samples) <= 1)
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    summary = json.loads((out / "summary.json").read_text())
    assert [r["step"] for r in records] == [0, 2]
    assert summary["metrics"]["classifier_accuracy"] == classifier.test_accuracy  # the cached one was used
    for m in records + [summary["metrics"]]:
        assert 1 <= m["modes_1k"] <= 60 and 0 <= m["kl_1k"] <= math.log(1000) + 1e-9
        assert m["n_stacks"] == 60 and m["n_classes"] == 1000
    assert summary["config"]["model"] == "dcgan"
    for name in ("grid_step0.png", "grid_step2.png", "samples.png", "curves.png"):
        assert (out / "figures" / name).exists(), name
    from PIL import Image

    assert Image.open(out / "figures" / "samples.png").mode == "RGB"  # a colour grid
