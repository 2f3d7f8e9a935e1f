"""The training animation (distmatch.report.animation) and ``distmatch animate``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import distmatch
from distmatch.cli import cli
from distmatch.report import animation
from distmatch.snapshots import list_snapshots

TINY = {"steps": 12, "batch_size": 32, "width": 16, "depth": 2, "eval_every": 4, "eval_samples": 200}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two finished tiny runs (figures drawn by train_into, as `distmatch run` does): mmd and wgan-gp."""
    root = tmp_path_factory.mktemp("anim")
    for objective in ("mmd", "wgan-gp"):
        distmatch.train(objective, "8gaussians", out=root / objective, **TINY)
    return root


def logged_steps(run_dir):
    return [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def frames(path):
    with Image.open(path) as im:
        return im.format, im.n_frames, im.size, [im.seek(i) or im.info["duration"] for i in range(im.n_frames)]


@pytest.mark.parametrize("objective", ["mmd", "wgan-gp"])
def test_every_run_writes_its_gif_with_one_frame_per_evaluation(runs, objective):
    gif = runs / objective / "figures" / "training.gif"
    fmt, n, size, durations = frames(gif)
    assert fmt == "GIF" and n == len(logged_steps(runs / objective)) == 4
    assert size == (round(animation.TOY_SIZE[0] * animation.DPI), round(animation.TOY_SIZE[1] * animation.DPI))
    assert durations == [250, 250, 250, 750]  # 4 fps, the last frame held
    assert gif.stat().st_size < 2_000_000


def test_make_animation_to_another_file_at_another_rate(runs, tmp_path):
    out = animation.make_animation(runs / "mmd", tmp_path / "sub" / "a.gif", fps=10)
    assert out == tmp_path / "sub" / "a.gif"
    _, n, _, durations = frames(out)
    assert n == 4 and durations == [100, 100, 100, 300]
    assert not [p for p in (tmp_path / "sub").iterdir() if p.name != "a.gif"]  # no temp file left


def test_frames_show_the_field_data_and_samples(runs, tmp_path):
    """A frame is not blank: it holds the colours of the field, the grey data and the green samples."""
    out = animation.make_animation(runs / "wgan-gp", tmp_path / "w.gif")
    with Image.open(out) as im:
        im.seek(im.n_frames - 1)
        rgb = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(int)
    assert len(np.unique(rgb, axis=0)) > 20
    green = np.array([0x02, 0x9E, 0x73])
    assert (np.abs(rgb - green).sum(1) < 60).sum() > 20


def test_only_logged_steps_are_drawn_and_at_most_max_frames(runs, tmp_path, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(runs / "mmd", run)
    shutil.copy(run / "snapshots" / "step_12.npz", run / "snapshots" / "step_99.npz")  # not in the log
    assert [s for s, _ in animation.frames_to_draw(animation.RunDir(run))] == [0, 4, 8, 12]
    monkeypatch.setattr(animation, "MAX_FRAMES", 3)
    assert [s for s, _ in animation.frames_to_draw(animation.RunDir(run))] == [0, 8, 12]
    _, n, _, _ = frames(animation.make_animation(run, tmp_path / "three.gif"))
    assert n == 3


def test_a_single_snapshot_makes_a_one_frame_gif_and_none_makes_none(runs, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(runs / "mmd", run)
    for step, path in list_snapshots(run)[1:]:
        path.unlink()
    _, n, _, durations = frames(animation.draw_animation(run))
    assert n == 1 and durations == [750]
    shutil.rmtree(run / "snapshots")
    (run / "figures" / "training.gif").unlink()
    assert animation.draw_animation(run) is None and not (run / "figures" / "training.gif").exists()


def test_images_show_the_samples_beside_real_images(tmp_path):
    distmatch.train("nonsaturating", "digits", out=tmp_path / "img", steps=4, batch_size=16, width=8, noise_dim=8,
                    eval_every=2, eval_samples=200)
    _, n, size, _ = frames(tmp_path / "img" / "figures" / "training.gif")
    assert n == 3 and size == (round(animation.IMAGE_SIZE[0] * animation.DPI),
                               round(animation.IMAGE_SIZE[1] * animation.DPI))


def test_cli_animate_writes_the_gif(runs, tmp_path):
    res = CliRunner().invoke(cli, ["animate", str(runs / "wgan-gp"), "--out", str(tmp_path / "x.gif"), "--fps", "2"])
    assert res.exit_code == 0, res.output
    assert frames(tmp_path / "x.gif")[3] == [500, 500, 500, 1500]


def _broken_snapshot(run):
    (run / "snapshots" / "step_4.npz").write_bytes(b"garbage")


def _not_a_snapshot(run):
    np.savez(run / "snapshots" / "step_4.npz", step=np.int64(4))


def _object_array(run):
    np.savez(run / "snapshots" / "step_4.npz", step=np.array([{"a": 1}], dtype=object))


def _no_snapshots(run):
    shutil.rmtree(run / "snapshots")


def _bad_config(run):
    (run / "config.json").write_text("{not json")


@pytest.mark.parametrize("damage, expected", [
    (_broken_snapshot, "step_4.npz: not a readable snapshot"),
    (_not_a_snapshot, "step_4.npz: not a distmatch snapshot (no 'kind' array)"),
    (_object_array, "step_4.npz: not a readable snapshot"),
    (_no_snapshots, "has no snapshots"),
    (_bad_config, "config.json: not valid JSON"),
])
def test_cli_animate_errors_are_one_line(runs, tmp_path, damage, expected):
    run = tmp_path / "run"
    shutil.copytree(runs / "mmd", run)
    damage(run)
    res = CliRunner().invoke(cli, ["animate", str(run)])
    assert res.exit_code != 0
    assert res.output.count("\n") == 1 and res.output.startswith("Error: ") and expected in res.output, res.output


@pytest.mark.parametrize("args, expected", [
    (["{tmp}/missing"], "no such run directory"),
    (["{tmp}"], "is not a run directory (no config.json)"),
    (["{run}", "--out", "{tmp}/a.png"], "give a file name ending in .gif"),
])
def test_cli_animate_refuses_what_is_not_a_run_or_not_a_gif(runs, tmp_path, args, expected):
    args = [a.format(tmp=tmp_path, run=runs / "mmd") for a in args]
    res = CliRunner().invoke(cli, ["animate", *args])
    assert res.exit_code != 0
    assert res.output.count("\n") == 1 and expected in res.output, res.output


def test_cli_animate_help_stays_light():
    probe = ("import sys\nfrom distmatch.cli import cli\ntry:\n    cli.main(args=['animate', '--help'])\n"
             "except SystemExit:\n    pass\n"
             "print('HEAVY:' + ','.join(m for m in ('torch', 'matplotlib', 'PIL') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True, text=True,
                         timeout=120)
    assert "RUN_DIR" in res.stdout and res.stdout.strip().endswith("HEAVY:"), res.stdout + res.stderr
