"""distmatch: generative distribution-matching objectives on one shared footing."""

__version__ = "0.1.0"
