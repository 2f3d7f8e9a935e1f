"""Speed as a user feels it, before and after, measured in one run (issue #17).

    python benchmarks/speed.py [--baseline fd5f3c0] [--repeats 3] [--quickstart-seeds 5] \
        [--sweep-seeds 5] [--baseline-sweep-seeds 1] [--skip-sweep] > benchmarks/results/speed.md

"before" is the code of ``--baseline`` (default fd5f3c0, the commit issue #17 measured), checked
out into a temporary git worktree and run from there (``python -m distmatch`` with that worktree as
the working directory imports its package, not this one); "after" is this checkout. Both use the
same virtual environment and run on this machine, one after the other.

Three rows:

1. start-up: ``distmatch --help`` and ``distmatch list``, median of ``--repeats``;
2. the quick start ``distmatch run --objective mmd --dataset 8gaussians`` with each version's own
   defaults, median over seeds 0..``--quickstart-seeds``-1, with the quality bar (8/8 modes,
   >= 70 % high quality) reported per seed;
3. the toy sweep (5 objectives x 4 toys x 5 seeds = 100 runs) with 2 workers, each version's
   defaults: "after" on ``--sweep-seeds`` seeds, "before" on ``--baseline-sweep-seeds``; a version
   measured on fewer than 5 seeds is scaled to 100 runs (runs are independent, evenly spread) and
   the row says so.

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

ROOT = Path(__file__).resolve().parents[1]
DISTMATCH = [sys.executable, "-m", "distmatch"]
TOY_GRID = ["--objectives", "mmd,minimax,nonsaturating,wgan-clip,wgan-gp", "--datasets",
            "8gaussians,25gaussians,ring,grid"]


def wall(cmd: list[str], cwd: Path) -> float:
    """Seconds one command takes in ``cwd``; a failing command stops the benchmark."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} (in {cwd}) failed:\n{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def startup(code: Path, repeats: int) -> list[float]:
    return [statistics.median(wall(DISTMATCH + [name], code) for _ in range(repeats)) for name in ("--help", "list")]


def quickstart(code: Path, seeds: int, tmp: Path, label: str) -> tuple[float, list[str]]:
    """Median wall seconds of the quick start over seeds, and the quality of each seed."""
    times, quality = [], []
    for seed in range(seeds):
        out = tmp / f"qs-{label}-{seed}"
        times.append(wall(DISTMATCH + ["run", "--objective", "mmd", "--dataset", "8gaussians", "--seed", str(seed),
                                       "--out", str(out), "--quiet"], code))
        m = json.loads((out / "summary.json").read_text())["metrics"]
        ok = m["modes"] == m["n_modes"] and m["hq"] >= 70.0
        quality.append(f"{label} seed {seed}: {m['modes']}/{m['n_modes']} modes, {m['hq']:.1f} % HQ"
                       f"{'' if ok else ' (below the bar)'}")
    return statistics.median(times), quality


def sweep(code: Path, seeds: int, tmp: Path, label: str) -> float:
    """Wall seconds of the toy grid on ``seeds`` seeds with 2 workers."""
    return wall(DISTMATCH + ["sweep", *TOY_GRID, "--seeds", f"0-{seeds - 1}", "--workers", "2", "--quiet",
                             "--out", str(tmp / f"sweep-{label}")], code)


def baseline_worktree(ref: str, tmp: Path) -> Path:
    path = tmp / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), ref], check=True,
                   capture_output=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="fd5f3c0", help="commit measured as 'before'")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quickstart-seeds", type=int, default=5)
    parser.add_argument("--sweep-seeds", type=int, default=5)
    parser.add_argument("--baseline-sweep-seeds", type=int, default=1)
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args()
    load, t_start = os.getloadavg()[0], time.time()
    rows, quality = [], []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = baseline_worktree(args.baseline, tmp)
        try:
            torch_s = statistics.median(wall([sys.executable, "-c", "import torch"], ROOT) for _ in range(args.repeats))
            rows.append(("`python -c \"import torch\"` (reference)", torch_s, torch_s, ""))
            for name, before, after in zip(("--help", "list"), startup(base, args.repeats), startup(ROOT, args.repeats)):
                rows.append((f"`distmatch {name}`", before, after, ""))
            qs_before, q_before = quickstart(base, args.quickstart_seeds, tmp, "before")
            qs_after, q_after = quickstart(ROOT, args.quickstart_seeds, tmp, "after")
            quality = q_before + q_after
            rows.append((f"quick start (mmd, 8gaussians), median over {args.quickstart_seeds} seeds", qs_before,
                         qs_after, ""))
            if not args.skip_sweep:
                before = sweep(base, args.baseline_sweep_seeds, tmp, "before") * 5 / args.baseline_sweep_seeds
                after = sweep(ROOT, args.sweep_seeds, tmp, "after") * 5 / args.sweep_seeds
                how = "; ".join(f"{label}: {n * 20} runs" + (f", scaled x{5 / n:g}" if n != 5 else "")
                                for label, n in (("before", args.baseline_sweep_seeds), ("after", args.sweep_seeds)))
                rows.append(("toy sweep, 100 runs, 2 workers", before, after, how))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], capture_output=True)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.machine())
    print(f"# Speed before ({args.baseline}) and after ({commit})\n\n{cpu}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; "
          f"{time.time() - t_start:.0f} s in all.\n")
    print("| what | before (s) | after (s) | speed-up | note |\n|---|---:|---:|---:|---|")
    for name, before, after, note in rows:
        print(f"| {name} | {before:.2f} | {after:.2f} | {before / after:.2f}× | {note} |")
    print("\nQuick-start quality (final metrics on 2,500 samples):\n")
    print("\n".join(f"- {q}" for q in quality))
    print(f"\nMade by `python benchmarks/speed.py --baseline {args.baseline} --sweep-seeds {args.sweep_seeds} "
          f"--baseline-sweep-seeds {args.baseline_sweep_seeds}{' --skip-sweep' if args.skip_sweep else ''}`.")


if __name__ == "__main__":
    main()
