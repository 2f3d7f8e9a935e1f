"""Training snapshots (distmatch.snapshots): one per evaluation, the right field, and no effect on training."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from distmatch import snapshots
from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.run_writer import RunWriter
from distmatch.rundir import RunDir
from distmatch.trainer import Trainer

TINY = {"steps": 12, "batch_size": 32, "width": 16, "depth": 2, "eval_every": 4, "eval_samples": 200}


def fit(tmp_path, name="run", **kw):
    opts = {**TINY, **kw}
    ds = get_dataset(opts.pop("dataset", "8gaussians"))
    trainer = Trainer(resolve(RunConfig(**opts), ds), ds, tmp_path / name, quiet=True)
    trainer.fit()
    return trainer


def logged_steps(run_dir):
    return [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def snapshot_steps(run_dir):
    return [step for step, _ in snapshots.list_snapshots(run_dir)]


def load_all(run_dir):
    return {step: snapshots.load_snapshot(path) for step, path in snapshots.list_snapshots(run_dir)}


def assert_same_snapshots(a_dir, b_dir):
    a, b = load_all(a_dir), load_all(b_dir)
    assert list(a) == list(b)
    for step in a:
        assert a[step].keys() == b[step].keys()
        for key in a[step]:
            np.testing.assert_array_equal(a[step][key], b[step][key], err_msg=f"step {step}, {key}")


def naive_witness(t, x, y, bandwidths):
    """mean_i k(t, x_i) - mean_j k(t, y_j), k a sum of Gaussians, by a full (T, N, 2) difference array."""
    def mean_kernel(s):
        d2 = ((t[:, None, :].astype(np.float64) - s[None, :, :].astype(np.float64)) ** 2).sum(-1)  # (T, N)
        return sum(np.exp(-d2 / (2.0 * sigma**2)) for sigma in bandwidths).mean(1)
    return mean_kernel(x) - mean_kernel(y)


@pytest.mark.parametrize("objective", ["mmd", "nonsaturating", "wgan-gp", "sinkhorn"])
def test_one_snapshot_per_evaluation(tmp_path, objective):
    trainer = fit(tmp_path, objective=objective, steps=10)  # evaluations at 0, 4, 8 and the last step, 10
    assert snapshot_steps(trainer.out) == logged_steps(trainer.out) == [0, 4, 8, 10]
    snap = snapshots.load_snapshot(snapshots.snapshot_path(trainer.out, 10))
    assert snap["samples"].shape == (snapshots.N_SAMPLES, 2) and snap["real"].shape == (snapshots.N_REAL, 2)
    assert snap["field"].shape == (snapshots.GRID, snapshots.GRID) and np.isfinite(snap["field"]).all()
    expected = {"mmd": "witness", "sinkhorn": "witness", "nonsaturating": "logit", "wgan-gp": "value"}[objective]
    assert str(snap["field_kind"]) == expected
    assert not list((trainer.out / "snapshots").glob(".*"))  # no temp files left behind


def test_grid_and_data_sample_are_fixed_for_a_run_and_cover_the_data(tmp_path):
    trainer = fit(tmp_path, objective="mmd")
    snaps = list(load_all(trainer.out).values())
    for key in ("grid_x", "grid_y", "real"):
        for snap in snaps[1:]:
            np.testing.assert_array_equal(snap[key], snaps[0][key])
    real, gx, gy = snaps[0]["real"], snaps[0]["grid_x"], snaps[0]["grid_y"]
    assert gx[0] < real[:, 0].min() and gx[-1] > real[:, 0].max()
    assert gy[0] < real[:, 1].min() and gy[-1] > real[:, 1].max()


def test_samples_are_the_first_of_the_evaluations_samples(tmp_path):
    trainer = fit(tmp_path, objective="mmd")
    snap = snapshots.load_snapshot(snapshots.snapshot_path(trainer.out, trainer.step))
    eval_samples = trainer.sample(2500, trainer.cfg.seed * 1_000_003 + trainer.step)  # eval_record's seed
    np.testing.assert_array_equal(snap["samples"], eval_samples[:snapshots.N_SAMPLES])


def test_witness_equals_a_naive_numpy_computation(tmp_path):
    trainer = fit(tmp_path, objective="mmd")
    for step, snap in load_all(trainer.out).items():
        np.testing.assert_array_equal(snap["bandwidths"], trainer.metric_bandwidths)
        t = snapshots.grid_points(snap["grid_x"], snap["grid_y"])
        expected = naive_witness(t, snap["samples"], snap["real"], trainer.metric_bandwidths)
        torch.testing.assert_close(snap["field"].astype(np.float64).ravel(), expected, rtol=1e-5, atol=1e-7,
                                   msg=f"step {step}")
    t00 = naive_witness(np.array([[snap["grid_x"][0], snap["grid_y"][0]]]), snap["samples"], snap["real"],
                        trainer.metric_bandwidths)
    torch.testing.assert_close(float(snap["field"][0, 0]), float(t00[0]), rtol=1e-5, atol=1e-7)  # row = y, col = x


def test_witness_with_bandwidths_off_any_ladder():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(50, 2)), rng.normal(1.0, 0.5, size=(70, 2))
    gx, gy = np.linspace(-2, 3, 9), np.linspace(-1, 2, 7)
    got = snapshots.witness(gx, gy, x, y, [0.3, 0.77, 1.9])
    expected = naive_witness(snapshots.grid_points(gx, gy), x, y, [0.3, 0.77, 1.9]).reshape(7, 9)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("objective", ["nonsaturating", "wgan-gp", "wgan-clip"])
def test_critic_field_equals_the_critic_on_the_grid(tmp_path, objective):
    trainer = fit(tmp_path, objective=objective)
    snap = snapshots.load_snapshot(snapshots.snapshot_path(trainer.out, trainer.step))  # the critic as it is now
    grid = torch.from_numpy(snapshots.grid_points(snap["grid_x"], snap["grid_y"]))
    with torch.no_grad():
        direct = trainer.critic(grid).reshape(len(snap["grid_y"]), len(snap["grid_x"])).numpy()
    torch.testing.assert_close(snap["field"], direct)
    assert trainer.critic.training  # mode put back


def test_critic_field_restores_batchnorm_buffers_and_mode():
    critic = nn.Sequential(nn.Linear(2, 8), nn.BatchNorm1d(8), nn.LeakyReLU(0.2), nn.Linear(8, 1)).train()
    critic[1].running_mean.fill_(0.3)
    before = {k: v.clone() for k, v in critic.state_dict().items()}
    points = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
    field = snapshots.critic_field(critic, points)
    assert critic.training
    for k, v in critic.state_dict().items():
        torch.testing.assert_close(v, before[k])
    critic.eval()
    with torch.no_grad():  # each point judged on its own: the running statistics, not the grid's batch
        torch.testing.assert_close(field, critic(torch.from_numpy(points)).reshape(-1).numpy())


def test_a_packed_critic_judges_copies_of_each_grid_point(tmp_path):
    trainer = fit(tmp_path, objective="nonsaturating", pack=2)
    snap = snapshots.load_snapshot(snapshots.snapshot_path(trainer.out, trainer.step))
    grid = torch.from_numpy(snapshots.grid_points(snap["grid_x"], snap["grid_y"]))
    with torch.no_grad():
        direct = trainer.critic(grid.repeat_interleave(2, dim=0)).numpy()
    torch.testing.assert_close(snap["field"].ravel(), direct)


def test_snapshots_do_not_change_training(tmp_path, monkeypatch):
    fit(tmp_path, "a", objective="wgan-gp", seed=3)
    fit(tmp_path, "b", objective="wgan-gp", seed=3)
    monkeypatch.setattr(RunWriter, "save_snapshot", lambda self, trainer: None)
    without = fit(tmp_path, "c", objective="wgan-gp", seed=3)
    assert snapshot_steps(without.out) == []
    a, b, c = (np.load(tmp_path / n / "samples.npy") for n in "abc")
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)  # the same training with and without snapshots
    assert_same_snapshots(tmp_path / "a", tmp_path / "b")
    assert records_without_timings(tmp_path / "a") == records_without_timings(tmp_path / "c")


def records_without_timings(run_dir):
    return [{k: v for k, v in json.loads(line).items() if not k.startswith("time_")}
            for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("objective", ["mmd", "wgan-gp"])
def test_resume_keeps_earlier_snapshots_and_rewrites_later_ones(tmp_path, objective):
    """Killed at step 14 with a checkpoint at 8 and a snapshot at 12: the resumed run keeps the
    snapshots up to 8, writes 12 again and ends with the uninterrupted run's snapshots."""
    opts = {**TINY, "objective": objective, "steps": 16, "checkpoint_every": 8}
    fit(tmp_path, "full", **opts)
    ds = get_dataset("8gaussians")
    cfg = resolve(RunConfig(**opts), ds)
    killed = Trainer(cfg, ds, tmp_path / "split", quiet=True)
    real_step = killed.train_step

    def crashing_step():
        if killed.step == 14:
            raise KeyboardInterrupt
        real_step()

    killed.train_step = crashing_step
    with pytest.raises(KeyboardInterrupt):
        killed.fit()
    split = tmp_path / "split"
    assert snapshot_steps(split) == [0, 4, 8, 12]
    stamps = {step: path.stat().st_mtime_ns for step, path in snapshots.list_snapshots(split)}
    trainer = Trainer(cfg, ds, split, quiet=True)
    assert trainer.resume() and trainer.step == 8
    trainer.fit()
    assert snapshot_steps(split) == logged_steps(split) == [0, 4, 8, 12, 16]
    after = {step: path.stat().st_mtime_ns for step, path in snapshots.list_snapshots(split)}
    assert all(after[s] == stamps[s] for s in (0, 4, 8))  # earlier snapshots kept as they were
    np.testing.assert_array_equal(np.load(tmp_path / "full" / "samples.npy"), np.load(split / "samples.npy"))
    assert_same_snapshots(tmp_path / "full", split)


