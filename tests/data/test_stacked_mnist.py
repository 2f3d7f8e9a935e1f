"""``stacked-mnist``: three mnist-5k digits as R, G, B (1,000 modes); ``stacked-mnist-full`` from IDX MNIST."""

from __future__ import annotations

import numpy as np
import pytest

from distmatch.data import IMAGE_NAMES, dataset_descriptions, get_dataset
from distmatch.data.errors import DataError
from distmatch.data.identity import dataset_identity
from distmatch.data.images import IDX_FILES, write_idx
from distmatch.data.stacked_mnist import (
    N_TEST,
    N_TRAIN,
    stack_digits,
    stack_labels,
)
from distmatch.metrics.toy import kl_to_uniform



@pytest.fixture(scope="module")
def stacked(stacked_mnist):
    return stacked_mnist

@pytest.fixture(scope="module")
def digits(stacked):
    return stacked.channel_digits


def test_shape_range_and_sizes(stacked):
    assert stacked.name == "stacked-mnist" and stacked.kind == "image" and stacked.shape == (3, 28, 28)
    assert stacked.train.shape == (N_TRAIN, 3, 28, 28) and stacked.test.shape == (N_TEST, 3, 28, 28)
    assert stacked.train.dtype == np.float32 and stacked.test.dtype == np.float32
    assert stacked.labels.dtype == np.int64 and stacked.test_labels.dtype == np.int64
    # the source's range: [-1, 1] like every image set, background at -1
    assert stacked.train.min() == -1.0 and stacked.train.max() == 1.0
    assert stacked.test.min() >= -1.0 and stacked.test.max() <= 1.0
    assert (stacked.train[:1000] == -1.0).mean() > 0.7
    assert stacked.labels.min() >= 0 and stacked.labels.max() <= 999
    assert stacked.channel_digits.name == "mnist-5k" and stacked.channel_digits.shape == (1, 28, 28)


def test_every_channel_is_the_source_digit_it_came_from(stacked, digits):
    rows = np.random.default_rng(0).choice(N_TRAIN, 300, replace=False)
    for i in rows:
        idx = stacked.train_index[i]
        for c in range(3):
            np.testing.assert_array_equal(stacked.train[i, c], digits.train[idx[c], 0])
        d_r, d_g, d_b = digits.labels[idx]
        assert stacked.labels[i] == 100 * d_r + 10 * d_g + d_b
    for i in range(200):  # test stacks come from the held-out digits only
        idx = stacked.test_index[i]
        for c in range(3):
            np.testing.assert_array_equal(stacked.test[i, c], digits.test[idx[c], 0])
        assert stacked.test_labels[i] == stack_labels(digits.test_labels[idx][None])[0]
    assert stacked.test_index.max() < len(digits.test)


def test_channels_are_drawn_independently(stacked, digits):
    r, g, b = (digits.labels[stacked.train_index[:, c]] for c in range(3))
    np.testing.assert_array_equal(stacked.labels, 100 * r + 10 * g + b)
    assert abs(np.corrcoef(r, g)[0, 1]) < 0.02 and abs(np.corrcoef(g, b)[0, 1]) < 0.02
    assert not np.array_equal(stacked.train_index[:, 0], stacked.train_index[:, 1])


def test_labels_cover_all_modes_nearly_uniformly(stacked):
    train_counts = np.bincount(stacked.labels, minlength=1000)
    assert np.count_nonzero(train_counts) == 1000
    assert kl_to_uniform(train_counts) < 0.02  # sampling noise alone: ~999 / (2 * 50,000) = 0.01
    assert np.count_nonzero(np.bincount(stacked.test_labels, minlength=1000)) >= 995


def test_deterministic_for_a_seed(stacked, digits):
    again = get_dataset("stacked-mnist")  # registered: always seed 0, whatever the run's seed
    np.testing.assert_array_equal(again.train_index, stacked.train_index)
    np.testing.assert_array_equal(again.test_labels, stacked.test_labels)
    np.testing.assert_array_equal(again.train[:50], stacked.train[:50])
    assert dataset_identity(again) == dataset_identity(stacked)
    a, b = stack_digits(digits, 500, 100, seed=3), stack_digits(digits, 500, 100, seed=3)
    np.testing.assert_array_equal(a.train, b.train)
    np.testing.assert_array_equal(a.test_labels, b.test_labels)
    other = stack_digits(digits, 500, 100, seed=4)
    assert not np.array_equal(other.train_index, a.train_index)
    assert dataset_identity(other) != dataset_identity(a)
    # the training size does not move the test stacks (separate streams)
    np.testing.assert_array_equal(stack_digits(digits, 900, 100, seed=3).test_index, a.test_index)


def test_identity_differs_from_the_source_and_is_a_content_hash(stacked, digits):
    ident = dataset_identity(stacked)
    assert ident.startswith("stacked-mnist@sha256:") and ident != dataset_identity(digits)


def test_stack_labels_reads_digits_as_a_number():
    np.testing.assert_array_equal(stack_labels(np.array([[7, 9, 5], [0, 0, 1], [9, 9, 9]])), [795, 1, 999])


def test_rejects_multichannel_or_unlabelled_sources(stacked):
    with pytest.raises(DataError, match="single-channel"):
        stack_digits(stacked, 10, 10)
    from distmatch.data.base import Dataset

    bare = Dataset(name="x", kind="image", shape=(1, 4, 4), train=np.zeros((3, 1, 4, 4), np.float32))
    with pytest.raises(DataError, match="labelled"):
        stack_digits(bare, 10, 10)


def test_registered_and_resolved_as_a_colour_dcgan_run(stacked):
    from distmatch.config import RunConfig, resolve

    assert {"stacked-mnist", "stacked-mnist-full"} <= set(IMAGE_NAMES)
    assert "1,000 modes" in dataset_descriptions()["stacked-mnist"]
    cfg = resolve(RunConfig(objective="nonsaturating", dataset="stacked-mnist"), stacked)
    assert cfg.model == "dcgan" and cfg.width == 64


def _fake_idx_mnist(folder, n_train=40, n_test=20):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        write_idx(folder / IDX_FILES[f"{split}_images"], (rng.random((n, 28, 28)) > 0.8).astype(np.uint8) * 255)
        write_idx(folder / IDX_FILES[f"{split}_labels"], (np.arange(n) % 10).astype(np.uint8))
    return folder


def test_full_variant_stacks_the_idx_files(tmp_path):
    data = _fake_idx_mnist(tmp_path / "mnist")
    full = get_dataset("stacked-mnist-full", str(data))
    assert full.shape == (3, 28, 28) and full.channel_digits.name == "mnist" and len(full.train) == N_TRAIN
    i = 7
    np.testing.assert_array_equal(full.train[i, 2], full.channel_digits.train[full.train_index[i, 2], 0])
    with pytest.raises(DataError, match="distmatch data fetch mnist"):
        get_dataset("stacked-mnist-full", str(tmp_path / "empty"))
