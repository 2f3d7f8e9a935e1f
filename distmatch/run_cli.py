"""Click command ``run`` (registered on the main group by ``distmatch.cli``): one training run from
options, a config file and a preset, into its run directory, with a short summary at the end;
imports nothing heavy until it runs."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from . import io
from .cli_options import load_dataset, setting_options


@click.command()
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


def _fmt(v: object) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "n/a"
    return f"{v:.4g}" if isinstance(v, float) else str(v)
