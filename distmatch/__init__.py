"""distmatch: generative distribution-matching objectives on one shared footing.

The Python API (:mod:`distmatch.api`, walk-through in docs/api.md) is loaded on first use, so
``import distmatch`` stays cheap (no torch)::

    run = distmatch.train("mmd", "8gaussians", steps=200)    # -> distmatch.Run
    run = distmatch.load_run("runs/mmd-8gaussians-s0")
    x = run.sample(1000, seed=1)
"""

__version__ = "0.1.0"
__all__ = ["train", "load_run", "Run", "__version__"]

_API = ("train", "load_run", "Run")


def __getattr__(name: str):
    """``distmatch.train``, ``distmatch.load_run`` and ``distmatch.Run``, imported on first use."""
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
