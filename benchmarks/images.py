"""Every objective on an image dataset, 3 seeds: table (Markdown + CSV) and real-vs-generated figures.

    python benchmarks/images.py --dataset digits                  # 8x8 digits, each objective's defaults
    python benchmarks/images.py --dataset mnist-5k                # 28x28 MNIST, equal CPU budget per run
    python benchmarks/images.py --dataset stacked-mnist           # 1,000 modes, + 26,000-sample mode count
    python benchmarks/images.py --dataset mnist                   # (or fashion-mnist) after `distmatch data fetch`
    options: [--seeds 0,1,2] [--objectives a,b] [--workers 2] [--out runs/images-<dataset>]

One run directory per (objective, seed) under --out; completed runs are reused, so the table and
figures can be regenerated without retraining (and an interrupted benchmark continues).

* ``digits``: every run is ``distmatch run --objective <o> --dataset digits --seed <s>`` with its
  defaults (about 30-90 s of CPU each).
* ``mnist-5k`` and ``stacked-mnist``: the defaults would take 5-35 min per run on one CPU core, so
  every objective gets the same budget instead: about 150 s of training on one core, steps set
  from its measured step time (``STEPS`` below; ``gmmn-ae``: 200 auto-encoder steps + 1,000 GMMN
  steps). The table lists the steps; the comparison is "what each objective reaches in 150 s of CPU".
* ``stacked-mnist``: after training, 26,000 samples are drawn (the VEEGAN/PacGAN protocol) and their
  modes of 1,000 and KL to uniform counted with the per-channel classifier; written to
  ``<run>/stacked_modes_26k.json``.

Writes benchmarks/results/<dataset>.md and .csv (mean ± std over seeds), figures/<dataset>_<objective>.png
(seed 0 final samples) and figures/<dataset>_grid.png (real test images first, then one panel per objective).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ALL = ["mmd", "minimax", "nonsaturating", "wgan-clip", "wgan-gp", "sinkhorn", "mmd-gan", "gmmn-ae"]
# Steps for ~150 s of training on one core of the 2-core CPU (measured step times, 1 thread:
# mnist-5k mmd 0.27 s, minimax 0.20, nonsaturating 0.19, wgan-clip 0.63, wgan-gp 1.01, sinkhorn 0.48,
# mmd-gan 0.82, gmmn-ae 0.06 + 0.46 per auto-encoder step; stacked-mnist mmd 0.28, nonsaturating 0.21,
# wgan-gp 1.31, mmd-gan 1.00).  None = the objective's default.
STEPS = {
    "mnist-5k": {"mmd": 600, "minimax": 800, "nonsaturating": 800, "wgan-clip": 250, "wgan-gp": 150,
                 "sinkhorn": 300, "mmd-gan": 200, "gmmn-ae": 1000},
    "stacked-mnist": {"mmd": 600, "nonsaturating": 750, "wgan-gp": 120, "mmd-gan": 150, "gmmn-ae": 1000},
}
STEPS["mnist"] = STEPS["fashion-mnist"] = STEPS["mnist-5k"]  # same 28x28 images, same step times
AE_STEPS = 200  # gmmn-ae's stage 1 under the budget (its default, 1,000, alone takes ~7 min on 28x28)
OBJECTIVES = {"digits": ALL[:6], "mnist-5k": ALL, "mnist": ALL, "fashion-mnist": ALL,
              "stacked-mnist": ["mmd", "gmmn-ae", "mmd-gan", "nonsaturating", "wgan-gp"]}
METRICS = {"digits": [("fd", "FD ↓", 1), ("precision", "precision ↑", 3), ("recall", "recall ↑", 3),
                      ("coverage", "coverage ↑", 3), ("kl", "label KL ↓", 3)]}
METRICS["mnist-5k"] = METRICS["digits"][:1] + [("kid", "KID ↓", 2)] + METRICS["digits"][1:]
METRICS["mnist"] = METRICS["fashion-mnist"] = METRICS["mnist-5k"]
METRICS["stacked-mnist"] = METRICS["mnist-5k"][:4] + [("modes_26k", "modes /1000 (26k) ↑", 0),
                                                      ("kl_26k", "KL (26k) ↓", 2)]
STACKED_SAMPLES = 26_000


def run_config(dataset_name: str, objective: str, seed: int):
    """The RunConfig of one benchmark run (``distmatch run`` with the options the header states)."""
    from distmatch.config import RunConfig

    steps = STEPS.get(dataset_name, {}).get(objective)
    if steps is None:
        return RunConfig(objective=objective, dataset=dataset_name, seed=seed)
    extra = {"ae_steps": AE_STEPS} if objective == "gmmn-ae" else {}
    return RunConfig(objective=objective, dataset=dataset_name, seed=seed, steps=steps, eval_every=steps,
                     threads=1, extra=extra)


def train_one(dataset_name: str, objective: str, seed: int, out: str) -> dict:
    """Train one run (skipped when completed); returns its summary with CPU time (+ 26k mode counts)."""
    from distmatch.config import resolve
    from distmatch.data import get_dataset
    from distmatch.trainer import Trainer

    run_dir = Path(out) / f"{objective}-s{seed}"
    summary_path = run_dir / "summary.json"
    done = summary_path.exists() and json.loads(summary_path.read_text()).get("status") == "completed"
    if not done:
        if run_dir.exists():
            shutil.rmtree(run_dir)  # an interrupted run of this benchmark: start it again
        dataset = get_dataset(dataset_name)
        cpu0 = time.process_time()
        cfg = resolve(run_config(dataset_name, objective, seed), dataset)
        summary = Trainer(cfg, dataset, run_dir, quiet=True).fit()
        summary["cpu_seconds"] = round(time.process_time() - cpu0, 1)
        summary_path.write_text(json.dumps(summary, indent=2, sort_keys=True))
    summary = json.loads(summary_path.read_text())
    if dataset_name == "stacked-mnist":
        summary["metrics"].update(stacked_26k(run_dir))
    return summary


def stacked_26k(run_dir: Path) -> dict:
    """Modes of 1,000 and KL to uniform on 26,000 fresh samples (cached in the run directory)."""
    path = run_dir / "stacked_modes_26k.json"
    if not path.exists():
        from distmatch.api import load_run
        from distmatch.metrics import image_classifier
        from distmatch.metrics.images import stacked_modes

        run = load_run(run_dir)
        m = stacked_modes(run.sample(STACKED_SAMPLES, seed=1), run.dataset, image_classifier(run.dataset))
        path.write_text(json.dumps({"modes_26k": m["modes_1k"], "kl_26k": m["kl_1k"], "n_stacks": m["n_stacks"]}))
    return json.loads(path.read_text())


def step0_fd(run_dir: Path) -> float:
    first = json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[0])
    return float(first["fd"])


def write_table(dataset_name: str, out: Path, objectives: list[str], seeds: list[int]) -> None:
    metrics = METRICS[dataset_name]
    rows = []
    for o in objectives:
        runs = [out / f"{o}-s{s}" for s in seeds]
        sums = [json.loads((r / "summary.json").read_text()) for r in runs]
        if dataset_name == "stacked-mnist":
            for r, s in zip(runs, sums):
                s["metrics"].update(stacked_26k(r))
        row = {"objective": o, "seeds": len(sums), "steps": sums[0]["config"]["steps"],
               "batch_size": sums[0]["config"]["batch_size"]}
        for key, _, _ in metrics:
            vals = [s["metrics"][key] for s in sums]
            row[f"{key}_mean"], row[f"{key}_std"] = float(np.mean(vals)), float(np.std(vals))
        row["fd_step0"] = float(np.mean([step0_fd(r) for r in runs]))
        row["cpu_s"] = float(np.mean([s.get("cpu_seconds", float("nan")) for s in sums]))
        row["train_s"] = float(np.mean([s["train_seconds"] for s in sums]))
        row["classifier_accuracy"] = sums[0]["metrics"]["classifier_accuracy"]
        row["feature_extractor"] = sums[0]["metrics"]["feature_extractor"]
        row["commit"] = sums[0]["provenance"]["commit"]
        rows.append(row)
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    with open(results / f"{dataset_name}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    budget = ("each objective's defaults" if dataset_name == "digits" else
              "the same budget of about 150 s of training on one CPU core per run (steps in the table; gmmn-ae "
              f"adds {AE_STEPS} auto-encoder steps), evaluated at step 0 and at the end")
    lines = [
        f"# Every objective on {dataset_name} (mean ± std over seeds {','.join(map(str, seeds))})",
        "",
        (f"Made by `python benchmarks/images.py --dataset {dataset_name}`: each run is `distmatch run --objective <o> "
        f"--dataset {dataset_name} --seed <s>` with {budget}. Metrics on 2,500 generated samples against the "
        f"test split, in the features of the cached classifier `{rows[0]['feature_extractor']}` (single-image "
        f"test accuracy {rows[0]['classifier_accuracy']:.3f}); KID is the polynomial-kernel MMD² of those "
        "features; precision/recall with k = 3; coverage = share of the classes with ≥ 1 % of predictions "
        "(1,000 stacked classes: ≥ 0.01 %); label KL = KL(predicted-class histogram ‖ uniform) in nats. "
        "FD at step 0 is the untrained generator. CPU s is the process CPU time of the run (one torch thread); "
        "train s is its wall time on the shared 2-core machine (2 runs at a time)."),
    ]
    if dataset_name == "stacked-mnist":
        lines += ["", (f"Modes and KL (26k): {STACKED_SAMPLES:,} samples per run classified digit by digit "
                  "(the VEEGAN/PacGAN protocol); real stacks score 1,000 modes and KL 0.019 on 26,000 "
                  "(docs/images.md). Published rows (VEEGAN Table 2, PacGAN Table 3; small DCGAN discriminators, other lengths): docs/images.md.")]
    lines += ["", "| objective | steps | batch | " + " | ".join(label for _, label, _ in metrics)
              + " | FD step 0 | CPU s | train s |",
              "|---|---|---|" + "---|" * (len(metrics) + 3)]
    for r in rows:
        cells = []
        for key, _, digits in metrics:
            mean, std = r[f"{key}_mean"], r[f"{key}_std"]
            cells.append(f"{mean:.{digits}f} ± {std:.{digits}f}")
        lines.append(f"| {r['objective']} | {r['steps']} | {r['batch_size']} | " + " | ".join(cells)
                     + f" | {r['fd_step0']:.0f} | {r['cpu_s']:.0f} | {r['train_s']:.0f} |")
    lines += ["", f"Commit: `{rows[0]['commit']}`."]
    (results / f"{dataset_name}.md").write_text("\n".join(lines) + "\n")


def write_figures(dataset_name: str, out: Path, objectives: list[str], seed: int) -> None:
    sys.path.insert(0, str(ROOT))
    from distmatch.data import get_dataset
    from distmatch.report.image_plots import plot_image_grid, plot_image_panels

    real = get_dataset(dataset_name).test
    panels = {"real (test split)": real[np.random.default_rng(0).permutation(len(real))[:64]]}
    for o in objectives:
        run = out / f"{o}-s{seed}"
        samples = np.load(run / "samples.npy")
        m = json.loads((run / "summary.json").read_text())["metrics"]
        plot_image_grid(samples, ROOT / "figures" / f"{dataset_name}_{o}.png")
        panels[f"{o}: FD {m['fd']:.1f}"] = samples
    plot_image_panels(panels, ROOT / "figures" / f"{dataset_name}_grid.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="mnist-5k", choices=sorted(OBJECTIVES))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--objectives", default=None, help="comma-separated [every objective of the dataset's study]")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=None, help="run directories [runs/images-<dataset>]")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    objectives = args.objectives.split(",") if args.objectives else OBJECTIVES[args.dataset]
    out = Path(args.out or ROOT / "runs" / f"images-{args.dataset}")
    jobs = [(o, s) for s in seeds for o in objectives]
    with ProcessPoolExecutor(args.workers) as pool:
        futures = {pool.submit(train_one, args.dataset, o, s, str(out)): (o, s) for o, s in jobs}
        for fut, (o, s) in futures.items():
            m = fut.result()["metrics"]
            print(f"{o:<14} seed {s}: FD {m['fd']:.2f} coverage {m['coverage']:.3f}", flush=True)
    write_table(args.dataset, out, objectives, seeds)
    write_figures(args.dataset, out, objectives, seeds[0])


if __name__ == "__main__":
    main()
