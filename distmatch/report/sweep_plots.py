"""Figures of a sweep: each metric per objective, faceted by dataset, seeds as points."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from .plots import OBJECTIVE_ORDER, objective_colors, save, style
from ..metrics.registry import metric
from .tables import DEFAULT_METRICS, find_run_dirs, load_run


def sweep_frame(sweep_dir: str | Path) -> pd.DataFrame:
    """Long table (objective, dataset, seed, metric, value) of the completed runs of a sweep."""
    rows = []
    for run_dir in find_run_dirs([Path(sweep_dir)]):
        run = load_run(run_dir)
        if run["status"] != "completed":
            continue
        for key, value in run["metrics"].items():
            if not key.startswith("time_") and value is not None and math.isfinite(float(value)):
                rows.append({"objective": run["objective"], "dataset": run["dataset"], "seed": run["seed"],
                             "metric": key, "value": float(value)})
    return pd.DataFrame(rows, columns=["objective", "dataset", "seed", "metric", "value"])


def _orders(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    from ..data import TOY_NAMES
    objs = [o for o in OBJECTIVE_ORDER if o in set(df.objective)] + sorted(set(df.objective) - set(OBJECTIVE_ORDER))
    known = [d for d in TOY_NAMES if d in set(df.dataset)]
    return objs, known + sorted(set(df.dataset) - set(known))


def draw_metric(ax: plt.Axes, data: pd.DataFrame, name: str, objectives: list[str]) -> None:
    """Box plot per objective with one point per seed on top."""
    colors = objective_colors()
    palette = {o: colors.get(o, "0.5") for o in objectives}
    sns.boxplot(data=data, x="objective", y="value", hue="objective", order=objectives, hue_order=objectives,
                palette=palette, ax=ax, showfliers=False, width=0.6, boxprops={"alpha": 0.5}, legend=False)
    sns.stripplot(data=data, x="objective", y="value", order=objectives, color="k", size=3.5, jitter=0.15,
                  ax=ax, alpha=0.8)
    if metric(name).log_scale and (data.value > 0).all() and len(data):
        ax.set_yscale("log")
    ax.set_xlabel("")
    ax.tick_params(axis="x", rotation=35)


def plot_metric_grid(df: pd.DataFrame, metrics: list[str], path: Path) -> Path:
    """One figure: rows = metrics, columns = datasets."""
    objectives, datasets = _orders(df)
    style()
    fig, axes = plt.subplots(len(metrics), len(datasets), figsize=(3.2 * len(datasets), 2.6 * len(metrics)),
                             squeeze=False)
    for i, name in enumerate(metrics):
        for j, dataset in enumerate(datasets):
            ax = axes[i, j]
            draw_metric(ax, df[(df.metric == name) & (df.dataset == dataset)], name, objectives)
            ax.set_ylabel(metric(name).short if j == 0 else "")
            if i == 0:
                ax.set_title(dataset)
            if i < len(metrics) - 1:
                ax.set_xticklabels([])
    n_seeds = df.groupby(["objective", "dataset"]).seed.nunique()
    seeds = f"{n_seeds.min()}" if n_seeds.min() == n_seeds.max() else f"{n_seeds.min()}–{n_seeds.max()}"
    fig.suptitle(f"Sweep: {len(objectives)} objectives × {len(datasets)} datasets, "
                 f"{seeds} seeds per cell (box: quartiles; points: seeds)", y=1.0)
    fig.tight_layout()
    return save(fig, path)[0]


def plot_sweep(sweep_dir: str | Path, metrics: list[str] | None = None, out: str | Path | None = None) -> list[Path]:
    """Figures of a sweep directory: ``figures/sweep.png`` (all metrics) and one per metric."""
    sweep_dir = Path(sweep_dir)
    df = sweep_frame(sweep_dir)
    if df.empty:
        return []
    wanted = [m for m in (metrics or DEFAULT_METRICS) if m in set(df.metric)]
    fig_dir = sweep_dir / "figures"
    paths = [plot_metric_grid(df, wanted, Path(out) if out else fig_dir / "sweep.png")]
    paths += [plot_metric_grid(df, [m], fig_dir / f"sweep_{m}.png") for m in wanted]
    return paths
