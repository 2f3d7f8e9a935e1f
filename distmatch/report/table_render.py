"""Rendering a :class:`~distmatch.report.tables.Table` as Markdown, LaTeX or CSV text: cell
formats ("mean ± std (n)"), bold best cells, LaTeX escapes."""

from __future__ import annotations

import csv
import io as _io
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..metrics.registry import metric

if TYPE_CHECKING:
    from .tables import Cell, Table


def fmt_value(name: str, v: float | None) -> str:
    """One number in metric ``name``'s registered format; '–' for None or non-finite."""
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


def _text_rows(table: Table, bold: Callable[[str], str],
               escape: Callable[[str], str] = lambda s: s) -> list[list[str]]:
    out = []
    for i, row in enumerate(table.rows):
        lead = [row.dataset, row.objective] + ([row.source] if table.show_source else []) + [row.runs]
        cells = [fmt_cell(m, row.cells[m]) for m in table.metrics]
        cells = [bold(escape(c)) if (i, m) in table.best else escape(c) for m, c in zip(table.metrics, cells)]
        out.append([escape(x) for x in lead] + cells)
    return out


def to_markdown(table: Table) -> str:
    """A Markdown table with its notes (bold: best mean per dataset)."""
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
    """A booktabs ``tabular``, a rule between datasets."""
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


def _num(v: float | None) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    return repr(v) if isinstance(v, float) else str(v)


def render(table: Table, fmt: str) -> str:
    """The table as 'md', 'tex' or 'csv' text."""
    return {"md": to_markdown, "tex": to_latex, "csv": to_csv}[fmt](table)
