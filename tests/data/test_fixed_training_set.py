"""A fixed training set served in epochs."""

import numpy as np
import pytest

from distmatch.data import get_dataset
from distmatch.data.fixed import FixedTrainingSet


def test_each_epoch_serves_every_point_once_in_a_new_order():
    ds = get_dataset("ring")
    train = FixedTrainingSet(ds, 50, seed=3)
    first, second = train.next(50), train.next(50)
    key = lambda a: sorted(map(tuple, a.round(12)))  # noqa: E731
    assert key(first) == key(train.points) == key(second)
    assert not np.array_equal(first, second)
    assert train.epochs == 2.0


def test_batches_cross_epochs_and_the_position_is_the_whole_state():
    ds = get_dataset("grid")
    a = FixedTrainingSet(ds, 30, seed=1)
    batches = [a.next(7) for _ in range(10)]  # 70 points: crosses two epoch boundaries
    b = FixedTrainingSet(ds, 30, seed=1)
    b.position = 21
    np.testing.assert_array_equal(np.concatenate([b.next(7) for _ in range(7)]), np.concatenate(batches[3:]))


def test_the_set_depends_on_the_seed_only():
    ds = get_dataset("ring")
    np.testing.assert_array_equal(FixedTrainingSet(ds, 20, 5).points, FixedTrainingSet(ds, 20, 5).points)
    assert not np.array_equal(FixedTrainingSet(ds, 20, 5).points, FixedTrainingSet(ds, 20, 6).points)
    with pytest.raises(ValueError):
        FixedTrainingSet(ds, 0, 0)
