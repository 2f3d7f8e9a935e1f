"""``distmatch run --config FILE``: sweep-spec keys or option names; the command line overrides."""

import json

import pytest
from click.testing import CliRunner

from distmatch.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("name,text", [
    ("c.yaml", "objectives: [wgan-gp]\ndatasets: ring\nseed: 3\nsteps: 4\n"
               "run_options: {width: 8, batch_size: 32, eval_samples: 100, betas: [0.5, 0.9]}\n"),
    ("c.toml", 'objective = "wgan-gp"\ndataset = "ring"\nseeds = 3\nsteps = 4\n'
               '[run_options]\nwidth = 8\nbatch-size = 32\neval_samples = 100\nbetas = [0.5, 0.9]\n'),
])
def test_file_settings_with_command_line_overrides(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    res = invoke("run", "--config", path, "--seed", 5, "--out", tmp_path / "r", "--quiet")
    assert res.exit_code == 0, res.output
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())
    assert (cfg["objective"], cfg["dataset"], cfg["seed"], cfg["steps"], cfg["width"], cfg["batch_size"]) == \
        ("wgan-gp", "ring", 5, 4, 8, 32)
    assert cfg["betas"] == [0.5, 0.9]


@pytest.mark.parametrize("text,fragment", [
    ("objectives: [mmd, wgan-gp]\n", "exactly one value"),
    ("lr: 0\n", "lr"),
    ("colour: red\n", "unknown setting 'colour'"),
    ("dataset_id: x\n", "unknown setting"),
    ("- 1\n", "mapping"),
    ("run_options: [1]\n", "run_options"),
    ("width: [1, 2]\n", "width"),
])
def test_bad_config_files_are_one_line_errors(tmp_path, text, fragment):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    res = invoke("run", "--config", path, "--out", tmp_path / "r", "--quiet")
    assert res.exit_code == 1 and "Traceback" not in res.output
    errors = [line for line in res.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and fragment in errors[0], res.output
    assert not (tmp_path / "r").exists()
