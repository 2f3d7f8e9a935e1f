"""``python -m distmatch``: the same command line as ``distmatch``."""

from .cli import main

main()
