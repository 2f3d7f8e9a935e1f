"""Start-up time of the command line against ``python -c "import torch"`` alone.

    python benchmarks/startup.py [--repeats 5]   # prints a Markdown table (median wall seconds)
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time

COMMANDS = {
    'python -c "import torch"': [sys.executable, "-c", "import torch"],
    "distmatch --help": [sys.executable, "-m", "distmatch", "--help"],
    "distmatch list": [sys.executable, "-m", "distmatch", "list"],
    "distmatch run --help": [sys.executable, "-m", "distmatch", "run", "--help"],
    "distmatch run --steps 0 (usage error)": [sys.executable, "-m", "distmatch", "run", "--steps", "0"],
}


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=False)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    times = {name: statistics.median(wall(cmd) for _ in range(args.repeats)) for name, cmd in COMMANDS.items()}
    torch_s = times['python -c "import torch"']
    print(f"Start-up, median of {args.repeats} runs, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}\n")
    print("| command | wall (s) | vs import torch |\n|---|---|---|")
    for name, t in times.items():
        print(f"| `{name}` | {t:.2f} | {t / torch_s:.2f}× |")


if __name__ == "__main__":
    main()
