"""The `run` command's own pieces (distmatch.run_cli); training through it: tests/test_cli.py."""

from pathlib import Path

from click.testing import CliRunner

from distmatch import cli, run_cli
from distmatch.metrics.registry import metric
from distmatch.run_cli import format_summary


def summary(**metrics):
    return {"metrics": metrics, "not_computed": {"w1": "points only", "w2": "points only"},
            "objective_settings": {"bandwidths": [1.0, 0.5]}, "config": {"bandwidth_source": "median"},
            "train_seconds": 3.21, "eval_seconds": 0.5}


def test_format_summary_lists_the_metrics_it_has():
    text = format_summary(summary(modes=8, n_modes=8, hq=91.25, rkl=float("nan"), mmd=0.0123), Path("runs/x"))
    assert text.splitlines() == [
        "run dir      runs/x", "modes        8/8", "high quality 91.2 %", "reverse KL   n/a",
        f"{metric('mmd').short:<12} 0.0123", "not computed w1, w2 (points only)",
        "bandwidths   1, 0.5 (median)", "wall time    3.2 s train + 0.5 s eval"]


def test_resume_and_overwrite_contradict_each_other(tmp_path):
    res = CliRunner().invoke(cli.cli, ["run", "--resume", "--overwrite", "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and "contradict" in res.output
    assert not (tmp_path / "r").exists()


def test_run_is_registered_on_the_group_and_exported_by_cli():
    assert cli.cli.get_command(None, "run") is run_cli.run is cli.run
