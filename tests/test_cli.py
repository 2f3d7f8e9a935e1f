"""The command line: happy path, summaries, and one-line errors for bad input."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from distmatch.cli import cli

TINY = ["--steps", "6", "--batch-size", "32", "--width", "16", "--eval-every", "3", "--eval-samples", "100"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_run_prints_summary_and_writes_run_dir(tmp_path):
    out = tmp_path / "r"
    res = invoke("run", "--objective", "mmd", "--dataset", "ring", *TINY, "--out", out)
    assert res.exit_code == 0, res.output
    for key in ("modes", "high quality", "reverse KL", "MMD²", "not computed sinkhorn, w1, w2", "wall time",
                "bandwidths"):
        assert key in res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["dataset"] == "ring" and "w2" not in summary["metrics"]
    res = invoke("eval", out)  # adds the costly distances, leaves the others as the run computed them
    assert res.exit_code == 0 and "w2" in json.loads(res.output)
    evaluated = json.loads((out / "summary.json").read_text())
    assert "not_computed" not in evaluated
    assert {k: evaluated["metrics"][k] for k in summary["metrics"] if not k.startswith("time_")} == \
        {k: v for k, v in summary["metrics"].items() if not k.startswith("time_")}
    res = invoke("plot", out)
    assert res.exit_code == 0 and "samples.png" in res.output


def test_list_names_everything():
    res = invoke("list")
    assert res.exit_code == 0
    from distmatch.objectives import OBJECTIVES

    for name in list(OBJECTIVES) + ["8gaussians", "25gaussians", "ring", "grid", "swissroll", "digits"]:
        assert name in res.output


def one_line_error(res, *fragments):
    assert res.exit_code != 0
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    err_lines = [l for l in res.output.splitlines() if l.startswith("Error")]
    assert len(err_lines) == 1, res.output
    for f in fragments:
        assert f in res.output, res.output


@pytest.mark.parametrize("args,fragment", [
    (["--objective", "gan"], "gan"),
    (["--dataset", "moons"], "unknown dataset"),
    (["--steps", "0"], "--steps"),
    (["--batch-size", "-4"], "--batch-size"),
    (["--width", "0"], "--width"),
    (["--lr", "-1"], "--lr"),
    (["--bandwidths", "1,x"], "--bandwidths"),
    (["--bandwidths", "1,-2"], "positive"),
])
def test_bad_options(tmp_path, args, fragment):
    one_line_error(invoke("run", *args, "--out", tmp_path / "x", "--quiet"), fragment)


@pytest.mark.parametrize("content,fragment", [
    ("", "empty"), ("1,2\n3,nan\n", "NaN"), ("1,2\n3\n", "ragged"),
])
def test_bad_data_files(tmp_path, content, fragment):
    path = tmp_path / "d.csv"
    path.write_text(content)
    one_line_error(invoke("run", "--dataset", path, "--out", tmp_path / "x", "--quiet"), fragment)


def test_missing_and_malformed_npy(tmp_path):
    one_line_error(invoke("run", "--dataset", tmp_path / "none.npy", "--quiet"), "no such file")
    np.save(tmp_path / "flat.npy", np.zeros(5))
    one_line_error(invoke("run", "--dataset", tmp_path / "flat.npy", "--quiet"), "2-D")


def test_resume_refuses_incompatible_config(tmp_path):
    out = tmp_path / "r"
    assert invoke("run", "--objective", "mmd", *TINY, "--out", out, "--quiet").exit_code == 0
    one_line_error(invoke("run", "--objective", "wgan-gp", *TINY, "--out", out, "--resume", "--quiet"),
                   "cannot resume", "objective")
    one_line_error(invoke("run", "--objective", "mmd", *TINY, "--out", out, "--quiet"), "already holds a run")
    res = invoke("run", "--objective", "mmd", *TINY, "--steps", "9", "--out", out, "--resume", "--quiet")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "summary.json").read_text())["step"] == 9


def test_eval_on_non_run_dir(tmp_path):
    one_line_error(invoke("eval", tmp_path), "not a run directory")


def test_distance_command(tmp_path):
    x = np.random.default_rng(0).normal(size=(300, 2))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", x + np.array([3.0, 4.0]))
    res = invoke("distance", tmp_path / "x.npy", tmp_path / "y.npy")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["w1"] == pytest.approx(5.0, rel=1e-6) and out["w2"] == pytest.approx(5.0, rel=1e-6)
    assert out["sinkhorn"] == pytest.approx(12.5, rel=0.02)  # W2²/2 for a translation
    np.save(tmp_path / "z.npy", np.zeros((10, 3)))
    one_line_error(invoke("distance", tmp_path / "x.npy", tmp_path / "z.npy"), "dimension mismatch")


def test_run_options_of_objectives_are_generated_from_their_declarations():
    """Each option an objective declares (Objective.options) is a `run` option whose help names the
    objectives reading it and whose default is the declared one; resolve records that default."""
    from distmatch.config import RunConfig, resolve
    from distmatch.data import get_dataset
    from distmatch.objectives import OBJECTIVES, option_declarations

    declared = option_declarations()
    assert set(declared) == {"bandwidths", "clip", "gp_weight", "blur"}
    res = invoke("run", "--help")
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    for key, (default, helps) in declared.items():
        assert f"--{key.replace('_', '-')}" in text
        for objective, _ in helps:
            assert key in OBJECTIVES[objective].options and f"{objective}:" in text
    assert "[default: 0.01]" in text and "[default: 0.05]" in text
    cfg = resolve(RunConfig(objective="mmd", dataset="8gaussians"), get_dataset("8gaussians"))
    assert (cfg.clip, cfg.blur) == (declared["clip"][0], declared["blur"][0]) == (0.01, 0.05)
    res = invoke("run", "--clip", "0", "--steps", "1")
    assert res.exit_code == 2 and "0<x<=1000" in res.output  # the range comes from SETTINGS
