"""The Ray backend runs the same sweep as Ray tasks (needs ray; slow: starts a local Ray)."""

import json

import pytest
from click.testing import CliRunner

from distmatch.sweep.cli import sweep

from .conftest import TINY_SETS

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def test_tiny_sweep_on_local_ray(tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "sw"
    args = ["--objectives", "mmd,minimax", "--datasets", "8gaussians", "--seeds", "0", "--steps", "4",
            *TINY_SETS, "--backend", "ray", "--workers", "2", "--out", str(out), "--quiet"]
    result = CliRunner().invoke(sweep, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["completed"] == 2
    assert manifest["sessions"][-1]["backend"] == "ray"
    for run in manifest["runs"]:
        assert json.loads((out / run["dir"] / "summary.json").read_text())["status"] == "completed"
