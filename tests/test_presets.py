"""Presets: shipped config files applied under the command line, recorded in the run's config."""

import json

import pytest
from click.testing import CliRunner

from distmatch import presets
from distmatch.cli import cli
from distmatch.settings import SettingError

PACGAN = {"objective": "nonsaturating", "train_samples": 100000, "batch_size": 100, "steps": 400000,
          "noise_dim": 2, "width": 400, "depth": 4, "generator_norm": "batch", "critic": "maxout",
          "critic_width": 200, "critic_depth": 3, "maxout_pieces": 5, "init_std": 0.02, "lr": 1e-4,
          "betas": (0.8, 0.999), "critic_steps": 1, "update": "simultaneous", "optimizer": "adam"}


def test_the_pacgan_preset_holds_the_papers_protocol():
    settings = presets.load("pacgan")
    assert settings["preset"] == "pacgan"
    for key, value in PACGAN.items():
        assert settings[key] == value, key


def test_given_settings_win_over_the_preset_and_axes_can_be_left_out():
    merged = presets.apply({"preset": "pacgan", "pack": 2, "steps": 10})
    assert merged["pack"] == 2 and merged["steps"] == 10 and merged["width"] == 400
    assert "objective" not in presets.apply({"preset": "pacgan"}, exclude=("objective",))
    assert presets.apply({"steps": 3}) == {"steps": 3}
    with pytest.raises(SettingError, match="unknown preset 'nope'.*pacgan"):
        presets.apply({"preset": "nope"})


def test_run_with_a_preset_records_it_and_flags_override_it(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["run", "--preset", "pacgan", "--dataset", "ring", "--steps", "4",
                                      "--train-samples", "500", "--pack", "2", "--width", "8",
                                      "--critic-width", "8", "--eval-every", "2", "--eval-samples", "100",
                                      "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["preset"] == "pacgan" and cfg["objective"] == "nonsaturating"
    assert (cfg["pack"], cfg["width"], cfg["train_samples"], cfg["steps"]) == (2, 8, 500, 4)
    assert (cfg["depth"], cfg["critic"], cfg["update"], cfg["betas"]) == (4, "maxout", "simultaneous", [0.8, 0.999])


def test_a_config_file_sits_between_the_preset_and_the_flags(tmp_path):
    spec = tmp_path / "run.yaml"
    spec.write_text("preset: pacgan\nwidth: 12\ndepth: 2\nsteps: 2\nobjective: wgan-gp\n")
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["run", "--config", str(spec), "--dataset", "ring", "--depth", "1",
                                      "--train-samples", "300", "--critic-width", "8", "--eval-samples", "100",
                                      "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cfg = json.loads((out / "config.json").read_text())
    assert (cfg["objective"], cfg["width"], cfg["depth"], cfg["critic"]) == ("wgan-gp", 12, 1, "maxout")


def test_unknown_preset_is_a_usage_error():
    result = CliRunner().invoke(cli, ["run", "--preset", "nope"])
    assert result.exit_code == 2 and "nope" in result.output


def test_the_api_takes_a_preset_and_its_objective_unless_one_is_given(tmp_path):
    import distmatch

    small = dict(preset="pacgan", dataset="ring", steps=2, train_samples=300, width=8, critic_width=8,
                 eval_samples=100, eval_every=2)
    run = distmatch.train(out=tmp_path / "a", **small)
    assert (run.config.objective, run.config.preset, run.config.depth) == ("nonsaturating", "pacgan", 4)
    assert distmatch.train("wgan-gp", out=tmp_path / "b", **small).config.objective == "wgan-gp"
