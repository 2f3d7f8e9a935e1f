"""Every objective on 8x8 digits with its default settings, 3 seeds: table + sample grids.

    python benchmarks/digits.py [--seeds 0,1,2] [--workers 2] [--out runs/digits-bench]

Writes one run directory per (objective, seed) under --out (existing completed runs are reused,
so the table can be regenerated without retraining), then

* benchmarks/results/digits.md and digits.csv: mean ± std over seeds of FD, precision, recall,
  class coverage and label KL (classifier features, 2,500 samples, digits test split), plus FD
  at step 0, train wall time and process CPU time (CPU time ~ uncontended wall time: one thread);
* figures/digits_<objective>.png (seed 0 final samples) and figures/digits_grid.png (one panel
  per objective).

Each run is the same as ``distmatch run --objective <o> --dataset digits --seed <s>``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OBJECTIVES = ["mmd", "minimax", "nonsaturating", "wgan-clip", "wgan-gp", "sinkhorn"]
METRICS = [("fd", "FD ↓"), ("precision", "precision ↑"), ("recall", "recall ↑"), ("coverage", "coverage ↑"),
           ("kl", "label KL ↓")]


def train_one(objective: str, seed: int, out: str) -> dict:
    """Train one default digits run (skipped when already completed); returns its summary + CPU time."""
    from distmatch.config import RunConfig, resolve
    from distmatch.data import get_dataset
    from distmatch.trainer import Trainer

    run_dir = Path(out) / f"{objective}-s{seed}"
    summary_path = run_dir / "summary.json"
    if summary_path.exists() and json.loads(summary_path.read_text()).get("status") == "completed":
        return json.loads(summary_path.read_text())
    if run_dir.exists():
        import shutil
        shutil.rmtree(run_dir)
    dataset = get_dataset("digits")
    cpu0 = time.process_time()
    cfg = resolve(RunConfig(objective=objective, dataset="digits", seed=seed), dataset)
    summary = Trainer(cfg, dataset, run_dir, quiet=True).fit()
    summary["cpu_seconds"] = round(time.process_time() - cpu0, 1)
    summary_path.write_text(json.dumps(summary, indent=2, sort_keys=True))
    return summary


def step0_fd(run_dir: Path) -> float:
    first = json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[0])
    return float(first["fd"])


def fmt(mean: float, std: float, digits: int) -> str:
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def write_table(out: Path, objectives: list[str], seeds: list[int]) -> None:
    rows = []
    for o in objectives:
        runs = [out / f"{o}-s{s}" for s in seeds]
        sums = [json.loads((r / "summary.json").read_text()) for r in runs]
        row = {"objective": o, "seeds": len(sums), "steps": sums[0]["config"]["steps"],
               "batch_size": sums[0]["config"]["batch_size"]}
        for key, _ in METRICS:
            vals = [s["metrics"][key] for s in sums]
            row[f"{key}_mean"], row[f"{key}_std"] = float(np.mean(vals)), float(np.std(vals))
        row["fd_step0"] = float(np.mean([step0_fd(r) for r in runs]))
        row["train_s"] = float(np.mean([s["train_seconds"] for s in sums]))
        row["cpu_s"] = float(np.mean([s.get("cpu_seconds", float("nan")) for s in sums]))
        row["classifier_accuracy"] = sums[0]["metrics"]["classifier_accuracy"]
        row["feature_extractor"] = sums[0]["metrics"]["feature_extractor"]
        row["commit"] = sums[0]["provenance"]["commit"]
        rows.append(row)
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    with open(results / "digits.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# Every objective on 8x8 digits (defaults, mean ± std over seeds " + ",".join(map(str, seeds)) + ")",
        "",
        "Made by `python benchmarks/digits.py`. Each run is `distmatch run --objective <o> --dataset digits "
        "--seed <s>` with its defaults (DCGAN generator/critic, base channels 32, noise 32-d Gaussian). "
        f"Metrics on 2,500 generated samples against the 360-image test split, in the features of the "
        f"cached classifier `{rows[0]['feature_extractor']}` (test accuracy {rows[0]['classifier_accuracy']:.3f}); "
        "precision/recall with k = 3; coverage = share of the 10 classes with ≥ 1 % of predictions; "
        "label KL = KL(predicted-class histogram ‖ uniform) in nats. FD at step 0 is the untrained generator. "
        "CPU s is process CPU time (one torch thread, so about the uncontended wall time); train s is the wall "
        "time measured on the shared, heavily loaded 2-core machine.",
        "",
        "| objective | steps | batch | " + " | ".join(label for _, label in METRICS)
        + " | FD step 0 | CPU s | train s (loaded) |",
        "|---|---|---|" + "---|" * (len(METRICS) + 3),
    ]
    for r in rows:
        cells = [fmt(r[f"{k}_mean"], r[f"{k}_std"], 1 if k == "fd" else 3) for k, _ in METRICS]
        lines.append(f"| {r['objective']} | {r['steps']} | {r['batch_size']} | " + " | ".join(cells)
                     + f" | {r['fd_step0']:.0f} | {r['cpu_s']:.0f} | {r['train_s']:.0f} |")
    lines += ["", f"Commit: `{rows[0]['commit']}`."]
    (results / "digits.md").write_text("\n".join(lines) + "\n")


def write_figures(out: Path, objectives: list[str], seed: int) -> None:
    sys.path.insert(0, str(ROOT))
    from distmatch.report.image_plots import plot_image_grid, plot_image_panels

    panels = {}
    for o in objectives:
        run = out / f"{o}-s{seed}"
        samples = np.load(run / "samples.npy")
        m = json.loads((run / "summary.json").read_text())["metrics"]
        plot_image_grid(samples, ROOT / "figures" / f"digits_{o}.png")
        panels[f"{o}: FD {m['fd']:.1f}, {round(m['coverage'] * 10)}/10 classes"] = samples
    plot_image_panels(panels, ROOT / "figures" / "digits_grid.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--objectives", default=",".join(OBJECTIVES))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "runs" / "digits-bench"))
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    objectives = args.objectives.split(",")
    out = Path(args.out)
    jobs = [(o, s) for s in seeds for o in objectives]
    with ProcessPoolExecutor(args.workers) as pool:
        futures = {pool.submit(train_one, o, s, str(out)): (o, s) for o, s in jobs}
        for fut, (o, s) in futures.items():
            m = fut.result()["metrics"]
            print(f"{o:<14} seed {s}: FD {m['fd']:.2f} coverage {m['coverage']:.1f}", flush=True)
    write_table(out, objectives, seeds)
    write_figures(out, objectives, seeds[0])


if __name__ == "__main__":
    main()
