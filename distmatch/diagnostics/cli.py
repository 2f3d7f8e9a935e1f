"""``distmatch diagnose``: mode-collapse, vanishing-gradient, saturation-1d and mmd-bandwidth figures.

Each subcommand writes ``<out>/<name>.png/.pdf`` and the data behind it in ``<out>/data/``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import click
import numpy as np
from tqdm.auto import tqdm

from ..data import DataError, get_dataset
from .common import MODE_COLLAPSE_OBJECTIVES, WGAN_CRITICS, parse_seeds, single_thread, write_csv, write_json

if TYPE_CHECKING:
    from . import mode_collapse as mc
    from . import vanishing_gradient as vg


def experiment(name: str):
    """An experiment module, imported when a command runs (so --help never loads torch)."""
    return importlib.import_module(f"distmatch.diagnostics.{name}")

POS_INT = click.IntRange(min=1)


class SeedSpec(click.ParamType):
    """'0,1,2' or '0-2' -> [0, 1, 2]."""

    name = "seeds"

    def convert(self, value, param, ctx) -> list[int]:
        if isinstance(value, list):
            return value
        try:
            return parse_seeds(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def common_options(default_seeds: str = "0-2") -> Callable:
    """--seeds, --out, --fast, --quiet shared by every subcommand."""
    def wrap(f: Callable) -> Callable:
        f = click.option("--quiet", is_flag=True, help="No progress bars or summary lines.")(f)
        f = click.option("--fast", is_flag=True, help="Tiny settings (seconds), for tests and smoke runs.")(f)
        f = click.option("--out", type=click.Path(file_okay=False), default="figures", show_default=True,
                         help="Folder for the figure; data goes to <out>/data/.")(f)
        return click.option("--seeds", type=SeedSpec(), default=default_seeds, show_default=True,
                            help="Seeds, e.g. '0,1,2' or '0-2' (all are run and reported; none are picked).")(f)
    return wrap


def user_errors(f: Callable) -> Callable:
    """Turn ValueError / DataError from the experiments into one-line click errors."""
    @functools.wraps(f)
    def inner(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except (ValueError, DataError) as exc:
            raise click.ClickException(str(exc)) from None
    return inner


def report(quiet: bool, *lines: str) -> None:
    if not quiet:
        for line in lines:
            click.echo(line)


def written(paths: list[Path], seconds: float) -> str:
    return f"wrote {', '.join(str(p) for p in paths)} in {seconds:.1f} s"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def diagnose() -> None:
    """Diagnostic experiments and figures: mode collapse, vanishing gradients, saturation, MMD bandwidth."""


# ----------------------------------------------------------------------------- mode-collapse
@diagnose.command("mode-collapse")
@common_options()
@click.option("--dataset", default="8gaussians", show_default=True,
              help="2-D mixture with known centres: 8gaussians, 25gaussians, ring, grid.")
@click.option("--steps", type=POS_INT, help="Generator steps per run [1000; --fast: 40].")
@click.option("--objectives", default=",".join(MODE_COLLAPSE_OBJECTIVES), show_default=True,
              help="Comma-separated objectives (rows of the figure).")
@click.option("--samples", type=POS_INT, help="Samples per evaluation [1000; --fast: 300].")
@click.option("--workers", type=POS_INT, default=min(2, os.cpu_count() or 1), show_default=True,
              help="Processes running (objective, seed) jobs in parallel.")
@user_errors
def mode_collapse_cmd(seeds, out, fast, quiet, dataset, steps, objectives, samples, workers) -> None:
    """Samples at 5 training steps per objective, and modes covered vs step (mean ± std over seeds)."""
    mc = experiment("mode_collapse")
    objs = _objectives(objectives)
    mc.check_toy(get_dataset(dataset))
    steps = steps or (40 if fast else 1000)
    n_samples, n_evals = samples or (300 if fast else 1000), 4 if fast else 20
    t0 = time.perf_counter()
    bar = tqdm(total=len(objs) * len(seeds), desc="mode-collapse runs", unit="run", disable=quiet)
    result = mc.run_mode_collapse(dataset, seeds, steps, objs, n_samples, n_evals, 1 if fast else workers,
                                  progress=lambda r: (bar.update(1), bar.set_postfix(last=f"{r.objective}/{r.seed}")))
    bar.close()
    stem = f"mode_collapse_{dataset}"
    paths = _write_mode_collapse(result, Path(out), stem, fast)
    report(quiet, *[f"{o}: final modes {v['final_modes_mean']:.2f} ± {v['final_modes_std']:.2f} of {result.n_modes} "
                    f"(per seed {v['final_modes_per_seed']})" for o, v in mc.summary(result).items()],
           written(paths, time.perf_counter() - t0))


def _objectives(spec: str) -> list[str]:
    from ..objectives import OBJECTIVES

    objs = [o.strip() for o in spec.split(",") if o.strip()]
    bad = [o for o in objs if o not in OBJECTIVES]
    if bad or not objs:
        raise click.BadParameter(f"unknown objective(s) {', '.join(bad) or '(none)'}; choose from "
                                 f"{', '.join(OBJECTIVES)}", param_hint="--objectives")
    return objs


def _write_mode_collapse(result: mc.ModeCollapseResult, out: Path, stem: str, fast: bool) -> list[Path]:
    from . import mode_collapse as mc
    from .figures import mode_collapse_figure
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    csv = write_csv(mc.metric_rows(result), data / f"{stem}.csv")
    npz = data / f"{stem}_samples.npz"
    np.savez_compressed(npz, **mc.snapshot_arrays(result))
    meta = {"experiment": "mode-collapse", "dataset": result.dataset, "objectives": result.objectives,
            "seeds": result.seeds, "steps": result.steps, "eval_steps": result.eval_steps,
            "snapshot_steps": result.snapshot_steps, "fast": fast, "settings": result.settings,
            "figure_seed": result.seeds[0], "summary": mc.summary(result),
            "files": {"metrics": csv.name, "samples": npz.name}}
    js = write_json(meta, data / f"{stem}.json")
    return mode_collapse_figure(result, out / f"{stem}.png") + [csv, npz, js]


# ----------------------------------------------------------------------------- vanishing-gradient
@diagnose.command("vanishing-gradient")
@common_options()
@click.option("--dataset", default="8gaussians", show_default=True, help="Toy name, or digits (DCGAN models).")
@click.option("--steps", type=POS_INT, help="Discriminator / critic iterations [2000; --fast: 400].")
@click.option("--record-every", type=POS_INT, default=10, show_default=True, help="Record every k iterations.")
@click.option("--pretrain-steps", type=click.IntRange(min=0), default=0, show_default=True,
              help="Non-saturating GAN steps before the generator is fixed (0 = untrained).")
@click.option("--d-lr", type=click.FloatRange(min=0, min_open=True), default=1e-3, show_default=True,
              help="Adam learning rate of the discriminator.")
@click.option("--wgan-critic", type=click.Choice(WGAN_CRITICS), default="gp", show_default=True,
              help="Wasserstein critic: gradient penalty (Adam 1e-4) or weight clipping (RMSProp 5e-5).")
@user_errors
def vanishing_gradient_cmd(seeds, out, fast, quiet, dataset, steps, record_every, pretrain_steps, d_lr,
                           wgan_critic) -> None:
    """Generator gradient norms under log(1-D), -log D and -f while D / f train from scratch."""
    single_thread()
    vg = experiment("vanishing_gradient")
    vg.check_dataset(dataset)
    s = vg.VGSettings(dataset=dataset, d_steps=steps or (400 if fast else 2000), record_every=record_every,
                      pretrain_steps=pretrain_steps, d_lr=d_lr, wgan_critic=wgan_critic,
                      eval_batch=256 if fast else 512)
    t0 = time.perf_counter()
    with tqdm(total=s.d_steps * len(seeds), desc="D iterations", unit="it", disable=quiet) as bar:
        result = vg.run_vanishing_gradient(s, seeds, tick=bar.update)
    paths = _write_vanishing(result, Path(out), f"vanishing_gradient_{Path(dataset).stem}", fast)
    report(quiet, vg.drop_message(result), written(paths, time.perf_counter() - t0))


def _write_vanishing(result: vg.VGResult, out: Path, stem: str, fast: bool) -> list[Path]:
    from . import vanishing_gradient as vg
    from .figures import vanishing_gradient_figure
    csv = write_csv(vg.rows(result), out / "data" / f"{stem}.csv")
    js = write_json({"experiment": "vanishing-gradient", "settings": dataclasses.asdict(result.settings),
                     "seeds": result.seeds, "fast": fast, "summary": vg.summary(result), "files": {"curves": csv.name}},
                    out / "data" / f"{stem}.json")
    return vanishing_gradient_figure(result, out / f"{stem}.png") + [csv, js]


# ----------------------------------------------------------------------------- saturation-1d
@diagnose.command("saturation-1d")
@common_options()
@click.option("--steps", type=POS_INT, help="Training steps of the discriminator and the critic [3000; --fast: 500].")
@click.option("--separation", type=click.FloatRange(min=0, min_open=True), default=4.0, show_default=True,
              help="Distance between the real N(+s/2, 0.1²) and fake N(-s/2, 0.1²) modes.")
@user_errors
def saturation_cmd(seeds, out, fast, quiet, steps, separation) -> None:
    """A near-optimal GAN discriminator saturates between far-apart 1-D Gaussians; a WGAN critic does not."""
    sat = experiment("saturation")
    s = sat.SatSettings(real_mean=separation / 2, fake_mean=-separation / 2, steps=steps or (500 if fast else 3000),
                        x_min=-separation, x_max=separation)
    t0 = time.perf_counter()
    with tqdm(total=len(seeds), desc="saturation-1d seeds", unit="seed", disable=quiet) as bar:
        result = sat.run_saturation(s, seeds, tick=lambda: bar.update(1))
    from .figures import saturation_figure
    out = Path(out)
    csv = write_csv(sat.rows(result), out / "data" / "saturation_1d.csv")
    js = write_json({"experiment": "saturation-1d", "fast": fast, **sat.summary(result),
                     "files": {"curves": csv.name}}, out / "data" / "saturation_1d.json")
    paths = saturation_figure(result, out / "saturation_1d.png") + [csv, js]
    num = sat.at_fake_mode(result)
    report(quiet, f"at the fake mode x={num['x']:g}: D logit {_fmt(num['d_logit'])}, |dD/dx| / max "
                  f"{_fmt(num['dD_dx_over_max'], '.1e')}, minimax grad {_fmt(num['grad_minimax'], '.1e')}, "
                  f"-log D grad {_fmt(num['grad_nonsaturating'])}, WGAN grad {_fmt(num['grad_wgan'])}",
           written(paths, time.perf_counter() - t0))


def _fmt(values: list[float], spec: str = ".2f") -> str:
    return "[" + ", ".join(format(v, spec) for v in values) + "]"


# ----------------------------------------------------------------------------- mmd-bandwidth
@diagnose.command("mmd-bandwidth")
@common_options(default_seeds="0")
@click.option("--dataset", type=click.Choice(["8gaussians", "ring"]), default="8gaussians", show_default=True,
              help="A mixture with its modes on a circle.")
@click.option("--shift", type=click.FloatRange(min=0), default=0.15, show_default=True,
              help="Radial offset of the generated modes from the data modes.")
@user_errors
def mmd_bandwidth_cmd(seeds, out, fast, quiet, dataset, shift) -> None:
    """Witness functions and loss landscapes of small, medium, large and multi-bandwidth Gaussian kernels."""
    single_thread()
    bw = experiment("mmd_bandwidth")
    extra = dict(n=400, n_grid=41, shifts=tuple(np.geomspace(1e-3, 2, 12).tolist())) if fast else {}
    s = bw.BWSettings(dataset=dataset, shift=shift, **extra)
    t0 = time.perf_counter()
    results = [bw.run_mmd_bandwidth(s, seed) for seed in tqdm(seeds, desc="mmd-bandwidth seeds", disable=quiet)]
    from .figures import mmd_bandwidth_figure
    out = Path(out)
    csv = write_csv(bw.landscape_rows(results[0]), out / "data" / "mmd_bandwidth_landscape.csv")
    js = write_json({"experiment": "mmd-bandwidth", "fast": fast, "figure_seed": results[0].seed,
                     "per_seed": [bw.summary(r) for r in results], "files": {"landscape": csv.name}},
                    out / "data" / "mmd_bandwidth.json")
    paths = mmd_bandwidth_figure(results[0], out / "mmd_bandwidth.png") + [csv, js]
    lines = [f"{k}: MMD² {v['mmd2']:.3g}, witness at uncovered modes / max {_fmt(v['witness_uncovered_rel'])}, "
             f"median data pull on generated points {v['median_attraction_on_fake']:.1e}"
             for k, v in bw.numbers(results[0]).items()]
    report(quiet, *lines, written(paths, time.perf_counter() - t0))
