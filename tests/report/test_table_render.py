"""Rendering tables as Markdown, LaTeX and CSV (distmatch.report.table_render)."""

import math

from distmatch.report.table_render import fmt_cell, fmt_value, render, tex_escape
from distmatch.report.tables import Cell, Row, Table


def table():
    rows = [Row("ring", "mmd", "distmatch, 2 seeds", "2/2", {"modes": Cell(8.0, 0.0, 2), "hq": Cell(90.5, 1.5, 2, 1)}),
            Row("ring", "GAN", "PacGAN", "", {"modes": Cell(6.3, None, None), "hq": None}, published=True)]
    return Table(["modes", "hq"], rows, best={(0, "modes")}, show_source=True)


def test_cells():
    assert fmt_cell("modes", None) == "" and fmt_value("modes", math.nan) == "–"
    assert fmt_cell("hq", Cell(90.5, 1.5, 2, 1)) == f"{fmt_value('hq', 90.5)} ± {fmt_value('hq', 1.5)} (2; 1 NaN)"
    assert fmt_cell("modes", Cell(6.3, None, None)) == fmt_value("modes", 6.3)


def test_markdown_bolds_the_best_cell_and_has_one_line_per_row():
    lines = render(table(), "md").splitlines()
    assert lines[0].startswith("| dataset | objective | source | runs |") and lines[1].startswith("|---|")
    assert "**" + fmt_cell("modes", Cell(8.0, 0.0, 2)) + "**" in lines[2] and "**" not in lines[3]


def test_latex_escapes_and_csv_holds_the_raw_numbers():
    tex = render(table(), "tex")
    assert tex.startswith(r"\begin{tabular}{llllrr}") and r"$\pm$" in tex and tex.rstrip().endswith(r"\end{tabular}")
    assert tex_escape("a_b & 5%") == r"a\_b \& 5\%"
    csv_lines = render(table(), "csv").splitlines()
    assert csv_lines[0] == "dataset,objective,source,runs,modes_mean,modes_std,modes_n,modes_nan,hq_mean,hq_std,hq_n,hq_nan"
    assert csv_lines[1] == "ring,mmd,\"distmatch, 2 seeds\",2/2,8.0,0.0,2,0,90.5,1.5,2,1"
    assert csv_lines[2] == "ring,GAN,PacGAN,,6.3,,,0,,,,"
