"""Adding an objective = one module + one registry entry: a plug-in objective defined in the tests
(tests/objectives/energy.py) goes through `run`, `sweep`, `table` and `diagnose mode-collapse`
without any other change to distmatch."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def distmatch(*args, plugins="energy=tests.objectives.energy:Energy", cwd=None):
    env = {**os.environ, "DISTMATCH_OBJECTIVES": plugins, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "distmatch", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_energy_distance_is_zero_on_a_batch_with_itself_and_positive_otherwise():
    import torch

    from tests.objectives.energy import energy_distance

    x = torch.randn(64, 2, dtype=torch.float64)
    assert energy_distance(x, x).abs().item() < 1e-12
    assert energy_distance(x, x + 1.0).item() > 0.5


def test_a_plugin_objective_runs_through_run_sweep_table_and_mode_collapse(tmp_path):
    listed = distmatch("list")
    assert listed.returncode == 0 and "energy" in listed.stdout and "Energy distance" in listed.stdout
    run = distmatch("run", "--objective", "energy", "--dataset", "8gaussians", "--steps", "40", "--eval-every", "20",
                    "--eval-samples", "300", "--out", tmp_path / "run", "--quiet")
    assert run.returncode == 0, run.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["config"]["objective"] == "energy" and summary["config"]["batch_size"] == 128  # its own default
    sweep = distmatch("sweep", "--objectives", "energy,mmd", "--datasets", "ring", "--seeds", "0", "--steps", "20",
                      "--set", "eval_samples=200", "--set", "batch_size=64", "--out", tmp_path / "sw", "--quiet")
    assert sweep.returncode == 0, sweep.stderr
    table = distmatch("table", tmp_path / "sw", "--format", "csv")
    assert table.returncode == 0, table.stderr
    rows = {line.split(",")[1]: line for line in table.stdout.splitlines()[1:]}
    assert set(rows) == {"energy", "mmd"} and ",1/1," in rows["energy"]
    diagnose = distmatch("diagnose", "mode-collapse", "--fast", "--objectives", "energy", "--seeds", "0",
                         "--out", tmp_path / "diag", "--quiet")
    assert diagnose.returncode == 0, diagnose.stderr
    assert (tmp_path / "diag" / "mode_collapse_8gaussians.png").exists()


@pytest.mark.parametrize("plugins,fragment", [
    ("energy", "expected name=module:Class"),
    ("mmd=tests.objectives.energy:Energy", "'mmd' already exists"),
    ("x=nonexistent.module:X", "cannot use x=nonexistent.module:X: ModuleNotFoundError"),
    ("x=os:getcwd", "not a subclass of distmatch.objectives.base.Objective"),
])
def test_a_malformed_plugin_entry_is_a_one_line_error(plugins, fragment):
    result = distmatch("list", plugins=plugins)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"Error: DISTMATCH_OBJECTIVES: {fragment}" or fragment in result.stderr
