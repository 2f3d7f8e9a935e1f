"""distmatch.data.files: user point sets from .npy / .csv, validated before training, split into
train and test, and identified by their resolved path plus a hash of their bytes."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from distmatch.data import DataError, get_dataset
from distmatch.data.files import FLOAT32_MAX, load_points, validate_points
from distmatch.data.identity import SEP


def _rows(a: np.ndarray) -> np.ndarray:
    """Rows in lexicographic order (the loader shuffles them into a train/test split)."""
    return a[np.lexsort(a.T[::-1])]


# ----------------------------------------------------------------------------- moved from test_toy_data.py
def test_npy_and_csv_points(tmp_path):
    pts = np.random.default_rng(0).normal(size=(50, 3))
    np.save(tmp_path / "p.npy", pts)
    np.savetxt(tmp_path / "p.csv", pts, delimiter=",", header="a,b,c", comments="")
    for name in ("p.npy", "p.csv"):
        ds = get_dataset(str(tmp_path / name))
        assert ds.kind == "points" and ds.shape == (3,)
        allpts = np.concatenate([ds.train, ds.test])
        np.testing.assert_allclose(np.sort(allpts, axis=0), np.sort(pts, axis=0).astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("content,match", [
    (None, "no such file"),
    ("", "empty"),
    ("1,2\n3,nan\n", "NaN"),
    ("1,2\n3\n", "ragged"),
    ("1,2\na,b\n", "non-numeric"),
])
def test_bad_csv(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError, match=match):
        get_dataset(str(path))


def test_bad_npy_shapes(tmp_path):
    np.save(tmp_path / "one.npy", np.arange(5.0))
    with pytest.raises(DataError, match="2-D"):
        get_dataset(str(tmp_path / "one.npy"))
    np.save(tmp_path / "inf.npy", np.array([[1.0, np.inf], [0, 0]]))
    with pytest.raises(DataError, match="infinite"):
        get_dataset(str(tmp_path / "inf.npy"))



# ----------------------------------------------------------------------------- the split and the identity
@pytest.mark.parametrize("n,fraction,n_test", [(50, 0.2, 10), (11, 0.25, 3), (9, 0.5, 0), (40, 0.0, 0)])
def test_split_sizes_and_every_row_kept_once(tmp_path, n, fraction, n_test):
    pts = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
    np.save(tmp_path / "p.npy", pts)
    ds = load_points(tmp_path / "p.npy", test_fraction=fraction, seed=1)
    assert len(ds.train) == n - n_test
    assert (ds.test is None) == (n_test == 0) and (ds.test is None or len(ds.test) == n_test)
    parts = [ds.train] + ([ds.test] if ds.test is not None else [])
    np.testing.assert_array_equal(_rows(np.concatenate(parts)), pts)  # a permutation: nothing lost or doubled


def test_split_depends_on_the_seed_only(tmp_path):
    np.save(tmp_path / "p.npy", np.random.default_rng(0).normal(size=(30, 2)))
    a, b = load_points(tmp_path / "p.npy", seed=3), load_points(tmp_path / "p.npy", seed=3)
    np.testing.assert_array_equal(a.test, b.test)
    assert not np.array_equal(load_points(tmp_path / "p.npy", seed=4).test, a.test)


def test_source_id_is_the_resolved_path_and_a_sha256_of_the_bytes(tmp_path, monkeypatch):
    path = tmp_path / "p.csv"
    path.write_text("x,y\n1,2\n3,4\n")
    monkeypatch.chdir(tmp_path)
    ds = load_points("p.csv")  # a relative name resolves to the same file
    assert ds.source_id == f"{path.resolve()}{SEP}{hashlib.sha256(path.read_bytes()).hexdigest()}"
    assert ds.kind == "points" and ds.name == "p.csv" and ds.description == "user points (2, 2)"
    path.write_text("x,y\n1,2\n3,5\n")
    assert load_points(path).source_id != ds.source_id


def test_csv_header_comments_bom_and_crlf(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("\ufeff# exported\r\na,b\r\n1.5, -2\r\n\r\n# note\r\n3e2,4\r\n".encode())
    ds = load_points(path, test_fraction=0.0)
    np.testing.assert_array_equal(_rows(ds.train), np.array([[1.5, -2.0], [300.0, 4.0]], np.float32))
    assert ds.train.dtype == np.float32


@pytest.mark.parametrize("content,message", [
    ("a,b\n", "header line but no data rows"),
    ("# only a comment\n", "empty"),
    ("1,2\n3,4,5\n", "line 2 has 3 columns, the first data row has 2"),
    ("1,2\n3,x\n", "line 2: non-numeric value 'x'"),
])
def test_csv_refusals_name_the_line(tmp_path, content, message):
    path = tmp_path / "p.csv"
    path.write_text(content)
    with pytest.raises(DataError) as exc:
        load_points(path)
    assert message in str(exc.value) and str(path) in str(exc.value) and "\n" not in str(exc.value)


def test_non_utf8_csv_and_unsupported_suffix(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes("x,y\n1,2\n3,4\n".encode("utf-16"))
    with pytest.raises(DataError, match="not UTF-8 text"):
        load_points(path)
    (tmp_path / "p.txt").write_text("1,2\n3,4\n")
    with pytest.raises(DataError, match=r"unsupported file type '\.txt'"):
        load_points(tmp_path / "p.txt")


class _Hostile:
    def __init__(self, flag):
        self.flag = str(flag)

    def __reduce__(self):
        return (open, (self.flag, "w"))


def test_npy_is_never_unpickled_and_npz_is_refused(tmp_path):
    flag = tmp_path / "pwned"
    np.save(tmp_path / "o.npy", np.array([[_Hostile(flag), 1]], dtype=object), allow_pickle=True)
    with pytest.raises(DataError):
        load_points(tmp_path / "o.npy")
    assert not flag.exists()
    with open(tmp_path / "z.npy", "wb") as fh:
        np.savez(fh, a=np.zeros((4, 2)))
    with pytest.raises(DataError, match=r"\.npz archive"):
        load_points(tmp_path / "z.npy")


def test_validate_points_limits():
    ok = validate_points(np.array([[0.0, FLOAT32_MAX], [-FLOAT32_MAX, 1.0]]), "src")
    assert ok.dtype == np.float32 and np.isfinite(ok).all()  # the float32 range itself is accepted
    with pytest.raises(DataError, match="exceed the float32 range"):
        validate_points(np.array([[0.0, 1e39], [0.0, 0.0]]), "src")
    with pytest.raises(DataError, match="at least 2 points"):
        validate_points(np.zeros((1, 3)), "src")
    with pytest.raises(DataError, match="at least 2 points and 1 dimension"):
        validate_points(np.zeros((4, 0)), "src")
    with pytest.raises(DataError, match="3 NaN or infinite"):
        validate_points(np.array([[np.nan, np.inf], [-np.inf, 0.0]]), "src")
    with pytest.raises(DataError, match="complex"):
        validate_points(np.zeros((3, 2), np.complex64), "src")
    with pytest.raises(DataError, match="expected real numbers"):
        validate_points(np.array([["a", "b"], ["c", "d"]]), "src")
