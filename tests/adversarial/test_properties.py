"""Property tests: the point-file reader and the settings validation never crash and never guess."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from hypothesis.extra.numpy import arrays

from distmatch import settings
from distmatch.data import DataError
from distmatch.data.files import load_points

FAST = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
finite32 = st.floats(-2.0**100, 2.0**100, allow_nan=False, allow_infinity=False, width=32)


def _rows(a: np.ndarray) -> np.ndarray:
    """Rows in lexicographic order (the loader shuffles them into a train/test split)."""
    return a[np.lexsort(a.T[::-1])]


def _load(name: str, content: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        return load_points(path, test_fraction=0.0).train


@FAST
@given(arrays(np.float32, st.tuples(st.integers(2, 30), st.integers(1, 4)), elements=finite32),
       st.booleans(), st.booleans())
def test_csv_round_trip(points, header, bom):
    lines = ([",".join(f"c{j}" for j in range(points.shape[1]))] if header else [])
    lines += [",".join(repr(float(v)) for v in row) for row in points]
    content = ("\ufeff" if bom else "") + "\n".join(lines) + "\n"
    np.testing.assert_array_equal(_rows(_load("p.csv", content.encode())), _rows(points))


@FAST
@given(arrays(st.sampled_from([np.float32, np.float64, np.int32, np.int64]),
              st.tuples(st.integers(2, 30), st.integers(1, 4)), elements=st.integers(-1000, 1000)))
def test_npy_round_trip(points):
    import io
    buf = io.BytesIO()
    np.save(buf, points)
    np.testing.assert_array_equal(_rows(_load("p.npy", buf.getvalue())), _rows(points.astype(np.float32)))


@FAST
@given(st.binary(max_size=300), st.sampled_from(["p.csv", "p.npy"]))
def test_any_bytes_give_points_or_a_data_error(content, name):
    try:
        points = _load(name, content)
    except DataError as exc:
        assert "\n" not in str(exc) and "p." in str(exc)
        return
    assert points.ndim == 2 and points.dtype == np.float32 and np.all(np.isfinite(points))


@FAST
@given(st.sampled_from([np.nan, np.inf, -np.inf, 1e39, -1e39]), st.integers(0, 9), st.integers(0, 1))
def test_non_finite_or_overflowing_values_are_refused(bad, row, col):
    points = np.zeros((10, 2))
    points[row, col] = bad
    lines = "\n".join(",".join(repr(float(v)) for v in r) for r in points)
    with pytest.raises(DataError):
        _load("p.csv", lines.encode())


NUMERIC = [name for name, s in settings.SETTINGS.items() if s.kind in (int, float)]
anything = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=12),
                     st.lists(st.floats(), max_size=3))


@FAST
@given(st.sampled_from(sorted(settings.SETTINGS)), anything)
def test_coerce_accepts_valid_values_or_raises_a_setting_error(name, value):
    spec = settings.SETTINGS[name]
    try:
        out = settings.coerce(name, value)
    except settings.SettingError as exc:
        assert name in str(exc) and "\n" not in str(exc)
        return
    if out is None:
        assert spec.optional
    elif spec.kind in (int, float):
        assert isinstance(out, spec.kind) and not isinstance(out, bool) and math.isfinite(out)
        assert spec.low <= out <= spec.high and not (spec.low_open and out == spec.low)
    elif spec.kind in (list, tuple):
        assert all(math.isfinite(v) and spec.low <= v <= spec.high for v in out)
    elif spec.choices:
        assert out in spec.choices


@FAST
@given(st.sampled_from(NUMERIC), st.floats(allow_nan=False, allow_infinity=False))
def test_values_in_range_are_honoured_exactly(name, value):
    spec = settings.SETTINGS[name]
    if spec.kind is int:
        value = float(round(value))
    inside = spec.low <= value <= spec.high and not (spec.low_open and value == spec.low)
    if inside:
        assert settings.coerce(name, repr(value)) == value
        assert settings.check(name, value) == value
    else:
        with pytest.raises(settings.SettingError):
            settings.check(name, value)


def test_lr_zero_is_refused_not_replaced():
    from distmatch.config import RunConfig, resolve
    from distmatch.data import get_dataset
    with pytest.raises(settings.SettingError, match="lr"):
        resolve(RunConfig(lr=0.0), get_dataset("ring"))
    assert resolve(RunConfig(critic_steps=0, objective="minimax"), get_dataset("ring")).critic_steps == 0
