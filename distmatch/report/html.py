"""One self-contained, offline HTML page for a sweep directory.

The page holds the sweep's provenance, the aggregated table of :mod:`distmatch.report.tables`
(sortable by clicking a header), every figure as a base64 ``data:`` URI and the runs that failed
or are incomplete. Nothing is fetched: a Content-Security-Policy forbids every non-inline
resource. All text read from the sweep directory is escaped, since its files may be hostile.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .. import io
from .tables import Cell, Table, build_table, find_run_dirs, fmt_cell, load_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE_BYTES = 20 * 2**20
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
STYLE = """body{font-family:sans-serif;margin:2em;color:#222;max-width:80em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em}
th{background:#f2f2f2}table.sortable th{cursor:pointer}th[data-dir=asc]::after{content:" \\25B2"}
th[data-dir=desc]::after{content:" \\25BC"}td.num{text-align:right}figure{display:inline-block;margin:.5em}
img{max-width:100%}figcaption{font-size:.85em;color:#555}code{background:#f5f5f5}"""
# Click a header: sort the body by that column (numbers by data-v, else text); again: reverse.
SCRIPT = """document.querySelectorAll("table.sortable th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0], sign = th.dataset.dir === "asc" ? -1 : 1;
  th.parentNode.querySelectorAll("th").forEach(h => delete h.dataset.dir);
  th.dataset.dir = sign > 0 ? "asc" : "desc";
  const key = r => { const c = r.cells[col], v = (c.dataset.v ?? c.textContent).trim(), n = Number(v);
                     return v === "" ? [2, v] : isNaN(n) ? [1, v] : [0, n]; };  // numbers first, then text; blanks last
  const cmp = (a, b) => a[0] - b[0] || sign * (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
  [...body.rows].sort((a, b) => cmp(key(a), key(b))).forEach(r => body.appendChild(r));
}));"""


class ReportError(ValueError):
    """The directory is not a sweep directory, or holds nothing to report."""


@dataclass
class RunInfo:
    """What the page shows of one run directory."""

    key: str
    objective: str
    dataset: str
    seed: int
    status: str
    steps: str
    eval_samples: object
    config_hash: str
    commit: object
    version: object
    error: object
    figures: list[Path] = field(default_factory=list)


@dataclass
class SweepReport:
    """Everything the page shows, read from one sweep directory."""

    path: Path
    manifest: dict
    table: Table | None
    runs: list[RunInfo]
    problems: list[tuple[str, str, str]]
    figures: list[Path]


# --------------------------------------------------------------------------- collecting
def read_sweep_manifest(sweep_dir: Path) -> dict:
    """The sweep's manifest.json; ReportError for a missing, non-sweep or empty directory."""
    from ..sweep.manifest import MANIFEST, read_manifest

    if not sweep_dir.is_dir():
        raise ReportError(f"{sweep_dir}: no such directory")
    if not (sweep_dir / MANIFEST).is_file():
        raise ReportError(f"{sweep_dir} is not a sweep directory (no {MANIFEST}; `distmatch sweep --out` writes one)")
    manifest = read_manifest(sweep_dir)
    if not manifest.get("runs"):
        raise ReportError(f"{sweep_dir / MANIFEST}: the sweep holds no runs")
    return manifest


def config_hash(config: dict) -> str:
    """First 12 hex digits of the SHA-256 of config.json's content (keys sorted, compact)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def run_info(sweep_dir: Path, run_dir: Path) -> RunInfo:
    """One run's status, seed, sample count, config hash, provenance and figures."""
    from ..rundir import RunDir

    run = load_run(run_dir)
    rundir = RunDir(run_dir)
    summary, config = rundir.read_summary() or {}, io.read_json(rundir.config)
    prov = _dict(summary.get("provenance"))
    return RunInfo(_relative(sweep_dir, run_dir), run["objective"], run["dataset"], run["seed"], run["status"],
                   f"{summary.get('step', '?')}/{config.get('steps', '?')}", run["eval_samples"],
                   config_hash(config), prov.get("commit"), prov.get("distmatch"), summary.get("error"),
                   png_files(rundir.figures))


def _relative(base: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


def png_files(folder: Path) -> list[Path]:
    """The ``*.png`` files directly in ``folder`` (regular files, not links), sorted."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.png") if p.is_file() and not p.is_symlink())


def find_problems(manifest: dict, runs: list[RunInfo]) -> list[tuple[str, str, str]]:
    """(run, status, error) of every run the manifest or the run's summary.json does not call
    completed, and of completed manifest runs whose directory is missing."""
    on_disk = {r.key: r for r in runs}
    out: dict[str, tuple[str, str, str]] = {}
    for rec in manifest["runs"]:
        key, status = str(rec.get("dir") or rec["key"]), str(rec.get("status"))
        if status != "completed":
            out[key] = (key, status, str(rec.get("error") or ""))
        elif key not in on_disk:
            out[key] = (key, "missing", "the manifest says completed but the run directory is gone")
    for r in runs:
        if r.status != "completed" and r.key not in out:
            out[r.key] = (r.key, r.status, str(r.error or ""))
    return list(out.values())


def collect(sweep_dir: Path, draw: bool = False) -> SweepReport:
    """Read a sweep directory; with ``draw``, first draw the sweep figures if it has none."""
    sweep_dir = Path(sweep_dir)
    manifest = read_sweep_manifest(sweep_dir)
    run_dirs = find_run_dirs([sweep_dir])
    if draw and run_dirs and not png_files(sweep_dir / "figures"):
        from .sweep_plots import plot_sweep  # matplotlib only here

        plot_sweep(sweep_dir)
    runs = [run_info(sweep_dir, d) for d in run_dirs]
    table = build_table([sweep_dir], None) if run_dirs else None
    return SweepReport(sweep_dir, manifest, table, runs, find_problems(manifest, runs),
                       png_files(sweep_dir / "figures"))


# --------------------------------------------------------------------------- rendering
def esc(value: object) -> str:
    """Any value as escaped text (quotes too, so it is safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _table(head: list[str], rows: list[list[str]], sortable: bool = True) -> str:
    """A table from escaped header texts and ready-made ``<td>`` cells."""
    cls = ' class="sortable"' if sortable else ""
    ths = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    return f"<table{cls}><thead><tr>{ths}</tr></thead><tbody>{body}</tbody></table>"


def _td(value: object) -> str:
    return f"<td>{esc(value)}</td>"


def _kv(pairs: dict) -> str:
    rows = [[f"<th>{esc(k)}</th>", _td(v)] for k, v in pairs.items()]
    return "<table>" + "".join(f"<tr>{''.join(r)}</tr>" for r in rows) + "</table>"


def provenance_section(report: SweepReport) -> str:
    """Sweep provenance and spec, then one row per run (seed, samples, config hash, commit)."""
    m = report.manifest
    prov, spec = _dict(m.get("provenance")), _dict(m.get("spec"))
    sweep = {"sweep directory": report.path, **{k: prov.get(k) for k in ("commit", "distmatch", "torch", "numpy",
                                                                         "python", "host", "time")},
             "objectives": _join(spec.get("objectives")), "datasets": _join(spec.get("datasets")),
             "seeds": _join(spec.get("seeds")), "run options": json.dumps(spec.get("run_options", {}), sort_keys=True),
             "sessions": len(m.get("sessions") or []), "wall seconds": m.get("wall_seconds")}
    head = ["run", "objective", "dataset", "seed", "status", "steps", "eval samples", "config hash", "commit",
            "distmatch"]
    rows = [[_td(r.key), _td(r.objective), _td(r.dataset), _td(r.seed), _td(r.status), _td(r.steps),
             _td(r.eval_samples), f"<td><code>{esc(r.config_hash)}</code></td>", _td(r.commit), _td(r.version)]
            for r in report.runs]
    return (f"<section id='provenance'><h2>Provenance</h2>{_kv(sweep)}<h3>Runs</h3>"
            f"{_table(head, rows) if rows else '<p>No run directories.</p>'}</section>")


def _join(values: object) -> str:
    return ", ".join(map(str, values)) if isinstance(values, list) else str(values or "")


def table_section(table: Table | None) -> str:
    """The aggregated table: 'mean ± std (n)' cells exactly as ``distmatch table`` writes them."""
    if table is None:
        return "<section id='table'><h2>Results</h2><p>No run directories to tabulate.</p></section>"
    from ..metrics.registry import metric

    head = [esc(h) for h in ["dataset", "objective", "runs"] + [metric(m).short for m in table.metrics]]
    rows = [[_td(r.dataset), _td(r.objective), _td(r.runs)]
            + [_metric_td(table, i, m, r.cells[m]) for m in table.metrics] for i, r in enumerate(table.rows)]
    note = ("<p>Cells: mean ± sample std (n completed seeds with a finite value); bold: best mean per "
            "dataset. Click a column header to sort.</p>")
    return f"<section id='table'><h2>Results</h2>{_table(head, rows)}{note}</section>"


def _metric_td(table: Table, i: int, name: str, cell: Cell | None) -> str:
    """A metric cell; its mean in ``data-v`` lets the table sort numerically."""
    text = esc(fmt_cell(name, cell))
    sort = repr(cell.mean) if cell is not None and math.isfinite(cell.mean) else ""
    text = f"<strong>{text}</strong>" if (i, name) in table.best else text
    return f'<td class="num" data-v="{sort}">{text}</td>'


def image(path: Path, caption: str) -> str:
    """A ``<figure>`` with the PNG inlined as a data URI, or a note when the file is not a PNG."""
    data = path.read_bytes() if path.stat().st_size <= MAX_IMAGE_BYTES else b""
    if not data.startswith(PNG_MAGIC):
        return f"<p>Skipped {esc(caption)}: not a PNG file of at most {MAX_IMAGE_BYTES >> 20} MiB.</p>"
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return f'<figure><img src="{uri}" alt="{esc(caption)}"><figcaption>{esc(caption)}</figcaption></figure>'


def figures_section(report: SweepReport) -> str:
    """The sweep figures, then each run's figures."""
    parts = [image(p, f"figures/{p.name}") for p in report.figures] or ["<p>No sweep figures.</p>"]
    for r in report.runs:
        if r.figures:
            parts.append(f"<h3>{esc(r.key)}</h3>" + "".join(image(p, f"{r.key}/figures/{p.name}") for p in r.figures))
    return "<section id='figures'><h2>Figures</h2>" + "".join(parts) + "</section>"


def problems_section(problems: list[tuple[str, str, str]]) -> str:
    """The runs that failed or are incomplete, with their stored errors."""
    if not problems:
        return "<section id='problems'><h2>Failed or incomplete runs</h2><p>None.</p></section>"
    rows = [[_td(key), _td(status), _td(error)] for key, status, error in problems]
    return f"<section id='problems'><h2>Failed or incomplete runs</h2>{_table(['run', 'status', 'error'], rows)}</section>"


def render_html(report: SweepReport) -> str:
    """The whole page as one string."""
    title = esc(f"distmatch sweep report: {report.path.name or report.path}")
    body = "".join([table_section(report.table), problems_section(report.problems), provenance_section(report),
                    figures_section(report)])
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}"><title>{title}</title>'
            f"<style>{STYLE}</style></head><body><h1>{title}</h1>{body}<script>{SCRIPT}</script></body></html>\n")


def write_report(sweep_dir: Path, out: Path | None = None, draw: bool = False) -> Path:
    """Write the report of ``sweep_dir`` atomically to ``out`` [sweep_dir/report.html]."""
    page = render_html(collect(Path(sweep_dir), draw))
    out = Path(out) if out is not None else Path(sweep_dir) / "report.html"
    io.atomic_write(out, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    return out
