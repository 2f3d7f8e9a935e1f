"""distmatch.io: atomic writes leave the old or the new file and no temp file; strict JSON; guarded
readers turn broken or hostile files into a one-line FileFormatError naming the file, and never
run code from them."""

from __future__ import annotations

import json
import os
import re
import stat

import numpy as np
import pytest
import torch

from distmatch import io
from distmatch.io import FileFormatError


def _one_line(exc: pytest.ExceptionInfo, path) -> str:
    text = str(exc.value)
    assert "\n" not in text and str(path) in text
    return text


class _Hostile:
    """Unpickling this would create ``self.flag`` (a stand-in for arbitrary code)."""

    def __init__(self, flag):
        self.flag = str(flag)

    def __reduce__(self):
        return (open, (self.flag, "w"))


# ----------------------------------------------------------------------------- atomic writes
def test_atomic_write_replaces_the_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "out.png"  # the folder is created
    seen = []

    def write(tmp):
        seen.append(tmp)
        with open(tmp, "wb") as fh:
            fh.write(b"\x00new\xff")

    io.atomic_write(target, write)
    assert target.read_bytes() == b"\x00new\xff"
    assert seen[0].endswith(".tmp.png")  # writers that pick the format from the suffix still work
    assert os.path.dirname(seen[0]) == str(target.parent)  # same folder: the rename is atomic
    assert [p.name for p in target.parent.iterdir()] == ["out.png"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's 0600


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_old_file_and_removes_the_temp(tmp_path, error):
    target = tmp_path / "config.json"
    target.write_text("old")

    def half_write(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise error

    with pytest.raises(type(error)):
        io.atomic_write(target, half_write)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_save_npy_and_load_npy_round_trip_exactly(tmp_path):
    arr = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    arr[0, 0] = np.nextafter(np.float32(1), np.float32(2))  # a value a text format would round
    io.save_npy(arr, tmp_path / "a.npy")
    back = io.load_npy(tmp_path / "a.npy")
    assert back.dtype == arr.dtype and back.tobytes() == arr.tobytes()
    assert [p.name for p in tmp_path.iterdir()] == ["a.npy"]


def test_save_torch_and_load_checkpoint_round_trip_exactly(tmp_path):
    state = {"step": 3, "w": torch.randn(4, 2, dtype=torch.float64), "nested": {"lr": 1e-3, "ids": [1, 2]}}
    io.save_torch(state, tmp_path / "checkpoint.pt")
    back = io.load_checkpoint(tmp_path / "checkpoint.pt")
    assert back["step"] == 3 and back["nested"] == {"lr": 1e-3, "ids": [1, 2]}
    torch.testing.assert_close(back["w"], state["w"], rtol=0, atol=0)
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


# ----------------------------------------------------------------------------- strict JSON
def test_dumps_writes_standard_json_sorted_with_nan_as_null():
    obj = {"b": float("nan"), "a": [np.float32(0.5), np.int64(7), float("-inf"), (1, 2)], "c": np.float64(2.0)}
    text = io.dumps(obj, indent=None)
    assert text == '{"a": [0.5, 7, null, [1, 2]], "b": null, "c": 2.0}'
    assert json.loads(text) == {"a": [0.5, 7, None, [1, 2]], "b": None, "c": 2.0}
    assert json.loads(io.dumps({"n": 2**62, "f": 1e308})) == {"n": 2**62, "f": 1e308}  # finite values kept


def test_save_json_read_json_round_trip(tmp_path):
    obj = {"x": 0.1 + 0.2, "name": "caf\u00e9", "steps": [1, 2, 3], "ok": True, "none": None}
    io.save_json(obj, tmp_path / "s.json")
    assert io.read_json(tmp_path / "s.json") == obj  # exact: 0.30000000000000004 survives
    assert (tmp_path / "s.json").read_text().endswith("}\n")


def test_read_json_refuses_malformed_and_wrong_top_level(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"a": 1,\n  "b": }')
    with pytest.raises(FileFormatError) as exc:
        io.read_json(path)
    assert "not valid JSON" in _one_line(exc, path) and "line 2" in str(exc.value)
    path.write_text("[1, 2]")
    with pytest.raises(FileFormatError, match="expected a JSON object, got array"):
        io.read_json(path)
    assert io.read_json(path, expect=list) == [1, 2]


def test_read_text_drops_a_bom_and_refuses_non_utf8(tmp_path):
    path = tmp_path / "t.json"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert io.read_json(path) == {"a": 1}
    path.write_bytes(b'{"a": "caf\xe9"}')  # latin-1
    with pytest.raises(FileFormatError) as exc:
        io.read_text(path)
    assert "not UTF-8" in _one_line(exc, path) and "0xe9 at offset 10" in str(exc.value)


# ----------------------------------------------------------------------------- JSONL
def test_append_and_read_jsonl(tmp_path):
    path = tmp_path / "m.jsonl"
    assert io.read_jsonl(path) == []  # no file yet
    io.append_jsonl({"step": 0, "mmd": float("nan")}, path)
    io.append_jsonl({"step": 4, "mmd": 0.25}, path)
    assert path.read_text() == '{"mmd": null, "step": 0}\n{"mmd": 0.25, "step": 4}\n'
    with open(path, "a") as fh:
        fh.write("\n   \n")  # blank lines are skipped
    assert io.read_jsonl(path) == [{"step": 0, "mmd": None}, {"step": 4, "mmd": 0.25}]


@pytest.mark.parametrize("bad,message", [("{oops", "line 2 is not valid JSON"), ("[1]", "line 2 is not a JSON object")])
def test_read_jsonl_names_the_bad_line(tmp_path, bad, message):
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 0}\n' + bad + "\n")
    with pytest.raises(FileFormatError) as exc:
        io.read_jsonl(path)
    assert message in _one_line(exc, path)


def test_truncate_jsonl_keeps_records_up_to_the_step(tmp_path):
    path = tmp_path / "m.jsonl"
    for record in ({"step": 0}, {"step": 4, "x": 1}, {"step": 8}, {"note": "no step"}, {"step": "4"}):
        io.append_jsonl(record, path)
    io.truncate_jsonl(path, 4)
    assert io.read_jsonl(path) == [{"step": 0}, {"step": 4, "x": 1}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.jsonl"]


# ----------------------------------------------------------------------------- settings files
def test_read_settings_file_yaml_and_toml(tmp_path):
    (tmp_path / "s.yaml").write_text("objectives: [mmd, minimax]\nsteps: 10\n")
    (tmp_path / "s.toml").write_text("objectives = ['mmd', 'minimax']\nsteps = 10\n")
    want = {"objectives": ["mmd", "minimax"], "steps": 10}
    assert io.read_settings_file(tmp_path / "s.yaml") == want == io.read_settings_file(tmp_path / "s.toml")


@pytest.mark.parametrize("name,text,message", [
    ("s.json", "{}", "expected a .yaml, .yml or .toml file"),
    ("s.toml", "steps = = 1", "invalid TOML"),
    ("s.yml", "a: [1, 2", "invalid YAML"),
    ("s.yaml", "!!python/object/apply:os.system ['echo pwned']", "invalid YAML"),  # safe loader: no objects
])
def test_read_settings_file_refusals(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FileFormatError) as exc:
        io.read_settings_file(path)
    assert message in _one_line(exc, path)


def test_read_settings_file_missing(tmp_path):
    with pytest.raises(FileFormatError, match="does not exist"):
        io.read_settings_file(tmp_path / "nope.yaml")
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(FileFormatError, match="not a file"):
        io.read_settings_file(tmp_path / "dir.yaml")


# ----------------------------------------------------------------------------- hostile arrays and checkpoints
def test_load_npy_never_unpickles(tmp_path):
    flag = tmp_path / "pwned"
    path = tmp_path / "evil.npy"
    np.save(path, np.array([_Hostile(flag)], dtype=object), allow_pickle=True)
    with pytest.raises(FileFormatError) as exc:
        io.load_npy(path)
    assert "not a readable .npy array" in _one_line(exc, path)
    assert not flag.exists()


def test_load_npy_refuses_npz_and_truncated_files(tmp_path):
    path = tmp_path / "z.npy"
    with open(path, "wb") as fh:
        np.savez(fh, a=np.zeros(3))
    with pytest.raises(FileFormatError, match=r"\.npz archive"):
        io.load_npy(path)
    io.save_npy(np.zeros((100, 2)), path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(FileFormatError) as exc:
        io.load_npy(path)
    _one_line(exc, path)
    with pytest.raises(FileNotFoundError):  # a missing file is an OS error, not a format error
        io.load_npy(tmp_path / "missing.npy")


def test_load_checkpoint_refuses_python_objects_without_running_them(tmp_path):
    flag = tmp_path / "pwned"
    path = tmp_path / "checkpoint.pt"
    torch.save({"step": 1, "payload": _Hostile(flag)}, path)
    with pytest.raises(FileFormatError) as exc:
        io.load_checkpoint(path)
    assert "refused" in _one_line(exc, path) and "could run code" in str(exc.value)
    assert not flag.exists()


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04broken zip", b"garbage" * 10, bytes(64), b'{"step": 1}'])
def test_load_checkpoint_corrupt_is_a_one_line_format_error(tmp_path, content):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(content)
    with pytest.raises(FileFormatError) as exc:
        io.load_checkpoint(path)
    _one_line(exc, path)


@pytest.mark.parametrize("content", [b"garbage" * 10, bytes(64)])
def test_load_checkpoint_does_not_call_garbage_hostile(tmp_path, content):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(content)
    with pytest.raises(FileFormatError) as exc:
        io.load_checkpoint(path)
    assert "could run code" not in str(exc.value) and "corrupt" in str(exc.value)


def test_load_checkpoint_needs_a_dict(tmp_path):
    path = tmp_path / "checkpoint.pt"
    io.save_torch([torch.zeros(2)], path)
    with pytest.raises(FileFormatError, match="top level is list"):
        io.load_checkpoint(path)


def test_first_line_shortens_long_multi_line_messages():
    text = io._first_line(ValueError("a\n  b " + "x" * 300))
    assert text.startswith("a b x") and len(text) == 160 and text.endswith("...")
    assert io._first_line(ValueError()) == "ValueError"


def test_git_commit_is_none_or_a_full_hash():
    commit = io.git_commit()
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}", commit)
