"""Where the quick start's wall time goes: ``distmatch run --objective mmd --dataset 8gaussians``
under cProfile, summarised by phase.

    python benchmarks/profile_quickstart.py > benchmarks/results/profile_quickstart.md

Phases are cumulative times of the functions that own them (imports are everything before the
command starts; cProfile slows Python-heavy code, so the total is above the plain wall time, which
is measured separately first). The top functions by own time follow.
"""

from __future__ import annotations

import cProfile
import io
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = ["run", "--objective", "mmd", "--dataset", "8gaussians", "--quiet"]
PHASES = [  # (label, function name as pstats prints it: file suffix, function)
    ("training steps (critic + generator updates)", "trainer.py", "train_step"),
    ("  of which the MMD loss and its gradient", "mmd.py", "mmd2"),
    ("evaluations during training", "trainer.py", "eval_record"),
    ("final samples and metrics", "trainer.py", "finish"),
    ("figures (samples, curves, training.gif)", "training.py", "draw_figures"),
    ("resolving settings (bandwidth ladder)", "config.py", "resolve"),
]


def wall(tmp: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "distmatch", *COMMAND, "--out", str(tmp / "plain")], check=True,
                   capture_output=True)
    return time.perf_counter() - t0


def profiled(tmp: Path) -> tuple[pstats.Stats, float, float]:
    """Stats of one in-process run; seconds spent importing distmatch's command line and running it."""
    t0 = time.perf_counter()
    import distmatch.cli  # noqa: F401  (what `distmatch` imports before running a command)

    t_import = time.perf_counter() - t0
    profile = cProfile.Profile()
    t1 = time.perf_counter()
    profile.enable()
    try:
        distmatch.cli.cli.main(COMMAND + ["--out", str(tmp / "profiled")], prog_name="distmatch", standalone_mode=False)
    finally:
        profile.disable()
    return pstats.Stats(profile), t_import, time.perf_counter() - t1


def cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    return sum(v[3] for (path, _, func), v in stats.stats.items() if func == name and path.endswith(suffix))


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        plain = wall(tmp)
        stats, t_import, t_run = profiled(tmp)
    print(f"# Quick-start profile\n\n`distmatch {' '.join(COMMAND)}` on {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}.\n")
    print(f"Wall time without the profiler: **{plain:.1f} s** (process start to exit).\n")
    print("| phase | seconds (profiled) |\n|---|---:|")
    print(f"| importing the command line (torch loads later, inside the run) | {t_import:.2f} |")
    print(f"| the run command, in all | {t_run:.2f} |")
    for label, suffix, name in PHASES:
        print(f"| {label} | {cumulative(stats, suffix, name):.2f} |")
    imports = sum(v[3] for (path, _, func), v in stats.stats.items() if func == "<module>" and "torch/__init__" in path)
    print(f"| importing torch (inside the run) | {imports:.2f} |")
    out = io.StringIO()
    stats.stream = out
    stats.sort_stats("tottime").print_stats(15)
    lines = [line for line in out.getvalue().splitlines() if line.strip()][-16:]
    print("\nTop 15 functions by own time:\n\n```text\n" + "\n".join(lines) + "\n```")
    print("\nMade by `python benchmarks/profile_quickstart.py > benchmarks/results/profile_quickstart.md`.")


if __name__ == "__main__":
    main()
