"""distmatch.train / distmatch.load_run / Run: the same path as the command line, lazy exports."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import distmatch
from distmatch import api
from distmatch.config import RunConfig
from distmatch.data import DataError
from distmatch.io import FileFormatError
from distmatch.rundir import RunDirError
from distmatch.settings import SettingError

from .conftest import TINY


def _python(code: str) -> None:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_import_distmatch_does_not_import_torch():
    _python("import distmatch, sys; assert 'torch' not in sys.modules")


def test_sample_command_module_does_not_import_torch():  # `distmatch --help` stays fast once it is registered
    _python("import distmatch.sample_cli, sys; assert 'torch' not in sys.modules and 'numpy' not in sys.modules")


def test_exports_are_lazy_and_are_the_api():
    _python("from distmatch.trainer import Trainer\n"
            "import distmatch, distmatch.api as a\n"
            "assert distmatch.train is a.train and distmatch.load_run is a.load_run and distmatch.Run is a.Run\n"
            "from distmatch import train, load_run, Run\n"
            "assert train is a.train and {'train', 'load_run', 'Run'} <= set(dir(distmatch))\n"
            "try:\n    distmatch.no_such_name\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit(1)\n")


def test_train_returns_the_run(points_run):
    run = points_run
    assert isinstance(run, distmatch.Run) and isinstance(run.config, RunConfig)
    assert run.config.steps == 2 and run.config.batch_size == 16 and run.config.bandwidths  # resolved
    assert run.summary["status"] == "completed" and run.summary["step"] == 2
    assert [r["step"] for r in run.metrics] == [0, 2] and "mmd" in run.metrics[-1]
    assert isinstance(run.generator, torch.nn.Module) and not run.generator.training
    assert run.dataset.name == "8gaussians"
    assert "mmd on 8gaussians" in repr(run)


def test_load_run_reads_the_same_run(points_run):
    run = distmatch.load_run(points_run.path)
    assert run.config == points_run.config and run.metrics == points_run.metrics
    assert run.summary == points_run.summary


def test_sample_is_deterministic_and_leaves_global_rng_alone(points_run):
    run = distmatch.load_run(points_run.path)
    before = torch.get_rng_state()
    x = run.sample(1500, seed=3)
    assert torch.equal(before, torch.get_rng_state())
    assert x.shape == (1500, 2) and x.dtype == np.float32
    assert np.array_equal(x, run.sample(1500, seed=3))
    assert np.array_equal(x, points_run.sample(1500, seed=3))  # another Run of the same directory
    assert not np.array_equal(x, run.sample(1500, seed=4))


@pytest.mark.parametrize("fixture", ["points_run", "digits_run"])
def test_sample_reproduces_the_trainers_final_samples(fixture, request):
    run = request.getfixturevalue(fixture)
    cfg = run.config
    x = distmatch.load_run(run.path).sample(cfg.eval_samples, seed=cfg.seed * 1_000_003 + cfg.steps + 1)
    assert np.array_equal(x, np.load(run.path / "samples.npy"))


def test_digits_samples_are_images(digits_run):
    x = distmatch.load_run(digits_run.path).sample(30, seed=0)
    assert x.shape == (30, 1, 8, 8) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0 and x.std() > 0


def test_mlp_on_images_keeps_its_tanh(api_tmp):
    run = distmatch.train("mmd", "digits", out=api_tmp / "digits-mlp", model="mlp", width=16, depth=1, **TINY)
    x = distmatch.load_run(run.path).sample(run.config.eval_samples, seed=run.config.seed * 1_000_003 + 3)
    assert x.shape == (100, 1, 8, 8) and np.abs(x).max() <= 1.0
    assert np.array_equal(x, np.load(run.path / "samples.npy"))


@pytest.mark.parametrize("n, seed, error", [(0, 0, ValueError), (api.MAX_SAMPLES + 1, 0, ValueError),
                                            (1.5, 0, TypeError), (True, 0, TypeError), (5, -1, ValueError),
                                            (5, "1", TypeError)])
def test_sample_refuses_bad_arguments(points_run, n, seed, error):
    with pytest.raises(error):
        points_run.sample(n, seed)


@pytest.mark.parametrize("kwargs, error", [
    (dict(steps=0), SettingError),
    (dict(stepz=3), SettingError),
    (dict(dataset_id="x"), SettingError),  # derived: never set by a user
    (dict(lr="fast"), SettingError),
    (dict(dataset="no-such-data"), DataError),
    (dict(objective="vae"), SettingError),
    (dict(resume=True, overwrite=True), ValueError),
    (dict(resume=True), RunDirError),  # nothing to resume
])
def test_train_validates_before_writing(tmp_path, kwargs, error):
    with pytest.raises(error):
        distmatch.train(out=tmp_path / "run", **{**TINY, **kwargs})
    assert not (tmp_path / "run").exists()


def test_train_is_the_cli_run(points_run, tmp_path):
    from distmatch.cli import cli

    out = tmp_path / "cli"
    result = CliRunner().invoke(cli, ["run", "--steps", "2", "--batch-size", "16", "--eval-samples", "100",
                                      "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text()) == json.loads((points_run.path / "config.json").read_text())
    assert np.array_equal(np.load(out / "samples.npy"), np.load(points_run.path / "samples.npy"))


def test_run_directory_rules_and_resume(tmp_path):
    out = tmp_path / "run"
    first = distmatch.train("mmd", "8gaussians", out=out, **TINY)
    with pytest.raises(RunDirError, match="already holds a run"):
        distmatch.train("mmd", "8gaussians", out=out, **TINY)
    with pytest.raises(RunDirError, match="different settings"):
        distmatch.train("mmd", "8gaussians", out=out, resume=True, **{**TINY, "batch_size": 32})
    done = distmatch.train("mmd", "8gaussians", out=out, resume=True, **TINY)  # already complete: nothing to do
    assert done.summary == first.summary
    longer = distmatch.train("mmd", "8gaussians", out=out, resume=True, **{**TINY, "steps": 3})
    assert longer.summary["step"] == 3 and [r["step"] for r in longer.metrics] == [0, 2, 3]
    again = distmatch.train("mmd", "8gaussians", out=out, overwrite=True, **TINY)
    assert np.array_equal(again.sample(50, seed=1), first.sample(50, seed=1))  # same seed, same training


def test_point_file_run_samples_without_its_data(tmp_path):
    data = tmp_path / "blob.npy"
    np.save(data, np.random.default_rng(0).normal(size=(200, 3)).astype(np.float32))
    run = distmatch.train("mmd", data, out=tmp_path / "run", **TINY)
    x = run.sample(20, seed=0)
    data.unlink()  # moved away: the generator alone is enough to sample
    fresh = distmatch.load_run(run.path)
    assert np.array_equal(fresh.sample(20, seed=0), x) and x.shape == (20, 3)
    with pytest.raises(DataError):
        fresh.dataset
    np.save(data, np.zeros((200, 3), np.float32))  # other content under the same name
    with pytest.raises(DataError, match="not the data"):
        distmatch.load_run(run.path).dataset


def test_run_without_checkpoint_or_with_a_broken_one(points_run, tmp_path):
    with pytest.raises(RunDirError, match="not a run directory"):
        distmatch.load_run(tmp_path)
    shutil.copy(points_run.path / "config.json", tmp_path / "config.json")
    run = distmatch.load_run(tmp_path)  # the settings alone
    assert run.config == points_run.config and run.summary == {} and run.metrics == []
    with pytest.raises(RunDirError, match="no checkpoint.pt"):
        run.generator
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(FileFormatError):
        distmatch.load_run(tmp_path).sample(5)


def test_checkpoint_of_other_settings_is_refused(points_run, tmp_path):
    shutil.copy(points_run.path / "checkpoint.pt", tmp_path / "checkpoint.pt")
    cfg = json.loads((points_run.path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**cfg, "width": 64}))
    with pytest.raises(FileFormatError, match="differ from config.json"):
        distmatch.load_run(tmp_path).generator
