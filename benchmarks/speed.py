"""Speed as a user feels it, before and after, measured in one run (issue #17).

    python benchmarks/speed.py [--repeats 3] [--sweep-seeds 1] [--skip-sweep] > benchmarks/results/speed.md

Three rows, each "after" beside a baseline measured in this same process:

1. start-up: ``distmatch --help`` and ``distmatch list`` against ``python -c "import torch"``;
2. the quick start ``distmatch run --objective mmd --dataset 8gaussians`` with today's defaults
   against the previous defaults given as flags (3,000 steps at batch 512, lr 1e-3, every final
   metric), seeds 0-4, with the quality bar (8/8 modes, >= 70 % high quality) checked per seed;
3. the toy sweep (5 objectives x 4 toys) on ``--sweep-seeds`` seeds with 2 workers, today's
   defaults against the same grid with the previous mmd settings and every final metric; the
   5-seed wall time is this slice x 5 / sweep-seeds (runs are independent and evenly spread).

Wall times are medians; the machine's load average is printed so that a shared machine shows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DISTMATCH = [sys.executable, "-m", "distmatch"]
OLD_MMD = ["--steps", "3000", "--batch-size", "512", "--lr", "1e-3", "--final-metrics", "all"]
OLD_MMD_SETS = ["--set", "final_metrics=all"]
TOY_GRID = ["--objectives", "mmd,minimax,nonsaturating,wgan-clip,wgan-gp", "--datasets",
            "8gaussians,25gaussians,ring,grid"]


def wall(cmd: list[str]) -> float:
    """Seconds one command takes; a failing command stops the benchmark."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def startup(repeats: int) -> list[tuple[str, float, float]]:
    base = statistics.median(wall([sys.executable, "-c", "import torch"]) for _ in range(repeats))
    rows = []
    for name in ("--help", "list"):
        t = statistics.median(wall(DISTMATCH + [name]) for _ in range(repeats))
        rows.append((f"`distmatch {name}` vs `import torch`", base, t))
    return rows


def quickstart(seeds: int, tmp: Path) -> tuple[float, float, list[str]]:
    """Median wall seconds of the quick start before (old flags) and after; quality per seed."""
    before, after, quality = [], [], []
    for seed in range(seeds):
        for label, extra, times in (("old", OLD_MMD, before), ("new", [], after)):
            out = tmp / f"qs-{label}-{seed}"
            times.append(wall(DISTMATCH + ["run", "--objective", "mmd", "--dataset", "8gaussians", "--seed",
                                           str(seed), "--out", str(out), "--quiet", *extra]))
            m = json.loads((out / "summary.json").read_text())["metrics"]
            quality.append(f"{label} seed {seed}: {m['modes']}/{m['n_modes']} modes, {m['hq']:.1f} % HQ")
    return statistics.median(before), statistics.median(after), quality


def sweep(seeds: int, tmp: Path) -> tuple[float, float]:
    """Wall seconds of the toy grid on ``seeds`` seeds, old mmd settings + all metrics vs today."""
    last = str(seeds - 1)
    old_mmd = ["--set", "final_metrics=all"]
    t_old = wall(DISTMATCH + ["sweep", *TOY_GRID, "--seeds", f"0-{last}", "--workers", "2", "--quiet",
                              "--out", str(tmp / "sweep-old"), *old_mmd])
    # the previous mmd defaults, for the mmd runs only: a second sweep over the same folder would
    # skip them, so they are redone in their own folder and the difference is added
    t_old_mmd = wall(DISTMATCH + ["sweep", "--objectives", "mmd", "--datasets", "8gaussians,25gaussians,ring,grid",
                                  "--seeds", f"0-{last}", "--workers", "2", "--quiet", "--out",
                                  str(tmp / "sweep-old-mmd"), "--set", "steps=3000", "--set", "batch_size=512",
                                  "--set", "lr=0.001", *old_mmd])
    t_new_mmd = wall(DISTMATCH + ["sweep", "--objectives", "mmd", "--datasets", "8gaussians,25gaussians,ring,grid",
                                  "--seeds", f"0-{last}", "--workers", "2", "--quiet", "--out",
                                  str(tmp / "sweep-new-mmd"), *old_mmd])
    t_new = wall(DISTMATCH + ["sweep", *TOY_GRID, "--seeds", f"0-{last}", "--workers", "2", "--quiet",
                              "--out", str(tmp / "sweep-new")])
    return t_old + (t_old_mmd - t_new_mmd), t_new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quickstart-seeds", type=int, default=5)
    parser.add_argument("--sweep-seeds", type=int, default=1)
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    rows = startup(args.repeats)
    with tempfile.TemporaryDirectory() as d:
        qs_old, qs_new, quality = quickstart(args.quickstart_seeds, Path(d))
        rows.append(("quick start (mmd, 8gaussians), median over seeds", qs_old, qs_new))
        if not args.skip_sweep:
            old, new = sweep(args.sweep_seeds, Path(d))
            scale = 5 / args.sweep_seeds
            rows.append((f"toy sweep, 100 runs (measured on {args.sweep_seeds} seed(s) x 20, scaled x{scale:g})",
                         old * scale, new * scale))
    print(f"Speed, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end\n")
    print("| what | before (s) | after (s) | speed-up |\n|---|---|---|---|")
    for name, before, after in rows:
        print(f"| {name} | {before:.2f} | {after:.2f} | {before / after:.2f}× |")
    print("\nQuick-start quality (final metrics on 2,500 samples):\n")
    print("\n".join(f"- {q}" for q in quality))


if __name__ == "__main__":
    main()
