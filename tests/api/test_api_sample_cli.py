"""`distmatch sample`: formats, determinism, equality with Run.sample, and one-line errors."""

import shutil

import click
import numpy as np
import pytest
from click.testing import CliRunner

import distmatch
from distmatch.data.files import load_points
from distmatch.sample_cli import sample

from .conftest import TINY

PNG = b"\x89PNG\r\n\x1a\n"


def invoke(*args):
    return CliRunner().invoke(sample, [str(a) for a in args])


def ok(*args):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result


def assert_one_line_error(result):
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error"), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_npy_is_run_sample_and_deterministic(points_run, tmp_path):
    a, b, c = tmp_path / "a.npy", tmp_path / "b.npy", tmp_path / "c.npy"
    assert ok(points_run.path, "--n", 300, "--seed", 7, "--out", a).output.strip() == str(a)
    ok(points_run.path, "--n", 300, "--seed", 7, "--out", b)
    ok(points_run.path, "--n", 300, "--seed", 8, "--out", c)
    x = np.load(a)
    assert x.shape == (300, 2) and x.dtype == np.float32
    assert a.read_bytes() == b.read_bytes()
    assert not np.array_equal(x, np.load(c))
    assert np.array_equal(x, distmatch.load_run(points_run.path).sample(300, seed=7))


def test_default_seed_is_zero(points_run, tmp_path):
    ok(points_run.path, "--n", 10, "--out", tmp_path / "x.npy")
    assert np.array_equal(np.load(tmp_path / "x.npy"), points_run.sample(10))


def test_reproduces_samples_npy(points_run, tmp_path):
    cfg = points_run.config
    ok(points_run.path, "--n", cfg.eval_samples, "--seed", cfg.seed * 1_000_003 + cfg.steps + 1, "--out",
       tmp_path / "again.npy")
    assert np.array_equal(np.load(tmp_path / "again.npy"), np.load(points_run.path / "samples.npy"))


def test_csv_round_trip_points(points_run, tmp_path):
    ok(points_run.path, "--n", 200, "--seed", 1, "--out", tmp_path / "x.npy")
    ok(points_run.path, "--n", 200, "--seed", 1, "--out", tmp_path / "x.csv")
    x = np.load(tmp_path / "x.npy")
    back = np.loadtxt(tmp_path / "x.csv", delimiter=",", ndmin=2)
    assert back.shape == (200, 2) and np.array_equal(back.astype(np.float32), x)
    as_data = load_points(tmp_path / "x.csv", test_fraction=0.0).train  # usable as --dataset (rows shuffled)
    assert np.array_equal(as_data[np.lexsort(as_data.T)], x[np.lexsort(x.T)])


def test_png_points_scatter(points_run, tmp_path):
    ok(points_run.path, "--n", 500, "--out", tmp_path / "x.png")
    data = (tmp_path / "x.png").read_bytes()
    assert data.startswith(PNG) and len(data) > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]  # no temp file left


def test_digits_formats(digits_run, tmp_path):
    ok(digits_run.path, "--n", 40, "--seed", 2, "--out", tmp_path / "x.npy")
    ok(digits_run.path, "--n", 40, "--seed", 2, "--out", tmp_path / "x.csv")
    ok(digits_run.path, "--n", 40, "--seed", 2, "--out", tmp_path / "x.png")
    x = np.load(tmp_path / "x.npy")
    assert x.shape == (40, 1, 8, 8) and x.dtype == np.float32 and np.abs(x).max() <= 1.0
    assert np.array_equal(x, digits_run.sample(40, seed=2))
    flat = np.loadtxt(tmp_path / "x.csv", delimiter=",", ndmin=2)
    assert flat.shape == (40, 64) and np.array_equal(flat.astype(np.float32).reshape(x.shape), x)
    assert (tmp_path / "x.png").read_bytes().startswith(PNG)


def test_existing_file_needs_overwrite(points_run, tmp_path):
    out = tmp_path / "x.npy"
    out.write_bytes(b"precious")
    line = assert_one_line_error(invoke(points_run.path, "--n", 5, "--out", out))
    assert "already exists" in line and "--overwrite" in line
    assert out.read_bytes() == b"precious"
    ok(points_run.path, "--n", 5, "--out", out, "--overwrite")
    assert np.load(out).shape == (5, 2)


def test_out_parent_is_created(points_run, tmp_path):
    ok(points_run.path, "--n", 5, "--out", tmp_path / "new" / "dir" / "x.csv")
    assert (tmp_path / "new" / "dir" / "x.csv").is_file()


