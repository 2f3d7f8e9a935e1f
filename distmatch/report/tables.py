"""Aggregate run directories into "mean ± std (n)" tables over seeds (rendered as Markdown, LaTeX
or CSV by :mod:`distmatch.report.table_render`; published rows from :mod:`distmatch.report.published`).

Rows are (dataset, objective); columns are metrics from each run's ``summary.json``. The std is
the sample std (ddof=1); n counts the completed seeds whose value is finite (NaN values, e.g. a
reverse KL with no high-quality sample, are left out and counted separately).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..metrics.registry import metric
from .published import PUBLISHED
from .table_render import (
    fmt_cell,
    fmt_value,
    render,
    tex_escape,
    to_csv,
    to_latex,
    to_markdown,
)

__all__ = ["DEFAULT_METRICS", "PUBLISHED", "Cell", "Row", "Table", "TableError", "aggregate", "build_table",
           "check_unique", "find_run_dirs", "fmt_cell", "fmt_value", "load_run", "render", "run_label", "tex_escape",
           "to_csv", "to_latex", "to_markdown"]

DEFAULT_METRICS = ("modes", "hq", "rkl", "mmd", "sinkhorn", "w2", "fd", "kid", "precision", "recall", "coverage",
                   "modes_1k", "kl_1k")


class TableError(ValueError):
    """Nothing to tabulate, or an unknown metric; the message says what is available."""


@dataclass
class Cell:
    """Aggregate of one metric over seeds; ``std`` is None for published single numbers."""

    mean: float
    std: float | None
    n: int | None
    n_nan: int = 0


@dataclass
class Row:
    dataset: str
    objective: str
    source: str
    runs: str  # "completed/found"
    cells: dict[str, Cell | None] = field(default_factory=dict)
    published: bool = False


@dataclass
class Table:
    metrics: list[str]
    rows: list[Row]
    best: set[tuple[int, str]]
    show_source: bool = False


# --------------------------------------------------------------------------- reading runs
def find_run_dirs(paths: list[Path]) -> list[Path]:
    """Run directories (holding config.json) at or below each path, sorted, without duplicates."""
    found: dict[Path, None] = {}
    for path in paths:
        path = Path(path)
        if (path / "config.json").exists():
            found[path.resolve()] = None
        for cfg in sorted(path.rglob("config.json")):
            if cfg.parent.name != "figures":
                found[cfg.parent.resolve()] = None
    return list(found)


def load_run(run_dir: Path) -> dict:
    """objective, dataset label and identity, seed, eval_samples, status and metrics of one run
    directory; a malformed config.json or summary.json is an error naming the file."""
    from ..data.identity import dataset_label
    from ..rundir import RunDir

    rundir = RunDir(run_dir)
    cfg = rundir.read_config()
    summary = rundir.read_summary() or {}
    metrics = summary.get("metrics", {})
    if not isinstance(metrics, dict):
        raise TableError(f"{rundir.summary}: 'metrics' is not a JSON object")
    identity = cfg.dataset_id or _legacy_identity(cfg.dataset)
    return {"dir": Path(run_dir), "objective": run_label(cfg), "dataset": dataset_label(identity),
            "dataset_id": identity, "seed": cfg.seed, "eval_samples": cfg.eval_samples,
            "status": summary.get("status", "unfinished"), "metrics": metrics}


def run_label(cfg) -> str:
    """A table row's name: the objective, tagged with the preset and packing that set it apart
    (``nonsaturating [pacgan, pack 2]``), so runs under different protocols never share a row."""
    tags = ([cfg.preset] if cfg.preset else []) + ([f"pack {cfg.pack}"] if cfg.pack > 1 else [])
    return f"{cfg.objective} [{', '.join(tags)}]" if tags else cfg.objective


def _legacy_identity(dataset: str) -> str:
    """Runs written before configs recorded the data's identity: a file's path, else the name."""
    return str(Path(dataset).resolve()) if Path(dataset).suffix else dataset


def check_unique(runs: list[dict]) -> None:
    """A table counts each seed once: two run directories with the same objective, data and seed
    (copies, or two sweeps) are refused rather than counted twice."""
    seen: dict[tuple, Path] = {}
    for r in runs:
        key = (r["dataset_id"], r["objective"], r["seed"])
        if key in seen:
            raise TableError(f"{seen[key]} and {r['dir']} are both seed {r['seed']} of {r['objective']} on "
                             f"{r['dataset']}; a table counts each seed once: pass one of them")
        seen[key] = r["dir"]


def aggregate(values: list[float | None]) -> Cell | None:
    """Mean, sample std (ddof=1), n finite values and number of NaN/None values left out."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n_nan = len(values) - len(finite)
    if not finite:
        return Cell(float("nan"), None, 0, n_nan) if n_nan else None
    std = float(np.std(finite, ddof=1)) if len(finite) > 1 else float("nan")
    return Cell(float(np.mean(finite)), std, len(finite), n_nan)


