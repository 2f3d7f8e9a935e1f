"""The one figure style of distmatch, without importing seaborn (pandas and scipy.stats make its
import cost ~1 s, more than a run's figures take to draw).

The values are seaborn's ``set_theme(style="whitegrid", palette="colorblind", context="paper",
font_scale=1.1)``, copied once, so the figures look as they did when seaborn set them. Sweep
figures still use seaborn's box and strip plots and apply this same style.
"""

from __future__ import annotations

# seaborn's "colorblind" palette (Waskom 2021), as hex
PALETTE = ["#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494", "#ece133",
           "#56b4e9"]
OBJECTIVE_ORDER = ["mmd", "sinkhorn", "minimax", "nonsaturating", "wgan-clip", "wgan-gp", "mmd-gan", "gmmn-ae"]

_BASE, _TICK = 10.56, 9.68  # "paper" context x 1.1
RC = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.grid": True, "axes.labelcolor": ".15",
    "axes.labelsize": _BASE, "axes.linewidth": 1.0, "axes.titlesize": _BASE, "axes.facecolor": "white",
    "figure.facecolor": "white", "font.size": _BASE,
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans", "sans-serif"],
    "grid.color": ".8", "legend.fontsize": _TICK, "legend.title_fontsize": _BASE, "lines.linewidth": 1.2,
    "lines.markersize": 4.8, "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True,
    "patch.linewidth": 0.8, "text.color": ".15", "xtick.bottom": False, "xtick.color": ".15",
    "xtick.labelsize": _TICK, "xtick.major.size": 4.8, "xtick.major.width": 1.0, "xtick.minor.size": 3.2,
    "xtick.minor.width": 0.8, "ytick.color": ".15", "ytick.labelsize": _TICK, "ytick.left": False,
    "ytick.major.size": 4.8, "ytick.major.width": 1.0, "ytick.minor.size": 3.2, "ytick.minor.width": 0.8,
}


def style() -> None:
    """Apply the shared style to matplotlib (Agg backend: figures are files, never windows)."""
    import matplotlib

    matplotlib.use("Agg")
    from cycler import cycler

    matplotlib.rcParams.update({**RC, "axes.prop_cycle": cycler(color=PALETTE)})


def objective_order() -> list[str]:
    """The built-in objectives in figure order, then any other registered one (plug-ins) in registry order."""
    from ..objectives import REGISTRY

    return OBJECTIVE_ORDER + [name for name in REGISTRY if name not in OBJECTIVE_ORDER]


def objective_colors() -> dict[str, str]:
    """A fixed colour per registered objective, the same in every figure (the palette repeats after 10)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(objective_order())}
