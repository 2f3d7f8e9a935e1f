"""Figures, one function per figure type; all read from run directories so they can be remade."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .style import OBJECTIVE_ORDER, objective_colors, style  # noqa: E402,F401  (re-exported)
from ..rundir import RunDir  # noqa: E402


def save(fig: plt.Figure, path: Path, pdf: bool = False) -> list[Path]:
    """Save PNG (and PDF) and close the figure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    paths = [path.with_suffix(".png")] + ([path.with_suffix(".pdf")] if pdf else [])
    for p in paths:
        fig.savefig(p, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return paths


def scatter_samples(ax: plt.Axes, samples: np.ndarray, real: np.ndarray | None, centers: np.ndarray | None,
                    title: str = "", max_points: int = 2500, std: float | None = None) -> None:
    """Generated points (blue) and real points (dark grey) with mode centres (x) and, when ``std``
    is given, the 3·std high-quality radius around each centre."""
    from matplotlib.lines import Line2D

    blue = objective_colors()["mmd"]
    ax.scatter(samples[:max_points, 0], samples[:max_points, 1], s=3, color=blue, alpha=0.5,
               linewidths=0, rasterized=True)
    handles = [Line2D([], [], ls="", marker="o", ms=4, color=blue, label="generated")]
    if real is not None:
        ax.scatter(real[:max_points, 0], real[:max_points, 1], s=1, color="0.15", alpha=0.5, linewidths=0,
                   rasterized=True)
        handles.append(Line2D([], [], ls="", marker="o", ms=3, color="0.15", label="real"))
    if centers is not None:
        ax.scatter(centers[:, 0], centers[:, 1], marker="x", s=25, color="#d55e00", linewidths=1.2, zorder=3)
        handles.append(Line2D([], [], ls="", marker="x", ms=5, color="#d55e00", label="mode centre"))
        if std is not None:
            for c in centers:
                ax.add_patch(plt.Circle(c, 3 * std, fill=False, color="#d55e00", lw=0.6, alpha=0.8))
            handles.append(Line2D([], [], ls="", marker="o", ms=6, mfc="none", color="#d55e00",
                                  label="3·std (high quality)"))
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(title)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(handles=handles, loc="upper right", fontsize=7, frameon=True)


def plot_samples(run_dir: Path) -> Path | None:
    """``figures/samples.png`` of a run directory, read back from disk (``distmatch plot``)."""
    from ..data import get_dataset

    rundir = RunDir(run_dir)
    cfg = rundir.read_config()
    dataset = get_dataset(cfg.dataset, cfg.data_dir, cfg.seed)
    metrics = (rundir.read_summary() or {}).get("metrics", {})
    return draw_samples(rundir.read_samples(), dataset, cfg, metrics, Path(run_dir) / "figures" / "samples.png")


def draw_samples(samples: np.ndarray, dataset, cfg, metrics: dict, path: Path) -> Path | None:
    """Final samples over held-out real data (first two coordinates), or an image grid, at ``path``."""
    if dataset.kind == "image":
        from .image_plots import plot_image_grid
        return plot_image_grid(samples, path)
    if samples.shape[1] < 2:
        return None
    real = dataset.heldout(len(samples), np.random.default_rng(0))
    m = metrics
    title = f"{cfg.objective} on {Path(cfg.dataset).name}, seed {cfg.seed}"
    if "modes" in m:
        title += f"\n{m['modes']}/{m['n_modes']} modes, {m['hq']:.1f}% high quality"
    style()
    fig, ax = plt.subplots(figsize=(4.6, 4.6))
    scatter_samples(ax, samples, real, dataset.centers, title, std=dataset.std)
    return save(fig, path)[0]


def plot_curves(run_dir: Path) -> Path | None:
    """``figures/curves.png`` of a run directory, from its log and config."""
    rundir = RunDir(run_dir)
    return draw_curves(rundir.read_metrics(), rundir.read_config(), Path(run_dir) / "figures" / "curves.png")


def draw_curves(records: list[dict], cfg, path: Path) -> Path | None:
    """Losses and metrics against training steps (the log's records), at ``path``."""
    if not records:
        return None
    from ..metrics.registry import metric

    keys = ("g_loss", "d_loss", "d_real", "d_fake", "critic_acc", "critic_real", "critic_fake", "g_grad_norm",
            "modes", "hq", "rkl", "mmd", "fd", "precision", "recall", "coverage", "kl", "modes_1k", "kl_1k")
    panels = [k for k in keys if any(r.get(k) is not None for r in records)]
    style()
    ncols = min(len(panels), 5)
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols, 2.8 * nrows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    for ax, key in zip(axes.flat, panels):
        pts = [(r["step"], r[key]) for r in records if r.get(key) is not None]
        ax.plot(*zip(*pts), marker="o", ms=3)
        ax.set_xlabel("generator step")
        ax.set_ylabel(metric(key).label)
        if metric(key).log_scale and all(v > 0 for _, v in pts):
            ax.set_yscale("log")
    fig.suptitle(f"{cfg.objective} on {Path(cfg.dataset).name}, seed {cfg.seed}", y=1.03)
    fig.tight_layout()
    return save(fig, path)[0]


def plot_run(run_dir: str | Path) -> list[Path]:
    """All per-run figures; returns the paths written."""
    run_dir = Path(run_dir)
    return [p for p in (plot_samples(run_dir), plot_curves(run_dir)) if p is not None]
