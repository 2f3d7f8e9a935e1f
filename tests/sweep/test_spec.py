"""Spec parsing: options, YAML/TOML files, and clear one-line errors for malformed specs."""

import pytest
from click.testing import CliRunner

from distmatch.sweep import (
    SpecError,
    build_spec,
    load_spec_file,
    parse_seeds,
    parse_sets,
)
from distmatch.sweep.cli import sweep


def test_parse_seeds_forms():
    assert parse_seeds("0-3") == [0, 1, 2, 3]
    assert parse_seeds("0,3,5") == [0, 3, 5]
    assert parse_seeds("0-2,7") == [0, 1, 2, 7]
    assert parse_seeds(4) == [4]
    assert parse_seeds([1, 2]) == [1, 2]


@pytest.mark.parametrize("bad", ["3-1", "a", "1-", "-1", "", [1.5], True])
def test_parse_seeds_rejects(bad):
    with pytest.raises(SpecError, match="seeds"):
        parse_seeds(bad)


def test_spec_expands_grid_and_dirs(tmp_path):
    spec = build_spec("mmd,wgan-gp", "ring,8gaussians", "0-2", {"steps": "4"})
    runs = spec.runs()
    assert len(runs) == 2 * 2 * 3
    assert {r.key for r in runs} == {f"{o}/{d}/s{s}" for o in ("mmd", "wgan-gp")
                                      for d in ("ring", "8gaussians") for s in range(3)}
    assert runs[0].directory(tmp_path) == tmp_path / runs[0].objective / runs[0].dataset / f"s{runs[0].seed}"
    assert spec.run_options == {"steps": 4}


def test_parse_sets_coerces_types():
    assert parse_sets(["eval_samples=100", "lr=1e-3", "bandwidths=0.1,0.2", "noise=uniform", "width=none"]) == {
        "eval_samples": 100, "lr": 1e-3, "bandwidths": [0.1, 0.2], "noise": "uniform", "width": None}
    for bad, msg in [("width", "KEY=VALUE"), ("colour=red", "unknown run option"), ("width=wide", "cannot read"),
                     ("seed=3", "unknown run option")]:
        with pytest.raises(SpecError, match=msg):
            parse_sets([bad])


def test_yaml_and_toml_files(tmp_path):
    y = tmp_path / "s.yaml"
    y.write_text("objectives: [mmd, minimax]\ndatasets: ring\nseeds: 0-1\nsteps: 4\n"
                 "run_options:\n  eval_samples: 100\n  width: 16\n")
    t = tmp_path / "s.toml"
    t.write_text('objectives = ["mmd", "minimax"]\ndatasets = ["ring"]\nseeds = "0-1"\nsteps = 4\n'
                 "[run_options]\neval_samples = 100\nwidth = 16\n")
    a, b = load_spec_file(y), load_spec_file(t)
    assert a == b
    assert a.objectives == ["mmd", "minimax"] and a.seeds == [0, 1]
    assert a.run_options == {"eval_samples": 100, "width": 16, "steps": 4}


BAD_OPTION_SPECS = [
    (["--objectives", "mmd,gan", "--datasets", "ring", "--seeds", "0"], "unknown objective 'gan'"),
    (["--objectives", "mmd", "--datasets", "rings", "--seeds", "0"], "unknown dataset 'rings'"),
    (["--objectives", "mmd", "--datasets", "ring", "--seeds", "5-2"], "bad seed or range"),
    (["--objectives", "mmd", "--datasets", "ring"], "missing --seeds"),
    (["--objectives", "mmd", "--datasets", "ring", "--seeds", "0", "--set", "widht=3"], "unknown run option 'widht'"),
]

BAD_FILE_SPECS = [
    ("objectives: [mmd]\ndatasets: [ring]\n", "missing key 'seeds'"),
    ("objectives: [mmd]\ndatasets: [ring]\nseeds: 0\ncolour: red\n", "unknown key 'colour'"),
    ("objectives: [mmd]\ndatasets: [ring]\nseeds: 0\nrun_options: {lr: fast}\n", "cannot read 'fast'"),
    ("objectives: [mmd\n", "invalid YAML"),
    ("- just a list\n", "expected a mapping"),
]


def _assert_clean_error(result, message):
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.parametrize("args,message", BAD_OPTION_SPECS)
def test_malformed_options_give_one_line_error(tmp_path, args, message):
    result = CliRunner().invoke(sweep, args + ["--out", str(tmp_path / "sw")])
    _assert_clean_error(result, message)
    assert not (tmp_path / "sw").exists()


@pytest.mark.parametrize("text,message", BAD_FILE_SPECS)
def test_malformed_spec_file_gives_one_line_error(tmp_path, text, message):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    result = CliRunner().invoke(sweep, ["--spec", str(path), "--out", str(tmp_path / "sw")])
    _assert_clean_error(result, message)


def test_missing_spec_file_and_wrong_suffix(tmp_path):
    result = CliRunner().invoke(sweep, ["--spec", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "sw")])
    _assert_clean_error(result, "does not exist")
    (tmp_path / "spec.json").write_text("{}")
    result = CliRunner().invoke(sweep, ["--spec", str(tmp_path / "spec.json"), "--out", str(tmp_path / "sw")])
    _assert_clean_error(result, "expected a .yaml, .yml or .toml file")
