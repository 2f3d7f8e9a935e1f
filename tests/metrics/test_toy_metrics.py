import math

import numpy as np
import pytest

from distmatch.metrics.toy import mode_metrics, reverse_kl

CENTERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
STD = 0.01


def test_perfect_samples():
    m = mode_metrics(np.repeat(CENTERS, 5, axis=0), CENTERS, STD)
    assert m == {"modes": 4, "n_modes": 4, "hq": 100.0, "rkl": 0.0}


def test_one_mode_collapsed():
    m = mode_metrics(np.zeros((10, 2)), CENTERS, STD)
    assert m["modes"] == 1 and m["hq"] == 100.0
    assert m["rkl"] == pytest.approx(math.log(4))


def test_hand_computed_mixture():
    # 3 at mode 0, 1 at mode 1 (each within 3 std), 1 at 2.9 std of mode 2, 1 at 3.1 std (low quality)
    x = np.array([[0, 0], [0, 0], [0.02, 0], [1, 0], [0, 1 - 0.029], [1, 1 - 0.031]])
    m = mode_metrics(x, CENTERS, STD)
    assert m["modes"] == 3
    assert m["hq"] == pytest.approx(100 * 5 / 6)
    p = np.array([3, 1, 1]) / 5
    assert m["rkl"] == pytest.approx(float(np.sum(p * np.log(p * 4))))


def test_no_high_quality_sample_gives_nan_kl():
    m = mode_metrics(np.full((5, 2), 0.5), CENTERS, STD)
    assert m["modes"] == 0 and m["hq"] == 0.0 and math.isnan(m["rkl"])
    assert math.isnan(reverse_kl(np.zeros(4, dtype=int)))