def test_points_that_are_not_2d_have_no_snapshots(tmp_path):
    np.save(tmp_path / "pts.npy", np.random.default_rng(0).normal(size=(300, 3)).astype(np.float32))
    trainer = fit(tmp_path, dataset=str(tmp_path / "pts.npy"), objective="mmd")
    assert snapshot_steps(trainer.out) == [] and len(logged_steps(trainer.out)) == 4


def test_image_snapshots_hold_36_samples_of_fixed_noise(tmp_path):
    trainer = fit(tmp_path, dataset="digits", objective="nonsaturating", steps=4, batch_size=16, width=8,
                  noise_dim=8, eval_every=2)
    snaps = load_all(trainer.out)
    assert list(snaps) == logged_steps(trainer.out) == [0, 2, 4]
    for snap in snaps.values():
        assert str(snap["kind"]) == "image" and snap["samples"].shape == snap["real"].shape == (36, 1, 8, 8)
        np.testing.assert_array_equal(snap["real"], snaps[0]["real"])
    grid = trainer.sample(100, trainer.cfg.seed * 1_000_003 - 1)  # save_grid's noise
    np.testing.assert_array_equal(snaps[4]["samples"], grid[:36])


def test_overwrite_deletes_snapshots_but_never_foreign_files(tmp_path):
    trainer = fit(tmp_path, objective="mmd")
    rundir = RunDir(trainer.out)
    assert rundir.snapshots == trainer.out / "snapshots"
    (rundir.snapshots / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="did not write"):
        rundir.clear()
    assert snapshot_steps(trainer.out) == [0, 4, 8, 12]
    (rundir.snapshots / "notes.txt").unlink()
    rundir.clear()
    assert not trainer.out.exists() or not any(trainer.out.iterdir())


@pytest.mark.parametrize("content, message", [
    (b"not a zip", "not an .npz"),
    (None, "no 'grid_x'"),
    (b"npy", "not an .npz"),
])
def test_a_malformed_snapshot_is_a_file_format_error_naming_it(tmp_path, content, message):
    from distmatch.io import FileFormatError

    path = tmp_path / "step_0.npz"
    if content is None:
        np.savez(path, step=np.int64(0), kind=np.str_("points"), samples=np.zeros((3, 2), np.float32),
                 real=np.zeros((3, 2), np.float32))
    elif content == b"npy":
        np.save(tmp_path / "a.npy", np.zeros(3))
        path.write_bytes((tmp_path / "a.npy").read_bytes())
    else:
        path.write_bytes(content)
    with pytest.raises(FileFormatError, match=message) as err:
        snapshots.load_snapshot(path)
    assert str(path) in str(err.value)


def test_an_object_array_is_refused_not_unpickled(tmp_path):
    from distmatch.io import FileFormatError

    path = tmp_path / "step_0.npz"
    np.savez(path, step=np.array([{"x": 1}], dtype=object))
    with pytest.raises(FileFormatError, match="not a readable snapshot"):
        snapshots.load_snapshot(path)
