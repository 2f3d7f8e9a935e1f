"""``distmatch sample RUN_DIR --n N [--seed S] --out FILE``: new samples from a run's trained generator.

The generator is rebuilt from the run's settings and loaded from its checkpoint (a finished run,
or one stopped after a checkpoint) by :class:`distmatch.api.Run`, which ``Run.sample`` uses too:
the same run, n and seed give the same numbers here and in Python. Every bad input is a one-line
``Error: ...`` with exit code 1, and an existing file is never replaced without ``--overwrite``.
"""

from __future__ import annotations

from pathlib import Path

import click

FORMATS = (".npy", ".csv", ".png")
SCATTER_POINTS = 2500  # points drawn in a .png scatter, as in the run's own figures/samples.png


class OneLineCommand(click.Command):
    """A command whose usage errors (missing option, a value that is not a number) are one
    ``Error:`` line like every other error of ``sample``, instead of usage text and a hint."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            name = f"{parent.command_path} {info_name}" if parent is not None else info_name
            raise click.ClickException(f"{exc.format_message().rstrip('.')} (see `{name} --help`)") from None


@click.command(name="sample", cls=OneLineCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--n", "n", type=int, required=True, help="Number of samples, 1 to 1,000,000.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Noise seed (0 to 2^63-1): the same seed gives the same samples. The run's own samples.npy "
                   "is --n <eval_samples> --seed <seed*1000003 + steps + 1>.")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True,
              help="Output file: .npy (float32 array, shape (N, *data shape)), .csv (one sample a line, images "
                   "flattened) or .png (image data: a grid of the first 100; points: a scatter of the first "
                   f"{SCATTER_POINTS:,} over the real data).")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists (never the run's own files).")
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), default="cpu", show_default=True,
              help="Where the generator runs (Run.sample runs on cpu unless load_run is given a device).")
def sample(run_dir: str, n: int, seed: int, out: str, overwrite: bool, device: str) -> None:
    """Draw N new samples from the trained generator of RUN_DIR and write them to --out."""
    ctx = click.get_current_context()
    try:
        path = write_samples(Path(run_dir), n, seed, Path(out), overwrite, device)
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - one line, like the distmatch error boundary
        if ctx.find_root().params.get("debug"):
            raise
        from .errors import describe_error

        raise click.ClickException(describe_error(exc)) from None
    click.echo(str(path))


def write_samples(run_dir: Path, n: int, seed: int, out: Path, overwrite: bool, device: str = "cpu") -> Path:
    """Check every input (cheap checks before anything is loaded), draw, and write ``out`` atomically."""
    from .api import MAX_SAMPLE_SEED, MAX_SAMPLES, load_run
    from .rundir import OWNED_FILES

    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise click.ClickException(f"{out}: unknown output format {out.suffix or '(no suffix)'!r}; "
                                   "give a .npy, .csv or .png file")
    if not 1 <= n <= MAX_SAMPLES:
        raise click.ClickException(f"--n {n} is out of range: give 1 to {MAX_SAMPLES:,} samples")
    if not 0 <= seed <= MAX_SAMPLE_SEED:
        raise click.ClickException(f"--seed {seed} is out of range: give 0 to {MAX_SAMPLE_SEED}")
    if out.is_dir():
        raise click.ClickException(f"{out} is a directory; give a file name ending in .npy, .csv or .png")
    if out.name in OWNED_FILES and out.parent.resolve() == run_dir.resolve():
        raise click.ClickException(f"refusing to write {out}: it is the run's own {out.name}; choose another --out")
    if (out.exists() or out.is_symlink()) and not overwrite:
        raise click.ClickException(f"{out} already exists; give --overwrite to replace it, or another --out")

    from . import io

    run = load_run(run_dir, device)
    samples = run.sample(n, seed)
    if suffix == ".npy":
        io.save_npy(samples, out)
    elif suffix == ".csv":
        import numpy as np

        flat = samples.reshape(len(samples), -1)
        io.atomic_write(out, lambda tmp: np.savetxt(tmp, flat, fmt="%.9g", delimiter=","))  # %.9g: float32 exact
    elif samples.ndim > 2:  # images (N, C, H, W)
        from .report.image_plots import plot_image_grid

        io.atomic_write(out, lambda tmp: plot_image_grid(samples, tmp))
    else:
        io.atomic_write(out, lambda tmp: _scatter(run, samples, seed, tmp))
    return out


def _scatter(run, samples, seed: int, path: str) -> None:
    """The samples over held-out real data (first two coordinates), as the run's figures/samples.png."""
    import numpy as np

    from .report.plots import save, scatter_samples, style  # sets the Agg backend first
    import matplotlib.pyplot as plt

    if samples.shape[1] < 2:
        raise click.ClickException(f"the data of {run.path} have {samples.shape[1]} dimension; a .png scatter "
                                   "needs at least 2 (write a .npy or .csv)")
    data = run.dataset  # identity-checked: a scatter over other data would mislead
    real = data.heldout(min(len(samples), SCATTER_POINTS), np.random.default_rng(0))
    cfg = run.config
    style()
    fig, ax = plt.subplots(figsize=(4.6, 4.6))
    scatter_samples(ax, samples, real, data.centers,
                    f"{cfg.objective} on {Path(cfg.dataset).name}, seed {cfg.seed}\n{len(samples):,} samples, "
                    f"sample seed {seed}", max_points=SCATTER_POINTS, std=data.std)
    save(fig, Path(path))
