"""Command-line interface: ``distmatch run | list | eval | plot`` (and more, registered below)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import click
import numpy as np

from .config import RunConfig, median_heuristic_ladder, metric_bandwidths, resolve
from .data import DataError, dataset_descriptions, get_dataset
from .noise import NOISE_KINDS
from .objectives import OBJECTIVES

POS_INT = click.IntRange(min=1)
POS_FLOAT = click.FloatRange(min=0, min_open=True)


def float_list(ctx, param, value: str | None) -> list[float] | None:
    """Parse '0.1,0.2,0.4' into positive floats."""
    if value is None:
        return None
    try:
        vals = [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {value!r}") from None
    if not vals or any(not np.isfinite(v) or v <= 0 for v in vals):
        raise click.BadParameter(f"expected positive finite numbers, got {value!r}")
    return vals


def load_dataset(name: str, data_dir: str | None, seed: int = 0):
    """get_dataset with user errors turned into one-line click errors."""
    try:
        return get_dataset(name, data_dir, seed)
    except DataError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="distmatch")
def cli() -> None:
    """Train and compare generative distribution-matching objectives on one shared footing."""


@cli.command()
@click.option("--objective", type=click.Choice(list(OBJECTIVES)), default="mmd", show_default=True,
              help="Training objective (see `distmatch list`).")
@click.option("--dataset", default="8gaussians", show_default=True,
              help="Toy name, image name, or a .npy/.csv file of points (rows = points).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed for all randomness.")
@click.option("--steps", type=POS_INT, help="Total generator steps (default per objective; resume counts from 0).")
@click.option("--batch-size", type=POS_INT, help="Batch size for real and generated batches.")
@click.option("--noise", type=click.Choice(NOISE_KINDS), default="gaussian", show_default=True,
              help="Noise distribution: uniform on [-1, 1] or standard normal.")
@click.option("--noise-dim", type=POS_INT, help="Noise dimension [points: the data dimension, images: 32].")
@click.option("--model", type=click.Choice(["mlp", "dcgan"]), help="Model family [points: mlp, images: dcgan].")
@click.option("--width", type=POS_INT,
              help="Hidden units (MLP) or base channels (DCGAN) [toy: 128; images: 32 for 8x8, 64 for 28x28, mlp 256].")
@click.option("--depth", type=POS_INT, help="Hidden layers of the MLPs [3].")
@click.option("--optimizer", type=click.Choice(["adam", "rmsprop", "sgd"]), help="Optimiser [from the objective's paper].")
@click.option("--lr", type=POS_FLOAT, help="Generator learning rate [from the objective's paper].")
@click.option("--critic-lr", type=POS_FLOAT, help="Critic learning rate [= --lr].")
@click.option("--critic-steps", type=POS_INT, help="Critic updates per generator update [paper value].")
@click.option("--lr-schedule", type=click.Choice(["constant", "cosine"]),
              help="Learning-rate schedule [mmd: cosine decay to 0; others: constant].")
@click.option("--clip", type=POS_FLOAT, default=0.01, show_default=True, help="wgan-clip weight clip c.")
@click.option("--gp-weight", type=click.FloatRange(min=0), help="wgan-gp penalty weight λ [toy: 0.1, images: 10].")
@click.option("--bandwidths", callback=float_list, help="mmd: comma-separated Gaussian σ's [median heuristic ladder].")
@click.option("--blur", type=POS_FLOAT, default=0.05, show_default=True,
              help="sinkhorn: entropic blur (eps = blur^2, in data units).")
@click.option("--eval-every", type=POS_INT, help="Evaluate and log every N steps [250].")
@click.option("--checkpoint-every", type=POS_INT, help="Checkpoint every N steps [= --eval-every].")
@click.option("--eval-samples", type=POS_INT, default=2500, show_default=True, help="Samples per evaluation.")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Folder holding MNIST/Fashion-MNIST IDX files.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where to train; auto picks CUDA when present.")
@click.option("--threads", type=click.IntRange(min=0),
              help="Torch CPU threads [toy and images up to 16x16: 1 (fastest); larger images: 0 = all].")
@click.option("--out", type=click.Path(file_okay=False), help="Run directory [runs/<objective>-<dataset>-s<seed>].")
@click.option("--resume", is_flag=True, help="Continue from the run directory's checkpoint.")
@click.option("--overwrite", is_flag=True, help="Delete an existing run directory first.")
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
def run(out: str | None, resume: bool, overwrite: bool, quiet: bool, **options) -> None:
    """Train a generator and write samples, metrics, checkpoint and figures to a run directory."""
    from .train import Trainer, TrainingDiverged

    dataset = load_dataset(options["dataset"], options["data_dir"], options["seed"])
    try:
        cfg = resolve(RunConfig(**options), dataset)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    out_dir = Path(out or f"runs/{cfg.objective}-{Path(cfg.dataset).stem}-s{cfg.seed}")
    prepare_run_dir(out_dir, cfg, resume, overwrite)
    try:
        trainer = Trainer(cfg, dataset, out_dir, quiet=quiet)
        resumed = resume and trainer.resume()
        if resumed and not quiet:
            click.echo(f"resuming {out_dir} from step {trainer.step}", err=True)
        summary = trainer.fit()
    except TrainingDiverged as exc:
        raise click.ClickException(str(exc)) from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if not quiet:
        click.echo(format_summary(summary, out_dir))


def prepare_run_dir(out_dir: Path, cfg: RunConfig, resume: bool, overwrite: bool) -> None:
    """Refuse to clobber or to resume under a different config; clear it with --overwrite."""
    config_path = out_dir / "config.json"
    if overwrite and out_dir.exists():
        shutil.rmtree(out_dir)
    elif resume and config_path.exists():
        diff = RunConfig.load(config_path).differences(cfg)
        if diff:
            old = RunConfig.load(config_path)
            detail = ", ".join(f"{k}: {getattr(old, k)!r} -> {getattr(cfg, k)!r}" for k in diff[:4])
            raise click.ClickException(f"cannot resume {out_dir}: its config differs ({detail}); "
                                       "use the same options or a new --out")
    elif resume:
        raise click.ClickException(f"cannot resume {out_dir}: no config.json there (start without --resume)")
    elif config_path.exists():
        raise click.ClickException(f"{out_dir} already holds a run; use --resume to continue it, "
                                   "--overwrite to replace it, or --out for a new directory")


def format_summary(summary: dict, out_dir: Path) -> str:
    """A short human-readable end-of-run summary."""
    m = summary["metrics"]
    lines = [f"run dir      {out_dir}"]
    if "modes" in m:
        lines.append(f"modes        {m['modes']}/{m['n_modes']}")
        lines.append(f"high quality {m['hq']:.1f} %")
        lines.append(f"reverse KL   {_fmt(m['rkl'])}")
    for key, label in (("fd", "FD (classifier)"), ("precision", "precision"), ("recall", "recall"),
                       ("coverage", "class coverage"), ("kl", "label KL"), ("mmd", "MMD² (unbiased)"),
                       ("sinkhorn", "Sinkhorn"),
                       ("w1", "W1 (exact)"), ("w2", "W2 (exact)")):
        if key in m:
            lines.append(f"{label:<12} {_fmt(m[key])}")
    bw = summary["objective_settings"].get("bandwidths")
    if bw:
        lines.append(f"bandwidths   {', '.join(f'{b:.3g}' for b in bw)} ({summary['config']['bandwidth_source']})")
    lines.append(f"wall time    {summary['train_seconds']:.1f} s train + {summary['eval_seconds']:.1f} s eval")
    return "\n".join(lines)


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "n/a"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


@cli.command(name="list")
def list_cmd() -> None:
    """List objectives and datasets with one-line descriptions."""
    click.echo("objectives:")
    for name, cls in OBJECTIVES.items():
        click.echo(f"  {name:<14} {cls.description}")
    click.echo("datasets:")
    for name, desc in dataset_descriptions().items():
        click.echo(f"  {name:<14} {desc}")
    click.echo("  path.npy|.csv  your own points: a 2-D array of finite numbers (rows = points)")


def check_run_dir(run_dir: str) -> Path:
    """A run directory with config.json, else a one-line error."""
    path = Path(run_dir)
    if not (path / "config.json").exists():
        raise click.ClickException(f"{path} is not a run directory (no config.json)")
    return path


@cli.command(name="eval")
@click.argument("run_dir")
def eval_cmd(run_dir: str) -> None:
    """Recompute all metrics of a run directory from its samples.npy and update summary.json."""
    from . import io
    from .metrics import evaluate

    path = check_run_dir(run_dir)
    if not (path / "samples.npy").exists():
        raise click.ClickException(f"{path} has no samples.npy (the run has not finished)")
    cfg = RunConfig.load(path / "config.json")
    dataset = load_dataset(cfg.dataset, cfg.data_dir, cfg.seed)
    samples = np.load(path / "samples.npy")
    metrics = evaluate(samples, dataset, metric_bandwidths(cfg, dataset), np.random.default_rng(cfg.seed + 7),
                       full=True)
    summary_path = path / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    summary["metrics"] = metrics
    io.save_json(summary, summary_path)
    click.echo(json.dumps({k: v for k, v in metrics.items() if not k.startswith("time_")}, indent=2))


@cli.command(name="plot")
@click.argument("run_dir")
def plot_cmd(run_dir: str) -> None:
    """Redraw the figures of a run directory (samples, curves) or of a sweep directory (metric plots)."""
    from .sweep_cli import has_manifest

    if has_manifest(run_dir):
        from .sweep_plots import plot_sweep
        paths = plot_sweep(Path(run_dir))
    else:
        from .plots import plot_run
        paths = plot_run(check_run_dir(run_dir))
    for p in paths:
        click.echo(str(p))


@cli.command(name="distance")
@click.argument("x_file")
@click.argument("y_file")
@click.option("--bandwidths", callback=float_list, help="MMD Gaussian σ's [median heuristic ladder of the pooled data].")
@click.option("--blur", type=POS_FLOAT, default=0.01, show_default=True, help="Sinkhorn blur (ε = blur²).")
@click.option("--max-exact", type=POS_INT, default=1500, show_default=True,
              help="Subsample size for exact W1/W2 (POT emd2 needs O(N²) memory).")
def distance_cmd(x_file: str, y_file: str, bandwidths: list[float] | None, blur: float, max_exact: int) -> None:
    """MMD² (unbiased), Sinkhorn divergence and exact W1/W2 between two .npy/.csv point sets."""
    from .data.files import load_points
    from .metrics.distances import exact_wasserstein, mmd_unbiased, sinkhorn_divergence

    try:
        x, y = (load_points(f, test_fraction=0.0).train for f in (x_file, y_file))
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    if x.shape[1] != y.shape[1]:
        raise click.ClickException(f"dimension mismatch: {x_file} has {x.shape[1]} columns, {y_file} has {y.shape[1]}")
    bandwidths = bandwidths or median_heuristic_ladder(np.concatenate([x, y]))
    out = {"n_x": len(x), "n_y": len(y), "mmd2_unbiased": mmd_unbiased(x, y, bandwidths),
           "bandwidths": bandwidths, "sinkhorn": sinkhorn_divergence(x, y, blur=blur), "blur": blur,
           "w1": exact_wasserstein(x, y, 1, max_exact), "w2": exact_wasserstein(x, y, 2, max_exact)}
    click.echo(json.dumps(out, indent=2))


def _register_commands() -> None:
    """Commands that live in their own modules."""
    from .diagnostics.cli import diagnose
    from .sweep_cli import sweep, table

    for command in (sweep, table, diagnose):
        cli.add_command(command)


_register_commands()


def main() -> None:
    """Entry point: click errors become one-line messages with a non-zero exit code."""
    cli(prog_name="distmatch")


if __name__ == "__main__":
    sys.exit(main())
