"""Command-line interface: ``distmatch run | list | eval | plot`` (and more, registered below)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import click
import numpy as np

from . import io
from .data import DataError, dataset_descriptions, get_dataset
from .errors import describe_error
from .objectives import OBJECTIVES, describe
from .presets import names as preset_names
from .settings import SETTINGS, Setting, click_range


def float_list(ctx, param, value: str | None, spec: Setting | None = None) -> list[float] | None:
    """Parse '0.1,0.2,0.4' into positive floats in the range of ``spec`` (default: bandwidths)."""
    if value is None:
        return None
    try:
        vals = [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {value!r}") from None
    spec = SETTINGS["bandwidths"] if spec is None else spec
    low, high = spec.low, spec.high
    if not vals or any(not np.isfinite(v) or v <= 0 for v in vals):
        raise click.BadParameter(f"expected positive finite numbers, got {value!r}")
    if any(not low <= v <= high for v in vals):
        raise click.BadParameter(f"each value must lie in [{low:g}, {high:g}], got {value!r}")
    return vals


def load_dataset(name: str, data_dir: str | None, seed: int = 0):
    """get_dataset with user errors turned into one-line click errors."""
    try:
        return get_dataset(name, data_dir, seed)
    except DataError as exc:
        raise click.ClickException(str(exc)) from None


REGISTRIES = {"objectives": lambda: list(OBJECTIVES), "presets": preset_names}  # Setting.registry -> names


def setting_options(settings: Mapping[str, Setting] | None = None):
    """The ``run`` options of every user-facing setting of ``settings`` (default
    :data:`~distmatch.settings.SETTINGS`), in declaration order: name, type, range or choices,
    default and help from its :class:`~distmatch.settings.Setting`; for the options objectives
    declare (``Objective.options``) the default and help come from the objectives that read it."""
    from .objectives import option_declarations

    settings = SETTINGS if settings is None else settings
    declared = option_declarations()

    def decorate(command):
        for name, spec in reversed(list(settings.items())):
            if spec.where == "run":
                command = _setting_option(name, spec)(command)
            elif spec.where == "objective" and name in declared:
                default, helps = declared[name]
                text = "; ".join(f"{objective}: {help_}" for objective, help_ in helps)
                shown = f" [default: {default:g}]" if isinstance(default, float) else ""
                command = _setting_option(name, spec, text + shown)(command)
        return command

    return decorate


def _setting_option(name: str, spec: Setting, help_: str | None = None):
    """The click option of setting ``name``: ``--name-with-dashes`` (a bool setting: a
    flag, ``--x/--no-x`` when it defaults to true), its type with the range or choices, its
    default (shown in help unless None) and its help."""
    flag = f"--{name.replace('_', '-')}"
    kwargs: dict = {"help": spec.help if help_ is None else help_}
    if spec.kind is bool:
        if spec.default:
            return click.option(f"{flag}/--no-{flag[2:]}", default=True, show_default=True, **kwargs)
        return click.option(flag, is_flag=True, **kwargs)
    if spec.kind is list:
        kwargs["callback"] = partial(float_list, spec=spec)
    elif spec.kind in (int, float):
        kwargs["type"] = click_range(name, spec)
    elif spec.registry:
        kwargs["type"] = click.Choice(REGISTRIES[spec.registry]())
    elif spec.choices:
        kwargs["type"] = click.Choice(spec.choices)
    elif spec.is_dir:
        kwargs["type"] = click.Path(file_okay=False)
    elif spec.kind is not str:
        raise TypeError(f"{name}: a {spec.kind.__name__} setting has no `run` option (declare it where='file')")
    if spec.default is not None:
        kwargs.update(default=spec.default, show_default=True)
    return click.option(flag, **kwargs)


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
        except Exception as exc:  # noqa: BLE001 - the boundary
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(describe_error(exc)) from None


@click.group(cls=ErrorBoundary, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="distmatch")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an error instead of one line.")
def cli(debug: bool) -> None:
    """Train and compare generative distribution-matching objectives on one shared footing."""


@cli.command()
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="YAML/TOML file of settings (the keys of a sweep spec, or any option's name with _); "
                   "options given on the command line override it.")
@setting_options()
@click.option("--out", type=click.Path(file_okay=False), help="Run directory [runs/<objective>-<dataset>-s<seed>].")
@click.option("--resume", is_flag=True, help="Continue from the run directory's checkpoint.")
@click.option("--overwrite", is_flag=True,
              help="Replace the run in --out (only a directory that holds a distmatch run, only its own files).")
@click.option("--quiet", is_flag=True, help="No progress bar or summary.")
def run(config_file: str | None, out: str | None, resume: bool, overwrite: bool, quiet: bool, **options) -> None:
    """Train a generator and write samples, metrics, checkpoint and figures to a run directory."""
    from .data.identity import dataset_label
    from .rundir import RunDir
    from .training import train_into

    if resume and overwrite:
        raise click.UsageError("--resume and --overwrite contradict each other: give one of them")
    options = with_explicit_settings(options, config_file)
    dataset = load_dataset(options["dataset"], options["data_dir"], options["seed"])
    from .config import RunConfig, resolve

    cfg = resolve(RunConfig(**options), dataset)
    rundir = RunDir(out or f"runs/{cfg.objective}-{dataset_label(cfg.dataset_id)}-s{cfg.seed}")
    mode = "resume" if resume else "overwrite" if overwrite else "new"
    outcome = train_into(rundir, cfg, dataset, mode, quiet, notify=lambda msg: click.echo(msg, err=True),
                         on_resume=None if quiet else
                         lambda step: click.echo(f"resuming {rundir.path} from step {step}", err=True))
    if outcome.summary is None:
        click.echo(outcome.message, err=True)
    elif not quiet:
        click.echo(format_summary(outcome.summary, rundir.path))


def with_explicit_settings(options: dict, path: str | None) -> dict:
    """The options, where the command line gave none, filled from the config file, then from the
    preset that either names (command line > config file > preset > defaults)."""
    from click.core import ParameterSource

    from .presets import apply
    from .settings import run_file_options

    ctx = click.get_current_context()
    from_file = run_file_options(io.read_settings_file(Path(path)), path) if path else {}
    given = {k: v for k, v in options.items() if ctx.get_parameter_source(k) not in (ParameterSource.DEFAULT, None)}
    return {**options, **apply({**from_file, **given})}


def format_summary(summary: dict, out_dir: Path) -> str:
    """A short human-readable end-of-run summary."""
    m = summary["metrics"]
    lines = [f"run dir      {out_dir}"]
    if "modes" in m:
        lines.append(f"modes        {m['modes']}/{m['n_modes']}")
        lines.append(f"high quality {m['hq']:.1f} %")
        lines.append(f"reverse KL   {_fmt(m['rkl'])}")
    from .metrics.registry import metric

    for key in ("fd", "kid", "precision", "recall", "coverage", "kl", "modes_1k", "kl_1k", "mmd", "sinkhorn", "w1", "w2"):
        if key in m:
            lines.append(f"{metric(key).short:<12} {_fmt(m[key])}")
    skipped = summary.get("not_computed") or {}
    for reason in dict.fromkeys(skipped.values()):
        lines.append(f"not computed {', '.join(k for k, v in skipped.items() if v == reason)} ({reason})")
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
    from .metrics import evaluate
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

    metrics = evaluate(samples, dataset, metric_bandwidths(cfg, dataset), np.random.default_rng(cfg.seed + 7),
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

    for command in (sweep, table, diagnose, data, sample, report, animate):
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
