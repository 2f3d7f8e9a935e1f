import numpy as np
import pytest

from distmatch.data import DataError, get_dataset
from distmatch.metrics.toy import nearest_mode


@pytest.mark.parametrize("name,k,radius_or_extent,std", [
    ("8gaussians", 8, 2 / 1.414, 0.02 / 1.414),
    ("ring", 8, 1.0, 0.01),
    ("25gaussians", 25, 4 / 2.828, 0.05 / 2.828),
    ("grid", 25, 4.0, 0.05),
])
def test_toy_modes_match_references(name, k, radius_or_extent, std):
    ds = get_dataset(name)
    centers = ds.centers.astype(np.float64)
    assert centers.shape == (k, 2)
    assert len(np.unique(np.round(centers, 6), axis=0)) == k  # no repeated end point (7-mode ring bug)
    if k == 8:
        np.testing.assert_allclose(np.linalg.norm(centers, axis=1), radius_or_extent, rtol=1e-6)
    else:
        np.testing.assert_allclose(np.abs(centers).max(), radius_or_extent, rtol=1e-6)
    assert ds.std == pytest.approx(std)
    x = ds.sample(20000, np.random.default_rng(0)).astype(np.float64)
    idx, _ = nearest_mode(x, centers)
    resid = x - centers[idx]
    assert resid.std() == pytest.approx(std, rel=0.05)  # samples spread by the stated std
    counts = np.bincount(idx, minlength=k)
    assert counts.min() > 0.7 * 20000 / k  # roughly equal weights


def test_swissroll_scale_and_determinism():
    ds = get_dataset("swissroll")
    a = ds.sample(500, np.random.default_rng(3))
    b = ds.sample(500, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (500, 2) and np.abs(a).max() < 2.5  # make_swiss_roll radius <= ~15, / 7.5
    assert ds.centers is None


def test_unknown_dataset_lists_choices():
    with pytest.raises(DataError, match="8gaussians"):
        get_dataset("9gaussians")
