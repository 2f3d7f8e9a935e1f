"""Aggregate run directories into "mean ± std (n)" tables over seeds: Markdown, LaTeX or CSV.

Rows are (dataset, objective); columns are metrics from each run's ``summary.json``. The std is
the sample std (ddof=1); n counts the completed seeds whose value is finite (NaN values, e.g. a
reverse KL with no high-quality sample, are left out and counted separately).
"""

from __future__ import annotations

import csv
import io as _io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..metrics.registry import metric

DEFAULT_METRICS = ("modes", "hq", "rkl", "mmd", "sinkhorn", "w2", "fd", "kid", "precision", "recall", "coverage",
                   "modes_1k", "kl_1k")

# Published numbers (docs/protocols.md): (dataset, method, source and protocol, {metric: value}).
_PACGAN = "PacGAN Tab.1, 10 trials, 2,500 samples"
PUBLISHED: list[tuple[str, str, str, dict[str, float]]] = [
    ("ring", "GAN", _PACGAN, {"modes": 6.3, "hq": 98.2, "rkl": 0.45}),
    ("ring", "ALI", _PACGAN, {"modes": 6.6, "hq": 97.6, "rkl": 0.36}),
    ("ring", "PacGAN2", _PACGAN, {"modes": 7.9, "hq": 95.6, "rkl": 0.07}),
    ("ring", "PacGAN3", _PACGAN, {"modes": 7.8, "hq": 97.7, "rkl": 0.10}),
    ("ring", "PacGAN4", _PACGAN, {"modes": 7.8, "hq": 95.9, "rkl": 0.07}),
    ("ring", "GAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 1, "hq": 99.3}),
    ("ring", "Unrolled GAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 7.6, "hq": 35.6}),
    ("ring", "VEEGAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 8, "hq": 52.9}),
    ("grid", "GAN", _PACGAN, {"modes": 17.3, "hq": 94.8, "rkl": 0.70}),
    ("grid", "ALI", _PACGAN, {"modes": 24.1, "hq": 95.7, "rkl": 0.14}),
    ("grid", "PacGAN2", _PACGAN, {"modes": 23.8, "hq": 91.3, "rkl": 0.13}),
    ("grid", "PacGAN3", _PACGAN, {"modes": 24.6, "hq": 94.2, "rkl": 0.06}),
    ("grid", "PacGAN4", _PACGAN, {"modes": 24.8, "hq": 93.6, "rkl": 0.04}),
    ("grid", "GAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 3.3, "hq": 0.5}),
    ("grid", "Unrolled GAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 23.6, "hq": 16}),
    ("grid", "VEEGAN", "VEEGAN Tab.1, 2,500 samples", {"modes": 24.6, "hq": 40}),
]


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


# --------------------------------------------------------------------------- rendering
def fmt_value(name: str, v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "–"
    return metric(name).fmt.format(v)


def fmt_cell(name: str, cell: Cell | None) -> str:
    """'mean ± std (n)'; '(n; k NaN)' when values were left out; a published number alone."""
    if cell is None:
        return ""
    if cell.n is None:
        return fmt_value(name, cell.mean)
    nan = f"; {cell.n_nan} NaN" if cell.n_nan else ""
    return f"{fmt_value(name, cell.mean)} ± {fmt_value(name, cell.std)} ({cell.n}{nan})"


def _header(table: Table) -> list[str]:
    head = ["dataset", "objective"] + (["source"] if table.show_source else []) + ["runs"]
    return head + [metric(m).short for m in table.metrics]


def _text_rows(table: Table, bold, escape=lambda s: s) -> list[list[str]]:
    out = []
    for i, row in enumerate(table.rows):
        lead = [row.dataset, row.objective] + ([row.source] if table.show_source else []) + [row.runs]
        cells = [fmt_cell(m, row.cells[m]) for m in table.metrics]
        cells = [bold(escape(c)) if (i, m) in table.best else escape(c) for m, c in zip(table.metrics, cells)]
        out.append([escape(x) for x in lead] + cells)
    return out


def to_markdown(table: Table) -> str:
    head = _header(table)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---"] * (len(head) - 2)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in _text_rows(table, lambda c: f"**{c}**")]
    notes = ["cells: mean ± sample std (n completed seeds with a finite value); bold: best mean per dataset"]
    if table.show_source:
        notes.append("published rows: numbers as reported by the cited paper under its protocol")
    return "\n".join(lines) + "\n\n" + "\n".join(f"_{n}_  " for n in notes).rstrip() + "\n"


TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
               "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    """Escape LaTeX specials; ± and – become math/text commands."""
    out = "".join(TEX_ESCAPES.get(ch, ch) for ch in text)
    return out.replace("±", r"$\pm$").replace("–", "--").replace("²", r"$^2$")


def to_latex(table: Table) -> str:
    head = [tex_escape(h) for h in _header(table)[: -len(table.metrics)]] + [metric(m).tex for m in table.metrics]
    rows = _text_rows(table, lambda c: rf"\textbf{{{c}}}", tex_escape)
    lines = [r"\begin{tabular}{" + "l" * (len(head) - len(table.metrics)) + "r" * len(table.metrics) + "}",
             r"\toprule", " & ".join(head) + r" \\", r"\midrule"]
    previous = None
    for row, cells in zip(table.rows, rows):
        if previous is not None and row.dataset != previous:
            lines.append(r"\midrule")
        previous = row.dataset
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def to_csv(table: Table) -> str:
    """Raw numbers: <metric>_mean, _std, _n, _nan per metric (published rows: mean only)."""
    buf = _io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["dataset", "objective", "source", "runs"]
                    + [f"{m}_{k}" for m in table.metrics for k in ("mean", "std", "n", "nan")])
    for row in table.rows:
        values: list = [row.dataset, row.objective, row.source, row.runs]
        for m in table.metrics:
            c = row.cells[m]
            values += ["", "", "", ""] if c is None else [_num(c.mean), _num(c.std), _num(c.n), c.n_nan]
        writer.writerow(values)
    return buf.getvalue()


def _num(v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    return repr(v) if isinstance(v, float) else str(v)


def render(table: Table, fmt: str) -> str:
    """The table as 'md', 'tex' or 'csv' text."""
    return {"md": to_markdown, "tex": to_latex, "csv": to_csv}[fmt](table)
