"""distmatch.metrics.classifier: the metric CNN (shapes, parameter count, batching), its per-channel
use for stacked images, its training (seeded, threads and RNG left alone) and its cache (keyed by
data and recipe, atomic, a corrupt file retrained)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from distmatch.data.base import Dataset
from distmatch.metrics.classifier import (
    DEFAULT_EPOCHS,
    FALLBACK_EPOCHS,
    ChannelClassifier,
    ImageClassifier,
    accuracy,
    check_labelled_images,
    classifier_path,
    data_hash,
    get_classifier,
    train_classifier,
)

pytestmark = pytest.mark.usefixtures("one_thread")


# ----------------------------------------------------------------------------- moved from test_image_metrics.py
def _tiny_images(n: int = 48, seed: int = 0) -> Dataset:
    """Two easy classes of 8x8 images (bright top half vs bright bottom half)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.uniform(-1, -0.5, (n, 1, 8, 8)).astype(np.float32)
    for i, label in enumerate(y):
        x[i, 0, :4] += 1.2 * (label == 0)
        x[i, 0, 4:] += 1.2 * (label == 1)
    half = n // 2
    return Dataset(name="tiny", kind="image", shape=(1, 8, 8), train=x[:half], labels=y[:half],
                   test=x[half:], test_labels=y[half:])


def test_digits_classifier_accuracy(classifier, digits):
    assert classifier.test_accuracy >= 0.97
    assert classifier.features(digits.test[:5]).shape == (5, 128)
    pred = classifier.predict(digits.test)
    assert pred.shape == (360,) and pred.dtype == np.int64
    assert classifier.tag.startswith("classifier-digits-")


def test_classifier_cache_round_trip(tmp_path):
    data = _tiny_images()
    first = get_classifier(data, tmp_path, epochs=2)
    path = classifier_path(data, tmp_path, epochs=2)
    assert path.is_file() and path.name.startswith("classifier-tiny-") and path.stem == first.tag
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp files left behind
    second = get_classifier(data, tmp_path, epochs=2)
    assert second.test_accuracy == first.test_accuracy
    for (k, a), b in zip(first.state_dict().items(), second.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)
    assert classifier_path(data, tmp_path, epochs=3) != path  # settings are part of the key


def test_corrupt_cache_is_retrained(tmp_path):
    data = _tiny_images()
    path = classifier_path(data, tmp_path, epochs=1)
    path.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="unreadable"):
        model = get_classifier(data, tmp_path, epochs=1)
    assert model.test_accuracy > 0.5 and path.stat().st_size > 100  # retrained (chance is 0.1)


