"""IDX reader/writer, MNIST-style loader on tiny fake files, sklearn digits."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from distmatch.data import IMAGE_NAMES, get_dataset
from distmatch.data.errors import DataError
from distmatch.data.images import IDX_FILES, load_digits_dataset, load_idx_dataset, read_idx, write_idx
from distmatch.data.registry import DATASETS, names
from distmatch.data.paths import DATA_ENV


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path, suffix, dtype):
    arr = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    if dtype == np.uint8:
        arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, arr)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_idx_is_big_endian(tmp_path):
    write_idx(tmp_path / "x", np.array([1, 256], dtype=np.int32))
    raw = (tmp_path / "x").read_bytes()
    assert raw[:4] == bytes([0, 0, 0x0C, 1]) and raw[4:8] == (2).to_bytes(4, "big")
    assert raw[8:] == (1).to_bytes(4, "big") + (256).to_bytes(4, "big")


def test_gzip_detected_by_content(tmp_path):
    write_idx(tmp_path / "x.gz", np.arange(5, dtype=np.uint8))
    (tmp_path / "x.gz").rename(tmp_path / "x-no-suffix")
    np.testing.assert_array_equal(read_idx(tmp_path / "x-no-suffix"), np.arange(5, dtype=np.uint8))


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(DataError, match="nope"):
        read_idx(tmp_path / "nope")


@pytest.mark.parametrize("payload", [b"\x01\x00\x08\x01" + b"\x00\x00\x00\x01\x05",  # bad zero bytes
                                     b"\x00\x00\x07\x01" + b"\x00\x00\x00\x01\x05",  # bad dtype code
                                     b"PK\x03\x04", b""])
def test_read_idx_bad_magic(tmp_path, payload):
    (tmp_path / "bad").write_bytes(payload)
    with pytest.raises(DataError, match="bad"):
        read_idx(tmp_path / "bad")


def test_read_idx_truncated_and_oversized(tmp_path):
    write_idx(tmp_path / "ok", np.zeros((4, 5), dtype=np.uint8))
    raw = (tmp_path / "ok").read_bytes()
    (tmp_path / "short").write_bytes(raw[:-3])
    with pytest.raises(DataError, match="short.*truncated"):
        read_idx(tmp_path / "short")
    (tmp_path / "header").write_bytes(raw[:6])
    with pytest.raises(DataError, match="header.*truncated"):
        read_idx(tmp_path / "header")
    (tmp_path / "long").write_bytes(raw + b"\x00")
    with pytest.raises(DataError, match="long.*mismatch"):
        read_idx(tmp_path / "long")
    (tmp_path / "short.gz").write_bytes(gzip.compress(raw[:-1]))
    with pytest.raises(DataError, match="short.gz"):
        read_idx(tmp_path / "short.gz")


def test_read_idx_corrupt_gzip(tmp_path):
    (tmp_path / "c.gz").write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(DataError, match="c.gz"):
        read_idx(tmp_path / "c.gz")


def _fake_mnist(folder, n_train=12, n_test=5, gz=False, seed=0):
    """Write the four IDX files with random ubyte images; returns the raw arrays."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
              "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8)}
    arrays["train_images"][0, 0, :2] = [0, 255]  # make both ends of the range present
    for key, arr in arrays.items():
        write_idx(folder / (IDX_FILES[key] + (".gz" if gz else "")), arr)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_loader_scales_to_unit_range(tmp_path, gz):
    raw = _fake_mnist(tmp_path, gz=gz)
    ds = load_idx_dataset("mnist", tmp_path)
    assert ds.kind == "image" and ds.shape == (1, 28, 28) and ds.name == "mnist"
    assert ds.train.shape == (12, 1, 28, 28) and ds.test.shape == (5, 1, 28, 28)
    assert ds.train.dtype == np.float32 and ds.labels.dtype == np.int64
    assert ds.train.min() == -1.0 and ds.train.max() == 1.0
    np.testing.assert_allclose(ds.train[:, 0], raw["train_images"] / 127.5 - 1.0, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(ds.test_labels, raw["test_labels"])


@pytest.mark.parametrize("layout", ["fashion-mnist", "FashionMNIST/raw"])
def test_fashion_layouts(tmp_path, layout):
    _fake_mnist(tmp_path / layout, gz=True)
    ds = load_idx_dataset("fashion-mnist", tmp_path)
    assert ds.name == "fashion-mnist" and len(ds.train) == 12


def test_torchvision_mnist_layout(tmp_path):
    _fake_mnist(tmp_path / "MNIST" / "raw")
    assert len(get_dataset("mnist", tmp_path).test) == 5


def test_missing_file_names_file_dir_and_source(tmp_path):
    _fake_mnist(tmp_path)
    (tmp_path / IDX_FILES["test_labels"]).unlink()
    with pytest.raises(DataError) as info:
        load_idx_dataset("mnist", tmp_path)
    msg = str(info.value)
    assert IDX_FILES["test_labels"] in msg and str(tmp_path) in msg and "mnist" in msg.lower()
    assert "ossci-datasets" in msg and "\n" not in msg
    assert f"distmatch data fetch mnist --to {tmp_path}" in msg


def test_missing_fashion_points_to_zalando(tmp_path):
    with pytest.raises(DataError, match="zalandoresearch"):
        load_idx_dataset("fashion-mnist", tmp_path)


def test_label_count_mismatch(tmp_path):
    _fake_mnist(tmp_path)
    write_idx(tmp_path / IDX_FILES["train_labels"], np.zeros(11, dtype=np.uint8))
    with pytest.raises(DataError, match="11 labels.*12 images"):
        load_idx_dataset("mnist", tmp_path)


def test_wrong_image_shape(tmp_path):
    _fake_mnist(tmp_path)
    write_idx(tmp_path / IDX_FILES["test_images"], np.zeros((5, 8, 8), dtype=np.uint8))
    with pytest.raises(DataError, match="28, 28"):
        load_idx_dataset("mnist", tmp_path)


def test_unknown_names(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "empty"))
    with pytest.raises(DataError, match="unknown"):
        load_idx_dataset("cifar", tmp_path)
    with pytest.raises(DataError, match="unknown"):
        get_dataset("cifar")
    with pytest.raises(DataError, match="distmatch data fetch mnist"):
        get_dataset("mnist")