ERROR_CASES = {  # name -> (arguments with {run}/{tmp} placeholders, words the message must hold)
    "missing run dir": (["{tmp}/nothing", "--n", "5", "--out", "{tmp}/x.npy"], "not a run directory"),
    "empty dir": (["{tmp}/empty", "--n", "5", "--out", "{tmp}/x.npy"], "not a run directory"),
    "run dir is a file": (["{tmp}/file.txt", "--n", "5", "--out", "{tmp}/x.npy"], "is a file"),
    "no checkpoint": (["{tmp}/nockpt", "--n", "5", "--out", "{tmp}/x.npy"], "no checkpoint.pt"),
    "corrupt checkpoint": (["{tmp}/badckpt", "--n", "5", "--out", "{tmp}/x.npy"], "checkpoint"),
    "unknown suffix": (["{run}", "--n", "5", "--out", "{tmp}/x.txt"], "unknown output format"),
    "no suffix": (["{run}", "--n", "5", "--out", "{tmp}/x"], "unknown output format"),
    "n zero": (["{run}", "--n", "0", "--out", "{tmp}/x.npy"], "out of range"),
    "n negative": (["{run}", "--n", "-3", "--out", "{tmp}/x.npy"], "out of range"),
    "n too large": (["{run}", "--n", "1000001", "--out", "{tmp}/x.npy"], "out of range"),
    "n not a number": (["{run}", "--n", "many", "--out", "{tmp}/x.npy"], "not a valid integer"),
    "n missing": (["{run}", "--out", "{tmp}/x.npy"], "Missing option '--n'"),
    "out missing": (["{run}", "--n", "5"], "Missing option '--out'"),
    "run dir missing": ([], "Missing argument"),
    "seed negative": (["{run}", "--n", "5", "--seed", "-1", "--out", "{tmp}/x.npy"], "out of range"),
    "seed too large": (["{run}", "--n", "5", "--seed", str(2**63), "--out", "{tmp}/x.npy"], "out of range"),
    "out is a directory": (["{run}", "--n", "5", "--out", "{tmp}/empty.npy"], "is a directory"),
    "run's own samples": (["{run}", "--n", "5", "--out", "{run}/samples.npy", "--overwrite"], "run's own"),
    "unknown option": (["{run}", "--n", "5", "--out", "{tmp}/x.npy", "--bogus"], "No such option"),
    "bad device": (["{run}", "--n", "5", "--out", "{tmp}/x.npy", "--device", "tpu"], "tpu"),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_bad_input_is_one_line(case, points_run, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty.npy").mkdir()
    (tmp_path / "file.txt").write_text("x")
    for name in ("nockpt", "badckpt"):
        (tmp_path / name).mkdir()
        shutil.copy(points_run.path / "config.json", tmp_path / name / "config.json")
    (tmp_path / "badckpt" / "checkpoint.pt").write_bytes(b"\x00garbage")
    before = sorted(p.name for p in points_run.path.iterdir())
    args, words = ERROR_CASES[case]
    result = invoke(*(a.format(run=points_run.path, tmp=tmp_path) for a in args))
    assert words in assert_one_line_error(result)
    assert not (tmp_path / "x.npy").exists() and not (tmp_path / "x.txt").exists()
    assert sorted(p.name for p in points_run.path.iterdir()) == before


def test_png_scatter_checks_the_data(tmp_path):
    data = tmp_path / "blob.csv"
    np.savetxt(data, np.random.default_rng(0).normal(size=(100, 2)), delimiter=",")
    run = distmatch.train("mmd", data, out=tmp_path / "run", **TINY)
    np.savetxt(data, np.zeros((100, 2)), delimiter=",")  # the data changed since the run
    ok(run.path, "--n", 5, "--out", tmp_path / "x.npy")  # samples need no data
    line = assert_one_line_error(invoke(run.path, "--n", 5, "--out", tmp_path / "x.png"))
    assert "not the data" in line and not (tmp_path / "x.png").exists()
    data.unlink()
    assert "blob.csv" in assert_one_line_error(invoke(run.path, "--n", 5, "--out", tmp_path / "x.png"))


def test_under_the_error_boundary_and_debug(points_run, tmp_path):
    from distmatch.cli import ErrorBoundary
    from distmatch.rundir import RunDirError

    @click.group(cls=ErrorBoundary)
    @click.option("--debug", is_flag=True)
    def group(debug):
        """Stand-in for the distmatch group (registering here leaves distmatch.cli.cli untouched)."""

    group.add_command(sample)
    runner = CliRunner()
    result = runner.invoke(group, ["sample", str(tmp_path), "--n", "5", "--out", str(tmp_path / "x.npy")],
                           prog_name="distmatch")
    assert "not a run directory" in assert_one_line_error(result)
    result = runner.invoke(group, ["sample", str(points_run.path), "--out", str(tmp_path / "x.npy")],
                           prog_name="distmatch")
    assert "`distmatch sample --help`" in assert_one_line_error(result)
    result = runner.invoke(group, ["--debug", "sample", str(tmp_path), "--n", "5", "--out", str(tmp_path / "x.npy")])
    assert isinstance(result.exception, RunDirError)  # --debug: the exception itself, for its traceback
    help_text = runner.invoke(group, ["sample", "-h"]).output
    assert "--overwrite" in help_text and ".csv" in help_text
