"""Click command ``animate`` (registered on the main group by ``distmatch.cli``); imports nothing
heavy until it runs."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("run_dir", type=click.Path())
@click.option("--out", type=click.Path(dir_okay=False), help="GIF file to write [RUN_DIR/figures/training.gif].")
@click.option("--fps", type=click.IntRange(1, 50), default=4, show_default=True, help="Frames per second.")
def animate(run_dir: str, out: str | None, fps: int) -> None:
    """Draw a run's training animation (a GIF) from its snapshots/.

    2-D points: the generated samples over the data at every evaluation, in front of the critic's
    output (GANs, WGANs) or the MMD witness function (objectives without a scalar critic).
    Images: the samples of a fixed noise at every evaluation beside real images. Runs write
    snapshots at every evaluation and this animation at the end; this command redraws it.
    """
    from ..errors import describe_error

    if not Path(run_dir).is_dir():
        raise click.ClickException(f"{run_dir}: no such run directory")
    from .animation import make_animation

    try:
        path = make_animation(Path(run_dir), Path(out) if out else None, fps=fps)
    except (OSError, ValueError, LookupError, TypeError) as exc:  # malformed files: one line, never a traceback
        raise click.ClickException(describe_error(exc)) from None
    click.echo(f"wrote {path}", err=True)
