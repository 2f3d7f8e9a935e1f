"""Command-line interface: the ``distmatch`` group with its one error boundary, and the commands
``list | eval | plot | distance``; ``run`` (:mod:`distmatch.run_cli`) and the others live in their own
modules and are registered below."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np

from . import io
from .cli_options import REGISTRIES, float_list, load_dataset, setting_options  # noqa: F401  (re-exported)
from .data import DataError, dataset_descriptions
from .errors import describe_error
from .objectives import OBJECTIVES, describe
from .run_cli import format_summary, run, with_explicit_settings  # noqa: F401  (re-exported)
from .settings import click_range


class ErrorBoundary(click.Group):
    """The one error boundary: any error a command did not turn into a click error itself (OS
    errors, decoding errors, malformed files, bad settings) becomes one line and exit code 1;
    ``distmatch --debug ...`` shows the traceback instead."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort,
                KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # the boundary: everything else becomes one line
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(describe_error(exc)) from None


@click.group(cls=ErrorBoundary, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="distmatch")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an error instead of one line.")
def cli(debug: bool) -> None:
    """Train and compare generative distribution-matching objectives on one shared footing."""


@cli.command(name="list")
def list_cmd() -> None:
    """List objectives and datasets with one-line descriptions."""
    click.echo("objectives:")
    for name in OBJECTIVES:
        click.echo(f"  {name:<14} {describe(name)}")
    click.echo("datasets:")
    for name, desc in dataset_descriptions().items():
        click.echo(f"  {name:<14} {desc}")
    click.echo("  path.npy|.csv  your own points: a 2-D array of finite numbers (rows = points)")


def check_run_dir(run_dir: str) -> Path:
    """A run directory whose config.json is valid, else a one-line error."""
    from .rundir import RunDir

    RunDir(run_dir).read_config()
    return Path(run_dir)


@cli.command(name="eval")
@click.argument("run_dir")
def eval_cmd(run_dir: str) -> None:
    """Recompute all metrics of a run directory from its samples.npy and update summary.json."""
    from .data.identity import dataset_identity
    from .metrics import evaluate, final_rng
    from .rundir import RunDir

    rundir = RunDir(run_dir)
    cfg = rundir.read_config()
    summary = rundir.read_summary() or {}
    samples = rundir.read_samples()
    dataset = load_dataset(cfg.dataset, cfg.data_dir, cfg.seed)
    if cfg.dataset_id is not None and dataset_identity(dataset) != cfg.dataset_id:
        raise click.ClickException(f"{cfg.dataset} is not the data {run_dir} was trained on (its content changed); "
                                   "metrics against other data would be wrong")
    if samples.shape[1:] != tuple(dataset.shape):
        raise click.ClickException(f"{rundir.samples}: samples of shape {samples.shape[1:]} do not match the data's "
                                   f"{tuple(dataset.shape)}")
    from .config import metric_bandwidths

    metrics = evaluate(samples, dataset, metric_bandwidths(cfg, dataset), final_rng(cfg.seed),
                       full=True)
    from .metrics import not_computed

    summary["metrics"] = metrics
    summary.pop("not_computed", None)
    skipped = not_computed(dataset, distances=True)
    summary.update({"not_computed": skipped} if skipped else {})
    io.save_json(summary, rundir.summary)
    shown = {k: v for k, v in metrics.items() if not k.startswith("time_")}
    click.echo(io.dumps({**shown, **({"not_computed": skipped} if skipped else {})}))


@cli.command(name="plot")
@click.argument("run_dir")
def plot_cmd(run_dir: str) -> None:
    """Redraw the figures of a run directory (samples, curves) or of a sweep directory (metric plots)."""
    from .sweep.cli import has_manifest

    if has_manifest(run_dir):
        from .report.sweep_plots import plot_sweep
        paths = plot_sweep(Path(run_dir))
    else:
        from .report.plots import plot_run
        paths = plot_run(check_run_dir(run_dir))
    for p in paths:
        click.echo(str(p))


@cli.command(name="distance")
@click.argument("x_file")
@click.argument("y_file")
@click.option("--bandwidths", callback=float_list, help="MMD Gaussian σ's [median heuristic ladder of the pooled data].")
@click.option("--blur", type=click_range("blur"), default=0.01, show_default=True, help="Sinkhorn blur (ε = blur²).")
@click.option("--max-exact", type=click.IntRange(2, 10_000), default=1500, show_default=True,
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
    from .config import median_heuristic_ladder

    bandwidths = bandwidths or median_heuristic_ladder(np.concatenate([x, y]))
    out = {"n_x": len(x), "n_y": len(y), "mmd2_unbiased": mmd_unbiased(x, y, bandwidths),
           "bandwidths": bandwidths, "sinkhorn": sinkhorn_divergence(x, y, blur=blur), "blur": blur,
           "w1": exact_wasserstein(x, y, 1, max_exact), "w2": exact_wasserstein(x, y, 2, max_exact)}
    click.echo(io.dumps(out))


def _register_commands() -> None:
    """Commands that live in their own modules."""
    from .data.cli import data
    from .diagnostics.cli import diagnose
    from .report.animate_cli import animate
    from .report.cli import report
    from .sample_cli import sample
    from .sweep.cli import sweep, table

    for command in (run, sweep, table, diagnose, data, sample, report, animate):
        cli.add_command(command)


_register_commands()


def main() -> None:
    """Entry point: errors become one-line messages with a non-zero exit code (see ErrorBoundary)."""
    from .objectives import PLUGIN_ERRORS

    if PLUGIN_ERRORS:
        click.echo(f"Error: {PLUGIN_ERRORS[0]}", err=True)
        sys.exit(1)
    cli(prog_name="distmatch")


if __name__ == "__main__":
    sys.exit(main())
