"""plot_sweep draws metric figures from a sweep directory."""

from distmatch.report.sweep_plots import plot_sweep, sweep_frame


def test_plot_sweep_writes_pngs(small_sweep):
    df = sweep_frame(small_sweep)
    assert set(df.objective) == {"mmd", "wgan-gp"} and set(df.seed) == {0, 1}
    paths = plot_sweep(small_sweep)
    assert paths[0] == small_sweep / "figures" / "sweep.png"
    assert all(p.exists() and p.stat().st_size > 1000 for p in paths)


def test_plot_sweep_empty_dir(tmp_path):
    assert plot_sweep(tmp_path) == []