def test_digits_dataset():
    ds = load_digits_dataset()
    assert ds.name == "digits" and ds.kind == "image" and ds.shape == (1, 8, 8)
    assert ds.train.shape == (1437, 1, 8, 8) and ds.test.shape == (360, 1, 8, 8)
    assert ds.train.dtype == np.float32 and ds.test.dtype == np.float32
    assert ds.train.min() == -1.0 and ds.train.max() == 1.0
    assert len(ds.labels) == 1437 and len(ds.test_labels) == 360
    # stratified: every class appears in the test split in proportion (±1 image)
    np.testing.assert_allclose(np.bincount(ds.test_labels, minlength=10), np.bincount(ds.labels) / 4, atol=1.5)


def test_digits_split_is_deterministic():
    a, b, c = load_digits_dataset(seed=0), load_digits_dataset(seed=0), load_digits_dataset(seed=1)
    np.testing.assert_array_equal(a.test, b.test)
    assert not np.array_equal(a.test, c.test)
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits_dataset(test_fraction=1.5)


def test_registry_lists_all():
    assert {"digits", "mnist", "fashion-mnist", "mnist-5k"} <= set(IMAGE_NAMES) == set(names("image"))
    assert set(names("toy")) == {"8gaussians", "25gaussians", "ring", "grid", "swissroll"}
    assert all(isinstance(e.description, str) and "\n" not in e.description for e in DATASETS.values())


def test_every_toy_is_built_with_its_registry_description():
    for name in names("toy"):
        ds = get_dataset(name)
        assert (ds.name, ds.kind, ds.description) == (name, "toy", DATASETS[name].description)


# ----------------------------------------------------------------------------- default folder
def test_default_dir_is_the_fetch_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    _fake_mnist(tmp_path / "fashion-mnist", gz=True)
    for ds in (load_idx_dataset("fashion-mnist"), get_dataset("fashion-mnist")):
        assert ds.name == "fashion-mnist" and ds.train.shape == (12, 1, 28, 28)


def test_default_dir_missing_says_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    _fake_mnist(tmp_path)  # files in the root, not in root/mnist: not looked at without --data-dir
    with pytest.raises(DataError) as info:
        get_dataset("mnist")
    msg = str(info.value)
    assert "\n" not in msg and str(tmp_path / "mnist") in msg and "no --data-dir" in msg
    assert "run `distmatch data fetch mnist`" in msg and IDX_FILES["train_images"] in msg


def test_run_without_data_dir_is_one_line_error(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from distmatch.cli import cli

    monkeypatch.setenv(DATA_ENV, str(tmp_path / "none"))
    result = CliRunner().invoke(cli, ["run", "--dataset", "mnist", "--out", str(tmp_path / "run")])
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and "distmatch data fetch mnist" in lines[0]
    assert not (tmp_path / "run").exists()


# ----------------------------------------------------------------------------- corrupt .gz IDX files
def _gz_variants(raw: bytes) -> dict[str, bytes]:
    """Broken .gz versions of a valid IDX payload ``raw``."""
    good = gzip.compress(raw, mtime=0)
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    flipped[len(good) // 2 + 1] ^= 0x55
    return {"truncated": good[: len(good) // 2],
            "bitflip": bytes(flipped),
            "badblock": good[:10] + b"\xff" + good[11:],  # reserved deflate block type: zlib.error
            "crc": good[:-8] + b"\x00" * 8,
            "badmagic": gzip.compress(b"\x00\x01" + raw[2:]),
            "short": gzip.compress(raw[:-10]),
            "long": gzip.compress(raw + b"\x00" * 3),
            "empty": gzip.compress(b"")}


@pytest.mark.parametrize("kind", ["truncated", "bitflip", "badblock", "crc", "badmagic", "short", "long", "empty"])
def test_corrupt_gz_idx_is_one_line_data_error(tmp_path, kind):
    write_idx(tmp_path / "ok", np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28))
    path = tmp_path / f"{kind}-idx3-ubyte.gz"
    path.write_bytes(_gz_variants((tmp_path / "ok").read_bytes())[kind])
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("kind", ["truncated", "badblock", "badmagic", "short"])
def test_corrupt_train_images_through_loader_and_cli(tmp_path, monkeypatch, kind):
    from click.testing import CliRunner

    from distmatch.cli import cli

    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    folder = tmp_path / "mnist"
    _fake_mnist(folder, gz=True)
    target = folder / (IDX_FILES["train_images"] + ".gz")
    target.write_bytes(_gz_variants(gzip.decompress(target.read_bytes()))[kind])
    with pytest.raises(DataError, match=IDX_FILES["train_images"]):
        load_idx_dataset("mnist")
    result = CliRunner().invoke(cli, ["run", "--dataset", "mnist", "--out", str(tmp_path / "run")])
    lines = result.output.strip().splitlines()
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
    assert len(lines) == 1 and lines[0].startswith("Error:") and str(target) in lines[0]


def test_an_empty_test_split_is_refused(tmp_path):
    _fake_mnist(tmp_path, n_test=0)
    with pytest.raises(DataError, match="holds no images"):
        load_idx_dataset("mnist", tmp_path)
