"""`distmatch run` on image data through the CLI: MNIST from small IDX files, clear data errors."""

import json

import numpy as np
from click.testing import CliRunner

from distmatch.cli import cli
from distmatch.data.images import IDX_FILES, write_idx


def fake_mnist(folder, n_train=60, n_test=30, gz=False):
    """Four tiny MNIST-format IDX files: random strokes, labels 0..9."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        images = (rng.random((n, 28, 28)) > 0.8).astype(np.uint8) * 255
        labels = (np.arange(n) % 10).astype(np.uint8)
        suffix = ".gz" if gz else ""
        write_idx(folder / (IDX_FILES[f"{split}_images"] + suffix), images)
        write_idx(folder / (IDX_FILES[f"{split}_labels"] + suffix), labels)
    return folder


def test_mnist_two_steps_through_cli(tmp_path):
    data = fake_mnist(tmp_path / "mnist", gz=True)
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["run", "--objective", "wgan-gp", "--dataset", "mnist", "--data-dir", str(data),
                                      "--steps", "2", "--batch-size", "8", "--width", "4", "--noise-dim", "8",
                                      "--critic-steps", "1", "--eval-every", "1", "--eval-samples", "40",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "FD " in result.output and "coverage " in result.output and "precision " in result.output
    assert np.load(out / "samples.npy").shape == (40, 1, 28, 28)
    for name in ("grid_step0.png", "grid_step1.png", "grid_step2.png", "samples.png", "curves.png"):
        assert (out / "figures" / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["dataset"] == "mnist" and summary["config"]["model"] == "dcgan"
    assert {"fd", "precision", "recall", "coverage", "kl"} <= set(summary["metrics"])


def test_missing_idx_dir_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["run", "--dataset", "mnist", "--data-dir", str(tmp_path / "missing"),
                                      "--steps", "2", "--out", str(tmp_path / "run")])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    assert "train-images-idx3-ubyte" in lines[0] and "download" in lines[0]
    assert not (tmp_path / "run").exists()


def test_digits_mlp_through_cli(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["run", "--objective", "mmd", "--dataset", "digits", "--model", "mlp",
                                      "--width", "32", "--depth", "2", "--steps", "3", "--eval-every", "3",
                                      "--eval-samples", "100", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["model"] == "mlp"
    assert (out / "figures" / "grid_step3.png").exists()
