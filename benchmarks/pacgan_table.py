"""Our runs under PacGAN's protocol beside PacGAN's Table 1 (ring and grid), as Markdown.

    python benchmarks/pacgan_table.py sweeps/pacgan-m1 sweeps/pacgan-m2 --epochs 20 \
        --output benchmarks/results/pacgan.md

PacGAN reports mean ± standard error over 10 trials, so our cells here are mean ± standard error
(std / sqrt(n)) too, over the completed seeds. A second table follows each run's metrics over
training (from metrics.jsonl), to show whether the shortened runs were still improving.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from distmatch.report.tables import PUBLISHED, build_table
from distmatch.rundir import RunDir

METRICS = ("modes", "hq", "rkl")
NAMES = {"nonsaturating [pacgan]": "GAN", "nonsaturating [pacgan, pack 2]": "PacGAN2",
         "nonsaturating [pacgan, pack 3]": "PacGAN3", "nonsaturating [pacgan, pack 4]": "PacGAN4"}


def cell(mean: float, std: float | None, n: int | None, digits: int) -> str:
    if n is None:
        return f"{mean:.{digits}f}"
    se = std / math.sqrt(n) if std is not None and math.isfinite(std) else float("nan")
    return f"{mean:.{digits}f} ± {se:.{digits}f}" if math.isfinite(se) else f"{mean:.{digits}f}"


def main_table(paths: list[Path]) -> list[str]:
    table = build_table(paths, list(METRICS))
    lines = ["| data | method | source | runs | modes | high quality % | reverse KL |", "|---|---|---|---|---|---|---|"]
    for dataset in ("ring", "grid"):
        order = list(NAMES)
        ours = sorted((r for r in table.rows if r.dataset == dataset),
                      key=lambda r: order.index(r.objective) if r.objective in order else len(order))
        for row in ours:
            name = NAMES.get(row.objective, row.objective)
            cells = [cell(c.mean, c.std, c.n, d) if c else "–" for c, d in
                     ((row.cells.get(m), dig) for m, dig in zip(METRICS, (1, 1, 2)))]
            lines.append(f"| {dataset} | **{name}** (ours) | distmatch | {row.runs} | " + " | ".join(cells) + " |")
        for pds, method, source, values in PUBLISHED:
            if pds == dataset and source.startswith("PacGAN"):
                lines.append(f"| {dataset} | {method} | {source} | 10 | {values['modes']:.1f} | {values['hq']:.1f} | "
                             f"{values['rkl']:.2f} |")
    return lines


def trajectories(paths: list[Path]) -> list[str]:
    """modes / HQ % / reverse KL of every run at each evaluation."""
    from distmatch.report.tables import find_run_dirs, run_label

    lines = ["| data | method | seed | " + " | ".join(["epoch → modes / HQ % / rKL"]) + " |", "|---|---|---|---|"]
    for run_dir in find_run_dirs(paths):
        rundir = RunDir(run_dir)
        cfg = rundir.read_config()
        points = [f"{r['step'] // 1000}: {r['modes']} / {r['hq']:.0f} / {r['rkl']:.2f}"
                  for r in rundir.read_metrics() if r.get("step") and r.get("modes") is not None
                  and r.get("rkl") is not None]
        lines.append(f"| {cfg.dataset} | {NAMES.get(run_label(cfg), run_label(cfg))} | {cfg.seed} | "
                     + "; ".join(points) + " |")
    return lines


def wall_times(paths: list[Path]) -> str:
    from distmatch.report.tables import find_run_dirs

    times = {}
    for run_dir in find_run_dirs(paths):
        summary = RunDir(run_dir).read_summary() or {}
        if summary.get("status") == "completed":
            cfg = summary["config"]
            name = NAMES.get(f"nonsaturating [pacgan{', pack ' + str(cfg['pack']) if cfg['pack'] > 1 else ''}]",
                             cfg["objective"]) if cfg["objective"] == "nonsaturating" else cfg["objective"]
            times.setdefault(name, []).append(summary["train_seconds"] / summary["step"] * 1e3)
    return ", ".join(f"{m} {sum(v) / len(v):.1f} ms per step ({len(v)} runs)" for m, v in times.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--epochs", type=int, required=True, help="epochs the runs were trained for")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--made-by", default="EPOCHS=10 bash benchmarks/pacgan_sweep.sh",
                        help="the command that trained the runs")
    args = parser.parse_args()
    head = [f"# PacGAN protocol: our objectives beside PacGAN Table 1 — {args.epochs} of the protocol's "
            f"400 epochs", "",
            f"Every run: `--preset pacgan` (distmatch/presets/pacgan.yaml, docs/protocols.md) for "
            f"{args.epochs * 1000:,} steps of batch 100 ({args.epochs} epochs over 100,000 fixed samples; the "
            f"paper trains 400 epochs). Cells: mean ± standard error over seeds (PacGAN: over 10 trials). "
            f"Metrics on 2,500 samples: a sample is high quality within 3 std of its nearest mode; a mode is "
            f"covered with at least one high-quality sample; reverse KL of the covered-mode histogram to uniform.",
            "", "Objectives without a critic (mmd, sinkhorn, gmmn-ae) take the preset's generator, data, batch, "
            "optimiser and schedule; the critic settings do not apply to them (gmmn-ae adds its 500 auto-encoder "
            "steps on the same fixed samples). wgan-gp and mmd-gan take all of it, the maxout critic and the "
            "simultaneous update included (one critic step per generator step, as the preset says).",
            "", f"Made by `{args.made_by}`; "
            f"training time: "
            f"{wall_times(args.paths)} (one run per core of a 2-core CPU, sharing it with other work; idle: GAN ~23 "
            f"and PacGAN2 ~29 ms).", ""]
    text = "\n".join(head + main_table(args.paths) + ["", "## Over training", ""] + trajectories(args.paths)) + "\n"
    if args.output:
        args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
