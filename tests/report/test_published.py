"""The published numbers tables may show (distmatch.report.published)."""

from distmatch.metrics.registry import METRICS
from distmatch.report import published, tables


def test_every_published_row_names_known_metrics_of_a_builtin_toy():
    from distmatch.data import TOY_NAMES

    assert tables.PUBLISHED is published.PUBLISHED and published.PUBLISHED
    for dataset, method, source, values in published.PUBLISHED:
        assert dataset in TOY_NAMES and method and source
        assert values and set(values) <= set(METRICS)