def test_training_is_seeded_and_leaves_global_rng_alone():
    data = _tiny_images()
    torch.manual_seed(99)
    state = torch.get_rng_state()
    a, acc_a = train_classifier(data, epochs=1, seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    b, acc_b = train_classifier(data, epochs=1, seed=3)
    assert acc_a == acc_b
    torch.testing.assert_close(a.features(data.test), b.features(data.test), rtol=0, atol=0)


def test_classifier_rejects_unlabelled():
    points = Dataset(name="pts", kind="points", shape=(2,), train=np.zeros((4, 2), np.float32))
    with pytest.raises(ValueError, match="image dataset"):
        train_classifier(points)


# ----------------------------------------------------------------------------- the network
@pytest.mark.parametrize("shape,n_classes", [((1, 8, 8), 10), ((3, 10, 6), 4)])
def test_layers_and_parameter_count(shape, n_classes):
    torch.manual_seed(0)
    c, h, w = shape
    model = ImageClassifier(shape, n_classes, width=4, feature_dim=16)
    flat = 8 * (h // 4) * (w // 4)  # 2 x width channels after two 2x2 pools
    want = (c * 4 * 9 + 4) + 2 * 4 + (4 * 8 * 9 + 8) + 2 * 8 + (flat * 16 + 16) + (16 * n_classes + n_classes)
    assert sum(p.numel() for p in model.parameters()) == want
    x = torch.randn(5, *shape)
    assert model.embed(x).shape == (5, 16) and model(x).shape == (5, n_classes)
    assert float(model.embed(x).detach().min()) >= 0.0  # features come out of a ReLU


def test_too_small_images_are_refused():
    with pytest.raises(ValueError, match=r"at least 4x4, got shape \(1, 3, 8\)"):
        ImageClassifier((1, 3, 8))


def test_predict_and_features_do_not_depend_on_batching_or_layout():
    torch.manual_seed(0)
    model = ImageClassifier((1, 8, 8), 3, width=4, feature_dim=8)
    x = np.random.default_rng(0).uniform(-1, 1, (11, 1, 8, 8)).astype(np.float32)
    pred, feats = model.predict(x), model.features(x)
    assert pred.dtype == np.int64 and feats.dtype == np.float32 and feats.shape == (11, 8)
    np.testing.assert_array_equal(model.predict(x, batch_size=4), pred)
    np.testing.assert_array_equal(model.predict(x.reshape(11, 64)), pred)  # flat rows are reshaped
    torch.testing.assert_close(model.features(torch.from_numpy(x), batch_size=3), feats)
    with torch.no_grad():
        np.testing.assert_array_equal(pred, model.eval()(torch.from_numpy(x)).argmax(1).numpy())
    labels = np.array([0, 1, 2] * 3 + [0, 1])
    assert accuracy(model, x, labels) == pytest.approx(np.mean(pred == labels))


# ----------------------------------------------------------------------------- per channel
def test_channel_classifier_reads_the_channels_as_a_base_k_number():
    torch.manual_seed(0)
    digit = ImageClassifier((1, 8, 8), 10, width=4, feature_dim=8).eval()
    stacked = ChannelClassifier(digit, channels=3)
    assert stacked.n_classes == 1000 and stacked.image_shape == (3, 8, 8)
    x = np.random.default_rng(1).uniform(-1, 1, (7, 3, 8, 8)).astype(np.float32)
    per_channel = np.stack([digit.predict(x[:, c:c + 1]) for c in range(3)], axis=1)  # (7, 3)
    np.testing.assert_array_equal(stacked.channel_predict(x), per_channel)
    np.testing.assert_array_equal(stacked.predict(x), 100 * per_channel[:, 0] + 10 * per_channel[:, 1]
                                  + per_channel[:, 2])
    want = np.concatenate([digit.features(x[:, c:c + 1]) for c in range(3)], axis=1)  # (7, 24)
    torch.testing.assert_close(stacked.features(x), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(ChannelClassifier(digit, 2).stack_labels(np.array([[9, 9], [0, 7]])), [99, 7])


def test_channel_classifier_needs_a_single_channel_classifier():
    with pytest.raises(ValueError, match="single-channel"):
        ChannelClassifier(ImageClassifier((3, 8, 8)), channels=3)


# ----------------------------------------------------------------------------- the cache key
def test_data_hash_moves_with_the_data_and_the_recipe_only():
    data = _tiny_images()
    key = data_hash(data, 2, 0)
    assert data_hash(_tiny_images(), 2, 0) == key and len(key) == 12
    assert data_hash(data, 3, 0) != key and data_hash(data, 2, 1) != key
    flipped = _tiny_images()
    flipped.test_labels = flipped.test_labels.copy()
    flipped.test_labels[0] = 1 - flipped.test_labels[0]  # one label of the test split
    assert data_hash(flipped, 2, 0) != key


def test_cache_file_name_is_safe_and_uses_the_default_epochs(tmp_path, digits):
    data = _tiny_images()
    data.name = "../up/my set.npy"
    path = classifier_path(data, tmp_path, epochs=1)
    assert path.parent == tmp_path and path.name.startswith("classifier-my_set.npy-")
    assert classifier_path(digits, tmp_path) == classifier_path(digits, tmp_path, epochs=DEFAULT_EPOCHS["digits"])
    assert classifier_path(data, tmp_path) == classifier_path(data, tmp_path, epochs=FALLBACK_EPOCHS)


def test_labelled_splits_are_required():
    data = _tiny_images()
    data.test_labels = None
    with pytest.raises(ValueError, match="dataset 'tiny' has no test_labels"):
        check_labelled_images(data)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        train_classifier(_tiny_images(), epochs=0)


def test_training_leaves_the_thread_count_alone():
    data, before = _tiny_images(), torch.get_num_threads()
    model, acc = train_classifier(data, epochs=1, threads=before + 1)
    assert torch.get_num_threads() == before
    assert not model.training and acc == model.test_accuracy
    assert acc == pytest.approx(np.mean(model.predict(data.test) == data.test_labels))
