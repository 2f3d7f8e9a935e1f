"""distmatch.data.identity: what names a dataset in run keys, directories and resume checks; a content
hash that moves with every byte of the data and with nothing else."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from distmatch.data import get_dataset
from distmatch.data.base import Dataset
from distmatch.data.files import load_points
from distmatch.data.identity import (
    SEP,
    array_digest,
    dataset_identity,
    dataset_label,
    file_digest,
)


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_file_digest_is_sha256_of_the_bytes_in_any_chunk_size(tmp_path, chunk):
    data = np.random.default_rng(0).bytes(1000)
    (tmp_path / "f.bin").write_bytes(data)
    assert file_digest(tmp_path / "f.bin", chunk=chunk) == hashlib.sha256(data).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert file_digest(tmp_path / "empty", chunk=chunk) == hashlib.sha256(b"").hexdigest()


def test_array_digest_changes_with_one_byte_and_not_otherwise():
    a = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    digest = array_digest(a)
    assert array_digest(a.copy()) == digest  # equal content, another buffer
    assert array_digest(np.asfortranarray(a)) == digest  # memory layout does not matter
    assert array_digest(a, None) == digest  # None arrays are skipped
    for flat_index in (0, 31, a.size - 1):
        for byte in range(4):
            b = a.copy()
            b.view(np.uint8).reshape(-1)[4 * flat_index + byte] ^= 1  # flip one bit of one byte
            assert array_digest(b) != digest


def test_array_digest_covers_dtype_shape_and_order_of_arrays():
    a = np.arange(12, dtype=np.int32)
    assert array_digest(a) != array_digest(a.reshape(3, 4))  # same bytes, another shape
    assert array_digest(a) != array_digest(a.view(np.float32))  # same bytes, another dtype
    b = np.ones(3, np.float32)
    assert array_digest(a, b) != array_digest(b, a)
    assert array_digest(a[::2]) == array_digest(np.ascontiguousarray(a[::2]))  # a strided view hashes its values
    h = hashlib.sha256()
    h.update(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.tobytes())
    assert array_digest(a) == h.hexdigest()  # the documented recipe: dtype, shape, bytes


def test_dataset_identity_of_toys_arrays_and_files():
    assert dataset_identity(get_dataset("ring")) == "ring"  # generated: its name
    train, test = np.zeros((4, 2), np.float32), np.ones((2, 2), np.float32)
    arrays = Dataset(name="mine", kind="points", shape=(2,), train=train, test=test)
    assert dataset_identity(arrays) == f"mine{SEP}{array_digest(train, test)}"
    train[0, 0] = 1.0
    assert dataset_identity(arrays) != f"mine{SEP}{array_digest(np.zeros((4, 2), np.float32), test)}"
    from_file = Dataset(name="p.npy", kind="points", shape=(2,), train=train, source_id=f"/d/p.npy{SEP}abc")
    assert dataset_identity(from_file) == f"/d/p.npy{SEP}abc"  # a file's identity is its path and file hash


@pytest.mark.parametrize("identity,label", [
    ("ring", "ring"),
    (f"digits{SEP}0123456789abcdef", "digits"),
    (f"/data/ring.npy{SEP}1a2b3c4d5e6f", "ring-1a2b3c4d"),
    (f"data/points{SEP}ffffffff00", "points-ffffffff"),
])
def test_dataset_label(identity, label):
    assert dataset_label(identity) == label


def test_a_file_and_a_toy_of_the_same_name_never_share_a_label(tmp_path):
    np.save(tmp_path / "ring.npy", get_dataset("ring").sample(20, np.random.default_rng(0)))
    label = dataset_label(dataset_identity(load_points(tmp_path / "ring.npy")))
    assert label.startswith("ring-") and label != dataset_label(dataset_identity(get_dataset("ring")))
    assert label == "ring-" + hashlib.sha256((tmp_path / "ring.npy").read_bytes()).hexdigest()[:8]


def test_empty_arrays_have_a_digest_of_their_dtype_and_shape():
    empty = np.zeros((0, 2), np.float32)
    h = hashlib.sha256()
    h.update(f"{empty.dtype.str}{empty.shape}".encode())
    assert array_digest(empty) == h.hexdigest()
    assert array_digest(empty) != array_digest(np.zeros((0, 3), np.float32))