# --------------------------------------------------------------------------- building
def build_table(paths: list[Path], metrics: list[str] | None, published: bool = False) -> Table:
    """Group runs by (dataset, objective) and aggregate each metric over completed seeds.

    ``metrics=None``: those of :data:`DEFAULT_METRICS` that some completed run has (the distances
    exist only in runs made with ``final_metrics="all"`` or passed through ``distmatch eval``);
    a metric named explicitly that no run has is an error."""
    runs = [load_run(d) for d in find_run_dirs(paths)]
    if not runs:
        raise TableError(f"no run directories (with config.json) under {', '.join(map(str, paths))}")
    check_unique(runs)
    completed = [r for r in runs if r["status"] == "completed"]
    if metrics is None:
        present = {k for r in completed for k in r["metrics"]}
        metrics = [m for m in DEFAULT_METRICS if m in present] or list(DEFAULT_METRICS)
    _check_metrics(metrics, completed)
    rows = [_our_row(ds, obj, runs, metrics) for ds, obj in _groups(runs)]
    if published:
        rows = _with_published(rows, metrics)
    return Table(metrics, rows, _best_cells(rows, metrics), show_source=published)


def _check_metrics(metrics: list[str], completed: list[dict]) -> None:
    if not metrics:
        raise TableError("--metrics: give at least one metric")
    available = sorted({k for r in completed for k in r["metrics"] if not k.startswith("time_")})
    unknown = [m for m in metrics if m not in available]
    if completed and unknown:
        raise TableError(f"unknown metric {unknown[0]!r}; the runs have: {', '.join(available)}")


def _groups(runs: list[dict]) -> list[tuple[str, str]]:
    """(dataset, objective) pairs in a stable order: registry order, then alphabetical."""
    from ..data import TOY_NAMES
    from ..objectives import OBJECTIVES
    ds_order = {n: i for i, n in enumerate(TOY_NAMES)}
    obj_order = {n: i for i, n in enumerate(list(OBJECTIVES) + ["sinkhorn"])}
    labels = {}
    for r in runs:
        if labels.setdefault(r["dataset"], r["dataset_id"]) != r["dataset_id"]:
            raise TableError(f"two different data sets share the name {r['dataset']!r} "
                             f"({labels[r['dataset']]} and {r['dataset_id']}); tabulate them separately")
    pairs = {(r["dataset"], r["objective"]) for r in runs}
    return sorted(pairs, key=lambda p: (ds_order.get(p[0], 99), p[0], obj_order.get(p[1].split(" [")[0], 99), p[1]))


def _our_row(dataset: str, objective: str, runs: list[dict], metrics: list[str]) -> Row:
    group = [r for r in runs if r["dataset"] == dataset and r["objective"] == objective]
    done = [r for r in group if r["status"] == "completed"]
    samples = sorted({r["eval_samples"] for r in done if r["eval_samples"]})
    source = f"distmatch, {len(done)} seed{'' if len(done) == 1 else 's'}, {'/'.join(f'{s:,}' for s in samples) or '?'} samples"
    cells = {m: aggregate([r["metrics"].get(m) for r in done]) if done else None for m in metrics}
    return Row(dataset, objective, source, f"{len(done)}/{len(group)}", cells)


def _with_published(rows: list[Row], metrics: list[str]) -> list[Row]:
    """Insert the published rows after each built-in toy's own rows (never beside a user's file)."""
    out: list[Row] = []
    datasets = list(dict.fromkeys(r.dataset for r in rows))
    for ds in datasets:
        out.extend(r for r in rows if r.dataset == ds)
        for pds, method, source, values in PUBLISHED:
            if pds == ds:
                cells = {m: Cell(float(values[m]), None, None) if m in values else None for m in metrics}
                out.append(Row(ds, method, source, "", cells, published=True))
    return out


def _best_cells(rows: list[Row], metrics: list[str]) -> set[tuple[int, str]]:
    """(row index, metric) of the best mean per dataset and metric among our rows (ties all bold)."""
    best: set[tuple[int, str]] = set()
    for ds in {r.dataset for r in rows}:
        idx = [i for i, r in enumerate(rows) if r.dataset == ds and not r.published]
        for m in metrics:
            if metric(m).better is None:
                continue
            scored = [(i, rows[i].cells[m]) for i in idx if rows[i].cells[m] and math.isfinite(rows[i].cells[m].mean)]
            if len(scored) < 2:
                continue
            pick = max if metric(m).better == "higher" else min
            top = fmt_value(m, pick(c.mean for _, c in scored))
            if all(fmt_value(m, c.mean) == top for _, c in scored):
                continue  # all tied: nothing stands out
            best.update((i, m) for i, c in scored if fmt_value(m, c.mean) == top)
    return best
