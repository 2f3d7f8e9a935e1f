"""Click command ``report`` (registered on the main group by ``distmatch.cli``)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("sweep_dir", type=click.Path())
@click.option("--out", type=click.Path(dir_okay=False), help="HTML file to write [SWEEP_DIR/report.html].")
@click.option("--plots/--no-plots", default=True, show_default=True,
              help="Draw the sweep figures first (as `distmatch plot SWEEP_DIR` does) when SWEEP_DIR/figures "
                   "holds none.")
def report(sweep_dir: str, out: str | None, plots: bool) -> None:
    """Write one self-contained offline HTML page for a sweep directory.

    The page holds the provenance (commit, versions, seeds, sample counts, config hash per run),
    the aggregated mean ± std (n) table (click a header to sort), every figure of the sweep and
    of its runs, inlined, and the runs that failed or are incomplete. It loads nothing from the
    network and can be mailed or archived as one file.
    """
    from ..errors import describe_error
    from .html import write_report

    try:
        path = write_report(Path(sweep_dir), Path(out) if out else None, draw=plots)
    except (OSError, ValueError, LookupError, TypeError) as exc:  # malformed files: one line, never a traceback
        raise click.ClickException(describe_error(exc)) from None
    click.echo(f"wrote {path}", err=True)
