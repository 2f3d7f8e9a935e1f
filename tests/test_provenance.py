"""distmatch.provenance: the record of where a number came from (code, versions, machine, time)."""

from __future__ import annotations

import datetime as dt
import os
import platform

import numpy as np
import torch

import distmatch
from distmatch import io
from distmatch.provenance import PACKAGE, code_fingerprint, provenance


def test_records_code_versions_machine_and_time():
    before = dt.datetime.now().replace(microsecond=0)
    out = provenance()
    after = dt.datetime.now()
    assert set(out) == {"commit", "distmatch", "torch", "numpy", "python", "machine", "host", "cpu_count", "time"}
    assert out["commit"] == io.git_commit()
    assert (out["distmatch"], out["torch"], out["numpy"]) == (distmatch.__version__, torch.__version__, np.__version__)
    assert out["python"] == platform.python_version() and out["cpu_count"] == os.cpu_count()
    assert before <= dt.datetime.strptime(out["time"], "%Y-%m-%dT%H:%M:%S") <= after
    assert io.dumps(out)  # plain JSON: it goes into summaries and manifests as it is


def test_a_run_device_adds_the_device_and_torch_threads():
    out = provenance(torch.device("cpu"))
    assert out["device"] == "cpu" and out["cpu_threads"] == torch.get_num_threads()
    assert "device" not in provenance() and "cpu_threads" not in provenance()


def _tree(root, files):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_code_fingerprint_follows_source_content_only(tmp_path):
    files = {"a.py": "x = 1\n", "sub/b.py": "y = 2\n", "presets/p.yaml": "lr: 1\n"}
    one, two = _tree(tmp_path / "one", files), _tree(tmp_path / "two", files)
    assert code_fingerprint(one) == code_fingerprint(two)  # content and relative paths, not the location
    _tree(one, {"sub/__pycache__/b.cpython-311.pyc": "junk", "notes.txt": "not code"})
    assert code_fingerprint(one) == code_fingerprint(two)  # caches and other files do not count
    _tree(two, {"sub/b.py": "y = 3\n"})
    assert code_fingerprint(one) != code_fingerprint(two)  # one edited character
    _tree(two, {"sub/b.py": "y = 2\n", "presets/p.yaml": "lr: 2\n"})
    assert code_fingerprint(one) != code_fingerprint(two)  # package data (a preset) counts
    (two / "presets" / "p.yaml").rename(two / "presets" / "q.yaml")
    _tree(two, {"presets/q.yaml": "lr: 1\n"})
    assert code_fingerprint(one) != code_fingerprint(two)  # a renamed file


def test_code_fingerprint_of_the_package_is_stable():
    assert code_fingerprint() == code_fingerprint(PACKAGE) and len(code_fingerprint()) == 16
