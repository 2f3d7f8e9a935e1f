"""gmmn-ae: stage 1 (auto-encoder), stage 2 (GMMN on codes), decoding, checkpoints and resume."""

import json

import numpy as np
import pytest
import torch

from distmatch.config import RunConfig, resolve
from distmatch.data import get_dataset
from distmatch.objectives import build_objective
from distmatch.objectives import gmmn_ae as gmmn_ae_module
from distmatch.objectives.gmmn_ae import GMMNAE, gmmn_loss
from distmatch.rundir import CHECKPOINT
from distmatch.trainer import Trainer

from .conftest import TINY_DIGITS, TINY_TOY


def prepared(name="8gaussians", ae_steps=300, seed=0, **kw) -> tuple[GMMNAE, object, np.random.Generator]:
    """A gmmn-ae objective after stage 1 on ``name`` (batches of 128 from a seeded generator)."""
    torch.manual_seed(seed)
    ds = get_dataset(name)
    obj = GMMNAE(ae_steps=ae_steps, width=32, depth=2, **kw)
    obj.setup(ds, torch.device("cpu"))
    rng = np.random.default_rng(seed)
    assert obj.prepare(lambda: torch.from_numpy(ds.sample(128, rng)))
    return obj, ds, rng


def test_stage1_improves_reconstruction_and_decode_inverts_encode():
    obj, ds, rng = prepared()
    first, last = obj.ae_loss
    assert last < 1e-3 * first  # MSE 1.0 -> ~1e-4 on the 8 Gaussians
    x = torch.from_numpy(ds.sample(500, rng))
    rmse = (obj.decode(obj.encode(x)) - x).pow(2).mean().sqrt().item()
    assert rmse < 0.03  # well inside the toy's mode spread (radius 1.41)
    assert obj.encode(x).shape == (500, 2)  # code dimension = data dimension for points
    assert not any(p.requires_grad for p in obj.autoencoder.parameters()) and not obj.autoencoder.training
    assert len(obj.bandwidths) == 7 and obj.bandwidths[0] > obj.bandwidths[-1] > 0


def test_stage1_runs_once():
    obj, ds, rng = prepared(ae_steps=5)
    assert not obj.prepare(lambda: torch.from_numpy(ds.sample(128, rng)))  # already done: no retraining


def test_loss_needs_stage1():
    obj = GMMNAE()
    obj.setup(get_dataset("8gaussians"), torch.device("cpu"))
    with pytest.raises(RuntimeError, match="stage 1"):
        obj.generator_loss(None, torch.zeros(4, 2), torch.zeros(4, 2))


def test_generator_loss_is_sqrt_mmd_on_codes_and_pulls_codes_to_the_data():
    obj, ds, rng = prepared(bandwidths=[0.5, 2.0])
    assert obj.bandwidths == [0.5, 2.0]  # the user's, not the median ladder
    real = torch.from_numpy(ds.sample(64, rng))
    codes = obj.encode(real)
    assert obj.generator_loss(None, codes, real).item() < 1e-4
    shifted = (codes + 3.0).requires_grad_(True)
    loss = obj.generator_loss(None, shifted, real)
    torch.testing.assert_close(loss, gmmn_loss(codes + 3.0, codes, [0.5, 2.0]))
    assert loss.item() > 0.1
    loss.backward()
    assert (shifted.grad.sum(0) > 0).all()  # descending the loss moves the codes back


def test_state_dict_round_trip_is_plain_and_restores_stage1(tmp_path):
    obj, ds, rng = prepared(ae_steps=50)
    torch.save(obj.state_dict(), tmp_path / "s.pt")
    state = torch.load(tmp_path / "s.pt", weights_only=True)
    fresh = GMMNAE(width=32, depth=2)
    fresh.setup(ds, torch.device("cpu"))
    fresh.load_state_dict(state)
    assert fresh.pretrained and fresh.bandwidths == obj.bandwidths and fresh.ae_loss == obj.ae_loss
    x = torch.from_numpy(ds.sample(32, rng))
    torch.testing.assert_close(fresh.decode(fresh.encode(x)), obj.decode(obj.encode(x)))
    with pytest.raises(KeyError):
        fresh.load_state_dict({})


def test_from_config_reads_extra():
    obj = build_objective(RunConfig(objective="gmmn-ae", model="mlp", width=64, depth=2,
                                    extra={"code_dim": 3, "ae_steps": 7}))
    assert (obj.code_dim, obj.ae_steps, obj.width, obj.depth) == (3, 7, 64, 2)
    with pytest.raises(ValueError, match="code_dim"):
        GMMNAE(code_dim=0)


