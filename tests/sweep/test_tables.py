"""Tables: mean ± std (n) equals a manual computation from the run dirs; formats; bold; published."""

import csv
import io
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from distmatch.sweep.cli import table
from distmatch.report.tables import Cell, aggregate, build_table, fmt_cell, render, tex_escape

METRICS = ["modes", "hq", "rkl", "mmd", "sinkhorn", "w2"]


def manual(sweep_dir, objective, metric):
    values = []
    for path in sorted(sweep_dir.glob(f"{objective}/ring/s*/summary.json")):
        v = json.loads(path.read_text())["metrics"][metric]
        if v is not None and math.isfinite(v):
            values.append(v)
    return values


def test_csv_matches_manual_mean_std(small_sweep):
    result = CliRunner().invoke(table, [str(small_sweep), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = {r["objective"]: r for r in csv.DictReader(io.StringIO(result.output))}
    assert set(rows) == {"mmd", "wgan-gp"}
    for objective, row in rows.items():
        assert row["runs"] == "2/2"
        for metric in METRICS:
            vals = manual(small_sweep, objective, metric)
            assert int(row[f"{metric}_n"]) == len(vals)
            assert int(row[f"{metric}_nan"]) == 2 - len(vals)
            if len(vals) >= 1:
                assert float(row[f"{metric}_mean"]) == pytest.approx(np.mean(vals), rel=1e-12, abs=1e-15)
            if len(vals) == 2:
                assert float(row[f"{metric}_std"]) == pytest.approx(np.std(vals, ddof=1), rel=1e-12, abs=1e-15)


def test_markdown_cells_and_bold(small_sweep):
    result = CliRunner().invoke(table, [str(small_sweep), "--metrics", "mmd,w2"])
    assert result.exit_code == 0, result.output
    lines = [l for l in result.output.splitlines() if l.startswith("| ring")]
    assert len(lines) == 2
    vals = {o: np.mean(manual(small_sweep, o, "mmd")) for o in ("mmd", "wgan-gp")}
    best = min(vals, key=vals.get)
    cell = fmt_cell("mmd", aggregate(manual(small_sweep, best, "mmd")))
    assert f"**{cell}**" in next(l for l in lines if f"| {best} |" in l)
    assert cell.endswith("(2)") and " ± " in cell


def test_aggregate_counts_nan_and_uses_ddof1():
    cell = aggregate([1.0, 2.0, float("nan"), None, 4.0])
    assert cell.n == 3 and cell.n_nan == 2
    assert cell.mean == pytest.approx(7 / 3)
    assert cell.std == pytest.approx(np.std([1, 2, 4], ddof=1))
    assert fmt_cell("rkl", cell) == "2.333 ± 1.528 (3; 2 NaN)"
    assert fmt_cell("hq", Cell(98.2, None, None)) == "98.2"


def test_published_rows_and_latex(small_sweep):
    tbl = build_table([small_sweep], METRICS, published=True)
    pub = [r for r in tbl.rows if r.published]
    assert {(r.objective, r.source) for r in pub} >= {("GAN", "PacGAN Tab.1, 10 trials, 2,500 samples"),
                                                      ("VEEGAN", "VEEGAN Tab.1, 2,500 samples")}
    pac = next(r for r in pub if r.objective == "PacGAN4")
    assert (pac.cells["modes"].mean, pac.cells["hq"].mean, pac.cells["rkl"].mean) == (7.8, 95.9, 0.07)
    assert not any(tbl.rows[i].published for i, _ in tbl.best)
    md = render(tbl, "md")
    assert "| ring | GAN | PacGAN Tab.1, 10 trials, 2,500 samples |  | 6.3 | 98.2 | 0.450 |" in md
    tex = render(tbl, "tex")
    assert tex.startswith(r"\begin{tabular}") and r"\toprule" in tex and r"\bottomrule" in tex
    assert r"HQ (\%)" in tex and r"$\pm$" in tex and "±" not in tex


def test_tex_escape():
    assert tex_escape("a_b & 5% #1") == r"a\_b \& 5\% \#1"


def test_table_errors_are_one_line(tmp_path, small_sweep):
    result = CliRunner().invoke(table, [str(tmp_path)])
    assert result.exit_code != 0 and "no run directories" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(table, [str(small_sweep), "--metrics", "modes,fid"])
    assert result.exit_code != 0 and "unknown metric 'fid'" in result.output


def test_default_columns_are_the_metrics_the_runs_have(tmp_path):
    """Runs made with the default final_metrics="cheap" lack the distances: the default table leaves
    those columns out, and asking for one by name is a one-line error naming what the runs have."""
    from distmatch.config import RunConfig, resolve
    from distmatch.data import get_dataset
    from distmatch.trainer import Trainer

    from .conftest import TINY_OPTIONS

    ds = get_dataset("ring")
    for seed in (0, 1):
        cfg = resolve(RunConfig(objective="mmd", dataset="ring", seed=seed, steps=2, eval_every=2, **TINY_OPTIONS), ds)
        Trainer(cfg, ds, tmp_path / f"s{seed}", quiet=True).fit()
    result = CliRunner().invoke(table, [str(tmp_path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0]
    assert "mmd_mean" in header and "hq_mean" in header and "sinkhorn" not in header and "w2" not in header
    result = CliRunner().invoke(table, [str(tmp_path), "--metrics", "hq,w2"])
    assert result.exit_code == 1 and "unknown metric 'w2'" in result.output
