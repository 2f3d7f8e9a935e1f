"""The metric registry: every metric a run reports is registered, and tables, figures, the summary
and the progress bar read their labels, formats and directions from it."""

import numpy as np

from distmatch.metrics import evaluate
from distmatch.metrics.registry import METRICS, metric
from distmatch.report.tables import Cell, _best_cells, Row, fmt_value

COUNTS = {"n_modes"}  # a denominator, shown inside "modes" ("7/8"), not a metric of its own


def reported(samples, dataset, full):
    from distmatch.config import median_heuristic_ladder

    out = evaluate(samples, dataset, median_heuristic_ladder(samples.reshape(len(samples), -1)),
                   np.random.default_rng(0), full=full)
    return {k for k in out if not k.startswith("time_")} - COUNTS


def test_every_toy_metric_is_registered():
    from distmatch.data import get_dataset

    ds = get_dataset("8gaussians")
    samples = ds.sample(300, np.random.default_rng(1))
    keys = reported(samples, ds, full=True)
    assert {"modes", "hq", "rkl", "mmd", "sinkhorn", "w1", "w2"} <= keys
    assert keys <= set(METRICS)


def test_direction_decides_the_bold_cell():
    rows = [Row("ring", o, "", "1/1", {"hq": Cell(v, None, 1), "w2": Cell(v, None, 1)}) for o, v in
            (("a", 10.0), ("b", 20.0))]
    best = _best_cells(rows, ["hq", "w2"])
    assert best == {(1, "hq"), (0, "w2")}  # higher HQ is better, lower W2 is better
    assert metric("hq").better == "higher" and metric("w2").better == "lower"


def test_unknown_keys_get_a_plain_entry_and_formats_come_from_the_registry():
    plain = metric("my_score")
    assert (plain.label, plain.better, plain.fmt) == ("my_score", None, "{:.3g}")
    assert fmt_value("hq", 72.345) == "72.3" and fmt_value("mmd", 0.0123456) == "0.0123"
    assert fmt_value("rkl", float("nan")) == "–"
