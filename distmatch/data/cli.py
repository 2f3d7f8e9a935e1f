"""``distmatch data ...``: download datasets into the folder the loaders read by default."""

from __future__ import annotations

import click

from .download import DEFAULT_TIMEOUT, FILES, MIRRORS, fetch_dataset
from .errors import DataError
from .paths import DATA_ENV


@click.group(name="data")
def data() -> None:
    """Download datasets (MNIST, Fashion-MNIST) into $DISTMATCH_DATA [~/.cache/distmatch/data]."""


@data.command(name="fetch")
@click.argument("name", type=click.Choice(list(FILES)))
@click.option("--mirror", "mirrors", multiple=True, metavar="URL",
              help="Base URL holding the four .gz files; repeat to try several in order "
                   "[mnist: ossci-datasets S3, then yann.lecun.com; fashion-mnist: Zalando's S3].")
@click.option("--to", "folder", type=click.Path(file_okay=False),
              help=f"Folder for the files [${DATA_ENV}/<name>, default ~/.cache/distmatch/data/<name>].")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT,
              show_default=True, help="Seconds to wait for a connection or for the next bytes.")
@click.option("--quiet", is_flag=True, help="No progress bars or summary.")
def fetch(name: str, mirrors: tuple[str, ...], folder: str | None, timeout: float, quiet: bool) -> None:
    """Download NAME's four IDX .gz files, check their SHA-256, resume a partial download."""
    try:
        paths = fetch_dataset(name, folder, mirrors or MIRRORS[name], timeout=timeout, quiet=quiet)
    except DataError as exc:
        raise click.ClickException(str(exc)) from None
    if not quiet:
        target = paths[0].parent
        use = "" if folder is None else f" --data-dir {target}"
        click.echo(f"{name}: {len(paths)} files with verified SHA-256 in {target}; "
                   f"train with `distmatch run --dataset {name}{use}`")