def test_tiny_toy_run_writes_data_space_samples_and_a_plain_checkpoint(tiny_run, tmp_path):
    trainer, summary = tiny_run(objective="gmmn-ae", extra={"ae_steps": 20})
    assert np.load(tmp_path / "run" / "samples.npy").shape == (200, 2)
    assert {"modes", "hq", "mmd"} <= set(summary["metrics"])
    s = summary["objective_settings"]
    assert s["code_dim"] == 2 and s["ae_mse_last_steps"] < s["ae_mse_first_step"]
    state = torch.load(tmp_path / "run" / CHECKPOINT, weights_only=True)
    assert state["objective"]["pretrained"] is True and "encoder.net.0.weight" in state["objective"]["autoencoder"]
    assert all(k.startswith("codes.") for k in state["generator"])  # the generator's output is codes
    # the trainer's samples are the decoder applied to the generator's codes
    with torch.no_grad():
        codes = trainer.generator(torch.randn(5, 2))
    assert codes.shape == (5, 2)
    torch.testing.assert_close(trainer.objective.decode(codes), trainer.objective.autoencoder.decode(codes))



@pytest.mark.parametrize("dataset", ["8gaussians", "digits"])
def test_load_run_and_sample_cli_decode_like_the_trainer(tiny_run, tmp_path, dataset):
    """distmatch.load_run(...).sample and `distmatch sample` give the trainer's final samples.npy:
    codes drawn from the same noise, decoded by the checkpointed auto-encoder."""
    from click.testing import CliRunner

    import distmatch
    from distmatch.cli import cli

    trainer, _ = tiny_run(objective="gmmn-ae", dataset=dataset, extra={"ae_steps": 10})
    cfg, run_dir = trainer.cfg, tmp_path / "run"
    expected = np.load(run_dir / "samples.npy")
    seed = cfg.seed * 1_000_003 + cfg.steps + 1
    got = distmatch.load_run(run_dir).sample(cfg.eval_samples, seed=seed)
    np.testing.assert_array_equal(got, expected)
    out = tmp_path / "drawn.npy"
    result = CliRunner().invoke(cli, ["sample", str(run_dir), "--n", str(cfg.eval_samples), "--seed", str(seed),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(np.load(out), expected)

def test_tiny_digits_run(tiny_run, tmp_path):
    _, summary = tiny_run(objective="gmmn-ae", dataset="digits", extra={"ae_steps": 10})
    assert np.load(tmp_path / "run" / "samples.npy").shape == (200, 1, 8, 8)
    samples = np.load(tmp_path / "run" / "samples.npy")
    assert samples.min() >= -1 and samples.max() <= 1  # the DCGAN decoder's tanh
    assert np.isfinite(summary["metrics"]["fd"]) and summary["objective_settings"]["code_dim"] == 16
    assert summary["objective_settings"]["ae_model"] == "dcgan"


def count_stage1(monkeypatch) -> list:
    """Record every auto-encoder training from now on."""
    calls = []
    real = gmmn_ae_module.train_autoencoder

    def counting(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(gmmn_ae_module, "train_autoencoder", counting)
    return calls


@pytest.mark.parametrize("crash_step, resumed_at", [(10, 8), (2, 0)])
def test_resume_equals_uninterrupted_without_retraining_the_autoencoder(tiny_run, tmp_path, crash_then_resume,
                                                                          monkeypatch, crash_step, resumed_at):
    """Killed two steps after the step-8 checkpoint, or before the first periodic one (then the
    checkpoint written right after stage 1, at step 0, is resumed)."""
    opts = {**TINY_TOY, "objective": "gmmn-ae", "steps": 16, "extra": {"ae_steps": 30}}
    tiny_run("full", **{k: v for k, v in opts.items() if k != "dataset"})
    ds = get_dataset("8gaussians")
    cfg = resolve(RunConfig(**opts), ds)
    calls = count_stage1(monkeypatch)
    assert crash_then_resume(cfg, ds, tmp_path / "split", crash_step=crash_step) == resumed_at
    assert len(calls) == 1  # the killed run trained the auto-encoder; the resumed one did not
    np.testing.assert_array_equal(np.load(tmp_path / "full" / "samples.npy"),
                                  np.load(tmp_path / "split" / "samples.npy"))
    full = (tmp_path / "full" / "metrics.jsonl").read_text().splitlines()
    split = (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in split] == [json.loads(line)["step"] for line in full] \
        == [0, 4, 8, 12, 16]


def test_digits_resume_from_the_stage1_checkpoint(tmp_path, crash_then_resume):
    digits = get_dataset("digits")
    opts = {**TINY_DIGITS, "objective": "gmmn-ae", "steps": 4, "extra": {"ae_steps": 5}}
    cfg = resolve(RunConfig(**opts), digits)
    Trainer(cfg, digits, tmp_path / "full", quiet=True).fit()
    assert crash_then_resume(cfg, digits, tmp_path / "split", crash_step=1) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "full" / "samples.npy"),
                                  np.load(tmp_path / "split" / "samples.npy"))
    steps = [json.loads(line)["step"] for line in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [0, 2, 4]  # the step-0 evaluation is not repeated on resume


def test_other_objectives_write_no_step0_checkpoint(tmp_path):
    """The stage-1 checkpoint is gmmn-ae's alone: a run killed before its first checkpoint restarts."""
    ds = get_dataset("8gaussians")
    cfg = resolve(RunConfig(**{**TINY_TOY, "objective": "mmd"}), ds)
    trainer = Trainer(cfg, ds, tmp_path / "mmd", quiet=True)
    trainer.train_step = lambda: (_ for _ in ()).throw(KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    assert not (tmp_path / "mmd" / CHECKPOINT).exists()
