"""Click commands ``sweep`` and ``table`` (registered on the main group by ``distmatch.cli``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..report.tables import DEFAULT_METRICS, TableError, build_table, render
from .manifest import MANIFEST, read_manifest
from .runner import SWEEP_DEVICES, run_sweep
from .spec import SpecError, build_spec, expand_preset, load_spec_file, parse_sets



def _spec_from_options(spec_file: str | None, objectives: str | None, datasets: str | None, seeds: str | None,
                       steps: int | None, sets: tuple[str, ...]):
    """A SweepSpec from --spec FILE or from --objectives/--datasets/--seeds (+ --steps, --set)."""
    if spec_file:
        if objectives or datasets or seeds:
            raise SpecError("give either --spec FILE or --objectives/--datasets/--seeds, not both")
        spec = load_spec_file(spec_file)
    else:
        missing = [n for n, v in (("--objectives", objectives), ("--datasets", datasets), ("--seeds", seeds)) if not v]
        if missing:
            raise SpecError(f"missing {', '.join(missing)} (or give --spec FILE)")
        spec = build_spec(objectives, datasets, seeds)
    extra = parse_sets(sets)
    if steps is not None:
        extra["steps"] = steps
    spec.run_options = expand_preset({**spec.run_options, **extra})
    return spec


@click.command()
@click.option("--spec", "spec_file", type=click.Path(dir_okay=False),
              help="YAML/TOML spec: objectives, datasets, seeds, [steps], [run_options].")
@click.option("--objectives", help="Comma-separated objectives, e.g. mmd,wgan-gp.")
@click.option("--datasets", help="Comma-separated datasets, e.g. 8gaussians,ring.")
@click.option("--seeds", help="Seeds: '0-9', '0,3,5' or '0-4,7'.")
@click.option("--steps", type=click.IntRange(min=1), help="Total steps of every run [per-objective default].")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Fixed run option (a RunConfig field) for every run, e.g. --set eval_samples=500; repeatable.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Sweep directory: runs go to OUT/<objective>/<dataset>/s<seed>/.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Parallel runs (local: processes; ray: CPUs of a local Ray).")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local process pool, or Ray tasks (pip install 'distmatch[cluster]').")
@click.option("--address", help="ray: address of an existing cluster [start a local Ray].")
@click.option("--device", type=click.Choice(SWEEP_DEVICES), default="cpu", show_default=True,
              help="Where every run trains; cuda: the workers share the GPU (toys train fastest on the CPU).")
@click.option("--retry-failed", is_flag=True, help="Retrain runs that diverged before (default: keep them failed).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sweep(spec_file, objectives, datasets, seeds, steps, sets, out, workers, backend, address, device, retry_failed,
          quiet) -> None:
    """Train a grid of runs (objectives × datasets × seeds); re-run to resume.

    Completed runs are skipped, interrupted ones resume from their checkpoints, and a run that
    crashes or diverges is recorded as failed in OUT/manifest.json without stopping the others.
    Exits with code 1 if any run failed.
    """
    try:
        spec = _spec_from_options(spec_file, objectives, datasets, seeds, steps, sets)
    except SpecError as exc:
        raise click.ClickException(f"bad sweep spec: {exc}") from None
    if address and backend != "ray":
        raise click.ClickException("--address only applies to --backend ray")
    if backend == "ray":
        _require_ray()
    if device == "cuda":
        _require_cuda()
    manifest = run_sweep(spec, out, workers=workers, backend=backend, address=address,
                         retry_failed=retry_failed, progress=not quiet, device=device)
    _report(manifest, Path(out), {r.key for r in spec.runs()})


def _require_cuda() -> None:
    from ..devices import resolve_device  # imports torch: only when cuda is asked for

    try:
        resolve_device("cuda")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _require_ray() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        raise click.ClickException("--backend ray needs ray: pip install 'distmatch[cluster]'") from None


def _report(manifest: dict, out: Path, keys: set[str]) -> None:
    """One line of counts, one line per failed run of this spec; exit code 1 if any failed."""
    c = manifest["counts"]
    click.echo(f"{out}: {c['completed']} completed, {c['failed']} failed, {c['pending']} pending "
               f"in {manifest['sessions'][-1]['wall_seconds']:.0f} s (manifest: {out / 'manifest.json'})", err=True)
    failed = [r for r in manifest["runs"] if r["status"] == "failed" and r["key"] in keys]
    for r in failed:
        click.echo(f"  failed {r['key']}: {r['error']}", err=True)
    if failed:
        sys.exit(1)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--metrics", help=f"Comma-separated metric columns (keys of summary.json's metrics) "
              f"[those of {','.join(DEFAULT_METRICS)} that the runs have].")
@click.option("--format", "fmt", type=click.Choice(["md", "tex", "csv"]), default="md", show_default=True)
@click.option("--published", is_flag=True,
              help="Add published ring/grid rows (PacGAN Tab.1, VEEGAN Tab.1) with a source column.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file [stdout].")
def table(paths, metrics, fmt, published, output) -> None:
    """Aggregate run directories (or sweep directories) into a mean ± std (n) table over seeds.

    Rows are dataset and objective; the best mean in each column of a dataset is bold
    (modes/hq higher is better; rkl, mmd, sinkhorn, w1, w2 lower).
    """
    try:
        wanted = None if metrics is None else [m.strip() for m in metrics.split(",") if m.strip()]
        tbl = build_table([Path(p) for p in paths], wanted, published=published)
    except TableError as exc:
        raise click.ClickException(str(exc)) from None
    text = render(tbl, fmt)
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def has_manifest(path: str | Path) -> bool:
    """True for a sweep directory (for ``distmatch plot``)."""
    return (Path(path) / MANIFEST).is_file() and bool(read_manifest(Path(path)))


@click.group()
def _main() -> None:
    """Stand-alone entry (python -m distmatch.sweep.cli) until the commands are on `distmatch`."""


_main.add_command(sweep)
_main.add_command(table)

if __name__ == "__main__":
    _main(prog_name="distmatch")
